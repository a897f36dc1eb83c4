"""``jiceng orgs export FILE.xlsx``: the tree in the import template (round-trips)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiceng.core import scope
from jiceng.orgs import queries
from jiceng.orgs.management.commands._common import acting_user
from jiceng.orgs.models import Node


class Command(BaseCommand):
    help = "Export units and yearly figures to an Excel file in the import template."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx file to write")
        parser.add_argument("--root", help="export only this unit and what lies below it")
        parser.add_argument("--year", type=int, help="export only the figures of this year")
        parser.add_argument("--user", help="export as this user (limited to their area)")

    def handle(self, *args, **opts):
        actor = acting_user(opts.get("user"))
        nodes = scope.visible_nodes(actor) if actor else Node.objects.all()
        if opts.get("root"):
            root = nodes.filter(code=opts["root"]).first()
            if root is None:
                raise CommandError(
                    _("There is no unit with the code %(code)s.") % {"code": opts["root"]}
                )
            nodes = nodes.filter(path__startswith=root.path)
        data = queries.export_workbook(nodes, opts.get("year"))
        Path(opts["file"]).write_bytes(data)
        self.stdout.write(
            _("Wrote %(n)s units to %(file)s.") % {"n": nodes.count(), "file": opts["file"]}
        )
