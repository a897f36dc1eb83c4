"""Figures as the visualizer shows them: shares in percent, changes in percentage points."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


def _number(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


@register.simple_tag
def fig(value, ratio: bool) -> str:
    """A figure: 0.6321 → 63.2% for a share, 1234 → 1,234 otherwise; empty when missing."""
    if value is None:
        return ""
    return f"{value * 100:.1f}%" if ratio else _number(value)


@register.simple_tag
def delta(value, ratio: bool) -> str:
    """A change: +1.2 percentage points for shares, +3 for counts; empty when unknown."""
    if value is None:
        return ""
    sign = "+" if value > 0 else ""
    if ratio:
        return _("%(sign)s%(v)s pp") % {"sign": sign, "v": f"{value:.1f}"}
    return sign + _number(value)
