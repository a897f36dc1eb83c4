"""Template tags other pages use to show evaluation results.

``{% load evaluation %}{% verdict_history node %}`` renders an institution's verdict
history (every published verdict with its validity, status and look-backs), e.g. on the
organisation unit's page. Nothing is shown for a node that is not an institution.
"""

from django import template

from jiceng.assessments.queries import verdict_history as _history

register = template.Library()


@register.inclusion_tag("assessments/_history.html")
def verdict_history(node):
    if node is None or not node.is_institution:
        return {"history": [], "hide": True}
    return {"history": _history(node)}
