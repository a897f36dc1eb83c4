"""Template helpers of the ledger pages."""

from django import template

register = template.Library()


@register.simple_tag
def overdue_days(entry, today) -> int:
    """Days the entry is overdue on ``today`` (0 when it is not)."""
    return entry.days_overdue(today)


@register.inclusion_tag("rectification/_node_card.html", takes_context=True)
def rectification_card(context, node, limit: int = 10) -> dict:
    """The rectification items of ``node`` and below, for a unit's profile page::

        {% load ledger_tags %}{% rectification_card node %}

    The caller's page has already checked that the user may see ``node``.
    """
    from django.utils import timezone

    from jiceng.rectification import queries

    today = timezone.localdate()
    qs = queries.open_items_for(node)
    closed = queries.visible_entries(None).filter(
        institution__path__startswith=node.path, status="closed"
    )
    return {
        "node": node,
        "entries": list(qs[:limit]),
        "counts": queries.summary(qs, today),
        "closed": closed.count(),
        "today": today,
    }
