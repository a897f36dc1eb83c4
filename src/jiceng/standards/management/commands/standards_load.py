"""``jiceng standards load FILE [--user NAME]``: validate and load a catalog into the platform."""

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiceng.core.errors import UserError, ValidationFailed
from jiceng.standards.actions import do_load_catalog
from jiceng.standards.catalog import load_catalog_file

from ._common import actor_from, fail, owner_from, print_problems


class Command(BaseCommand):
    help = "Validate a catalog (YAML, JSON or Excel) and load it; nothing is loaded on error."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", help="act as this user (needs manage_catalogs)")
        parser.add_argument(
            "--region",
            help="code of the owner region (default: the user's node, or the root of the tree)",
        )

    def handle(self, *args, file, user, region=None, **options):
        actor = actor_from(user)
        owner = owner_from(region)
        path = Path(file)
        try:
            spec = load_catalog_file(path)
        except FileNotFoundError:
            raise CommandError(_("File not found: %(file)s") % {"file": file}) from None
        except ValidationFailed as exc:
            print_problems(self, exc, _("The catalog is not valid; nothing was loaded:"))
            fail(1)
        text = "" if path.suffix.lower() in {".xlsx", ".xlsm"} else path.read_text("utf-8-sig")
        try:
            catalog = do_load_catalog(actor, spec, text, path.name, **owner)
        except PermissionDenied:
            raise CommandError(_("This user may not load catalogs.")) from None
        except UserError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _("Loaded %(title)s version %(version)s: %(n)s items.")
            % {"title": catalog.title, "version": catalog.version, "n": len(spec.items)}
        )
