"""Template helpers of appraisal: exact numbers as people write them, and the integrity
rating and bad-practice points shown on an institution's page."""

from __future__ import annotations

from django import template

from jiceng.appraisal import engine

register = template.Library()


@register.filter
def plain(value) -> str:
    """``90``, ``2.5``, ``83.3333`` (no exponent, no trailing zeros); empty for None."""
    if value is None or value == "":
        return ""
    return engine.plain(engine.fraction(value))


@register.inclusion_tag("appraisal/_integrity.html", takes_context=True)
def integrity_card(context, node):
    """The integrity grade (诚信等级) and this year's bad-practice points of an institution."""
    from django.db.models import Sum
    from django.utils import timezone

    from jiceng.appraisal import queries
    from jiceng.appraisal.models import BadPractice

    if not node.is_institution:
        return {"show": False}
    year = timezone.localdate().year
    points = BadPractice.objects.filter(institution=node, date__year=year).aggregate(
        n=Sum("points")
    )["n"]
    return {
        "show": True,
        "node": node,
        "rating": queries.integrity_rating(node),
        "points": points,
        "year": year,
    }
