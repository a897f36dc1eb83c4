"""Template filters of the survey pages."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import pgettext

register = template.Library()


@register.filter
def points(value: Decimal | None) -> str:
    """A change in percentage points as the seeds write it: "提升0.6个百分点"."""
    if value is None:
        return "—"
    if value > 0:
        return pgettext("surveys", "up %(n)s points") % {"n": value}
    if value < 0:
        return pgettext("surveys", "down %(n)s points") % {"n": -value}
    return pgettext("surveys", "unchanged")
