"""``jiceng aggregates totals [--dataset CODE]``: rebuild the units' yearly totals from the
values (every write keeps them; this is for a database restored or edited by hand)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiceng.aggregates.totals import rebuild


class Command(BaseCommand):
    help = "Rebuild the yearly totals of aggregate values from the values themselves."

    def add_arguments(self, parser):
        parser.add_argument("--dataset", action="append", help="only this data set code")

    def handle(self, *args, **opts):
        n = rebuild(opts.get("dataset"))
        self.stdout.write(_("Rebuilt the yearly totals of %(n)d data sets.") % {"n": n})
