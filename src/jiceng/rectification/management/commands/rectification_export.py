"""``jiceng rectification export FILE.xlsx``: the (filtered) ledger as an Excel file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiceng.rectification import queries
from jiceng.rectification.export import workbook_bytes
from jiceng.rectification.management.commands._common import (
    acting_user,
    add_filter_arguments,
    ledger_filter,
)


class Command(BaseCommand):
    help = "Export the rectification ledger (整改台账) to an Excel file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx file to write")
        add_filter_arguments(parser)

    def handle(self, *args, **opts):
        user = acting_user(opts.get("user"))
        f = ledger_filter(user, opts)
        entries = list(queries.ledger(user, f))
        Path(opts["file"]).write_bytes(workbook_bytes(entries, f.today))
        self.stdout.write(
            _("Wrote %(n)s entries to %(file)s.") % {"n": len(entries), "file": opts["file"]}
        )
