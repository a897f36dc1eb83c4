"""Template filters of the survey pages."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def points(value: Decimal | None) -> str:
    """A change in percentage points as the seeds write it: "提升0.6个百分点"."""
    if value is None:
        return "—"
    if value > 0:
        return _("up %(n)s points") % {"n": value}
    if value < 0:
        return _("down %(n)s points") % {"n": -value}
    return _("unchanged")
