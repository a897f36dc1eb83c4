"""``jiceng orgs template FILE.xlsx``: an empty import template with instructions."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiceng.orgs import excel


class Command(BaseCommand):
    help = "Write an empty import template (with an example in its instructions sheet)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx file to write")

    def handle(self, *args, **opts):
        Path(opts["file"]).write_bytes(excel.write_workbook([], [], example=True))
        self.stdout.write(_("Wrote the template to %(file)s.") % {"file": opts["file"]})
