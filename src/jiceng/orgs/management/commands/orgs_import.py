"""``jiceng orgs import FILE.xlsx``: import the organisation tree, all or nothing."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from jiceng.core.errors import UserError, ValidationFailed
from jiceng.orgs.actions import do_import_tree
from jiceng.orgs.importer import plan_import
from jiceng.orgs.management.commands._common import acting_user, problem_line

PROGRESS_FROM = 200  # rows; smaller files need no progress bar


class Command(BaseCommand):
    help = "Import units and yearly figures from an Excel file (nothing is saved on any problem)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx file in the import template")
        parser.add_argument("--user", help="import as this user (limited to their area)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count, but save nothing"
        )

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        actor = acting_user(opts.get("user"))
        try:
            plan = plan_import(path.read_bytes(), path.name, actor=actor)
        except ValidationFailed as exc:
            for p in exc.problems:
                self.stderr.write(problem_line(p))
            self.stderr.write(
                _("%(n)s problem(s) found; nothing was saved.") % {"n": len(exc.problems)}
            )
            sys.exit(1)
        except UserError as exc:
            raise CommandError(str(exc)) from exc
        bar = tqdm(
            total=plan.size,
            file=getattr(self.stderr, "_out", sys.stderr),
            unit=_("row"),
            disable=plan.size < PROGRESS_FROM,
            desc=_("Importing"),
        )
        with bar:
            result = do_import_tree(actor, plan, progress=bar.update, dry_run=opts["dry_run"])
        summary = _(
            "Units: %(created)s created, %(updated)s updated (%(moved)s moved, "
            "%(renamed)s renamed), %(unchanged)s unchanged. Yearly rows: %(years)s "
            "written, %(years_same)s unchanged."
        ) % {
            "created": result.created,
            "updated": result.updated,
            "moved": result.moved,
            "renamed": result.renamed,
            "unchanged": result.unchanged,
            "years": result.years_written,
            "years_same": result.years_unchanged,
        }
        if opts["dry_run"]:
            summary = _("Dry run, nothing saved.") + " " + summary
        self.stdout.write(summary)
