"""``jiceng standards samples [--user NAME]``: load the sample catalogs shipped with jiceng."""

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiceng.standards.actions import do_load_samples

from ._common import actor_from, owner_from


class Command(BaseCommand):
    help = "Load the three sample catalogs (township, community, village); skips loaded ones."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="act as this user (needs manage_catalogs)")
        parser.add_argument(
            "--region",
            help="code of the owner region (default: the user's node, or the root of the tree)",
        )

    def handle(self, *args, user, region=None, **options):
        actor = actor_from(user)
        owner = owner_from(region)
        try:
            loaded = do_load_samples(actor, **owner)
        except PermissionDenied:
            raise CommandError(_("This user may not load catalogs.")) from None
        for c in loaded:
            self.stdout.write(
                _("Loaded %(title)s version %(version)s.")
                % {"title": c.title, "version": c.version}
            )
        if not loaded:
            self.stdout.write(_("The sample catalogs are already loaded."))
