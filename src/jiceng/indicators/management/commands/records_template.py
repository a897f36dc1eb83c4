"""jiceng records template FILE.zip: the record set template (one CSV per table)."""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiceng.analytics.template import template_zip


class Command(BaseCommand):
    help = "Write the record set template: one CSV per table with example rows, and 说明.csv."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the ZIP file to write")

    def handle(self, *args, file, **opts):
        Path(file).write_bytes(template_zip())
        self.stdout.write(_("Wrote the record set template to %(file)s.") % {"file": file})
