"""Template filters for indicator figures and the summary include.

``{% load indicator_tags %}{% indicator_summary node %}`` renders ``indicators/_summary.html``
for a node (its latest year with values, unless ``period=`` is given).
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from jiceng.indicators import queries

register = template.Library()


@register.filter
def pct(value) -> str:
    """A fraction as a percentage with two decimals; blank when undefined."""
    if value is None or value == "":
        return ""
    return f"{float(value) * 100:.2f}%"


@register.filter
def pp(value) -> str:
    """A change in percentage points, signed; blank when undefined."""
    if value is None or value == "":
        return ""
    v = float(value)
    if abs(v) < 0.005:
        v = 0.0
    return f"{v:+.2f}"


@register.filter
def num(value) -> str:
    """A count as an integer, or with two decimals when it is not whole (estimated bases)."""
    if value is None or value == "":
        return ""
    v = float(value)
    if v == int(v):
        return f"{int(v):,}"
    return f"{v:,.2f}"


@register.filter
def denominator(row) -> str:
    """A row's denominator: a count, or an estimate rounded to a whole number and marked 估算."""
    if row is None or row.denominator is None:
        return ""
    if not row.estimated:
        return num(row.denominator)
    return _("%(n)s (estimated)") % {"n": f"{round(float(row.denominator)):,}"}


@register.filter
def met_mark(met) -> str:
    """✓ met, ✗ missed, — no target or no value."""
    if met is True:
        return "✓"
    if met is False:
        return "✗"
    return "—"


@register.filter
def target_text(target) -> str:
    """≥ 60.00% / ≤ 5.00%."""
    if target is None:
        return ""
    sign = "≥" if target.comparison == "ge" else "≤"
    return f"{sign} {float(target.threshold) * 100:.2f}%"


@register.filter
def cell(row, code):
    """``row.cells[code]`` for a region-table row."""
    return row.cells.get(code)


@register.inclusion_tag("indicators/_summary.html")
def indicator_summary(node, period=None):
    """A compact block of ``node``'s indicators, for other apps' pages."""
    try:
        return queries.summary_for(node, period)
    except ValueError:
        return {"node": node, "period": None, "rows": [], "error": _("Invalid period.")}


@register.filter
def cell_of(mapping, key):
    """``mapping[key]`` for a dict in a template."""
    return mapping.get(key)
