"""Template helpers of the ledger pages."""

from django import template

register = template.Library()


@register.simple_tag
def overdue_days(entry, today) -> int:
    """Days the entry is overdue on ``today`` (0 when it is not)."""
    return entry.days_overdue(today)
