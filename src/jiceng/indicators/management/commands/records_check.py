"""jiceng records check DIR: validate a resident-level record set without loading it."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiceng.analytics import check_recordset

from ._common import Bar, print_problems, tree_for


class Command(BaseCommand):
    help = "Validate a resident-level record set (a directory of CSV/XLSX/Parquet tables)."

    def add_arguments(self, parser):
        parser.add_argument("dir", help="record set directory")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        src = Path(opts["dir"])
        bar = Bar(not opts["no_progress"])
        try:
            result = check_recordset(src, tree=tree_for(src), progress=bar)
        finally:
            bar.close()
        print_problems(self.stderr, result.problems, result.warnings)
        for name, n in result.counts.items():
            self.stdout.write(_("%(table)s: %(rows)s rows") % {"table": name, "rows": n})
        if result.problems:
            self.stderr.write(
                _("%(n)s problems found; fix them and check again.") % {"n": len(result.problems)}
            )
            sys.exit(1)
        self.stdout.write(_("The record set is valid."))
