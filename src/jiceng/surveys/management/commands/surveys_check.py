"""``jiceng surveys check FILE``: validate a questionnaire (every problem, by line and field)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiceng.core.errors import ValidationFailed
from jiceng.orgs.management.commands._common import problem_line
from jiceng.surveys.questionnaire import load_questionnaire_file


class Command(BaseCommand):
    help = "Validate a satisfaction questionnaire (YAML or JSON); exit 1 on any problem."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        try:
            q = load_questionnaire_file(path)
        except ValidationFailed as exc:
            for p in exc.problems:
                self.stderr.write(problem_line(p))
            sys.exit(1)
        for p in q.warnings:
            self.stderr.write(problem_line(p))
        self.stdout.write(
            _("%(name)s version %(version)s: %(n)s questions, overall question %(overall)s.")
            % {"name": q.name, "version": q.version, "n": len(q.questions), "overall": q.overall}
        )
