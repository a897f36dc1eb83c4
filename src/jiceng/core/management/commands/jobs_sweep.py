"""``jiceng jobs sweep``: mark background jobs whose worker died failed, remove stray files."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiceng.core.jobs import sweep


class Command(BaseCommand):
    help = (
        "Mark background jobs whose worker died (no heartbeat within JICENG_JOB_LEASE_SECONDS) "
        "failed, and remove partial files and uploads no job needs. Runs at worker start."
    )

    def handle(self, *args, **options):
        n = sweep()
        self.stdout.write(_("%(n)s interrupted background jobs marked failed.") % {"n": n})
