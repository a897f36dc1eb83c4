"""``jiceng report summary --region CODE --year Y [--quarter Q] --out FILE.docx``.

Writes the work summary (or, with ``--quarter``, the progress report) of a region as a Word
document, with the PDF beside it (``FILE.pdf``) unless ``--no-pdf``; a progress bar on
stderr. The report is also stored and listed on the reports page.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from jiceng.assessments.management.commands._common import actor_from, node_for, run_action
from jiceng.reports import actions


class Command(BaseCommand):
    help = "Write the work summary of a region for a year (or a quarter) as .docx and PDF."

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="code of the region")
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--quarter", type=int, choices=[1, 2, 3, 4])
        parser.add_argument("--out", required=True, help="the .docx to write (PDF beside it)")
        parser.add_argument("--no-pdf", action="store_true", help="write the .docx only")
        parser.add_argument("--user", help="act as this user (sees only their part of the tree)")

    def handle(self, *args, region, year, quarter, out, no_pdf, user, **options):
        out_path = Path(out)
        if out_path.suffix.lower() != ".docx":
            raise CommandError(_("--out must name a .docx file: %(name)s") % {"name": out})
        if not out_path.parent.is_dir():
            raise CommandError(_("The folder %(dir)s does not exist.") % {"dir": out_path.parent})
        actor = actor_from(user)
        node = node_for(actor, region)
        report = run_action(self, actions.do_request_report, actor, node, year, quarter)
        bar = tqdm(total=100, file=sys.stderr, leave=False, unit="%")

        def progress(percent: int) -> None:
            bar.n = percent
            bar.refresh()

        report = run_action(
            self, actions.do_generate_report, actor, report, pdf=not no_pdf, progress=progress
        )
        bar.close()
        out_path.write_bytes(bytes(report.docx))
        written = [str(out_path)]
        if report.error:
            self.stderr.write(report.error)
        if report.has_pdf:
            pdf_path = out_path.with_suffix(".pdf")
            pdf_path.write_bytes(bytes(report.pdf))
            written.append(str(pdf_path))
        self.stdout.write(_("Written: %(files)s") % {"files": ", ".join(written)})
