"""``jiceng maps import FILE``: import boundaries (GeoJSON or a zipped Shapefile), all or
nothing, with a progress bar while the features are checked."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from jiceng.core.errors import UserError, ValidationFailed
from jiceng.maps.actions import do_import_boundaries, plan_import
from jiceng.maps.models import BoundarySet
from jiceng.orgs.management.commands._common import acting_user


class Command(BaseCommand):
    help = "Import boundaries from a GeoJSON file or a zipped Shapefile (nothing is saved on any problem)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .geojson/.json file or a .zip holding a Shapefile")
        parser.add_argument("--user", help="import as this administrator (limited to their area)")
        parser.add_argument("--code-field", default="code", help="the property holding the code")

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        actor = acting_user(opts.get("user"))
        data = path.read_bytes()
        bar = tqdm(
            file=getattr(self.stderr, "_out", sys.stderr), unit=_("feature"), desc=_("Checking")
        )
        try:
            with bar:
                plan = plan_import(actor, data, path.name, opts["code_field"], progress=bar.update)
            fmt = BoundarySet.Format.SHAPEFILE if data[:4] == b"PK\x03\x04" else "geojson"
            bset = do_import_boundaries(
                actor, plan, path.name, fmt=fmt, code_field=opts["code_field"]
            )
        except ValidationFailed as exc:
            for p in exc.problems:
                self.stderr.write(str(p))
            self.stderr.write(exc.summary)
            sys.exit(1)
        except UserError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("Imported %(n)s boundaries from %(file)s.")
            % {"n": bset.features, "file": bset.filename}
        )
