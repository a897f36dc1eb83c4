"""``jiceng rectification overdue``: overdue entries per county, and each one (for reminders)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiceng.rectification import queries
from jiceng.rectification.management.commands._common import (
    acting_user,
    add_filter_arguments,
    ledger_filter,
)


class Command(BaseCommand):
    help = "List overdue rectification entries, with counts per county."

    def add_arguments(self, parser):
        add_filter_arguments(parser)

    def handle(self, *args, **opts):
        user = acting_user(opts.get("user"))
        f = ledger_filter(user, {**opts, "overdue": True})
        for row in queries.counts_by_county(user, f.region, f.today):
            self.stdout.write(
                _("%(county)s: %(open)s open, %(overdue)s overdue, %(closed)s closed")
                % {
                    "county": row["county"].name,
                    "open": row["open"],
                    "overdue": row["overdue"],
                    "closed": row["closed"],
                }
            )
        entries = list(queries.ledger(user, f))
        for e in entries:
            self.stdout.write(
                "\t".join(
                    [
                        e.number,
                        e.institution.code,
                        e.institution.name,
                        e.deadline.isoformat(),
                        _("%(n)s days overdue") % {"n": e.days_overdue(f.today)},
                        e.responsible or "-",
                        e.description.splitlines()[0][:60],
                    ]
                )
            )
        self.stdout.write(_("%(n)s overdue entries.") % {"n": len(entries)})
