"""``jiceng surveys import FILE --questionnaire CODE --period P [--user NAME]``: import a
phone-survey file (CSV or Excel), all or nothing, with a progress bar."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from jiceng.core.errors import UserError, ValidationFailed
from jiceng.orgs.management.commands._common import acting_user, problem_line
from jiceng.surveys.actions import do_import_responses
from jiceng.surveys.models import Questionnaire


class Command(BaseCommand):
    help = "Import survey responses (CSV or Excel); nothing is saved if any row has a problem."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--questionnaire", required=True, help="questionnaire code")
        parser.add_argument(
            "--questionnaire-version", dest="qversion", help="its version (default: newest)"
        )
        parser.add_argument("--period", required=True, help="a quarter (2026Q1) or a year")
        parser.add_argument("--user", help="import as this user (limited to their region)")

    def handle(self, *args, file, questionnaire, period, qversion=None, user=None, **options):
        actor = acting_user(user)
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        qs = Questionnaire.objects.filter(code=questionnaire)
        if qversion:
            qs = qs.filter(version=qversion)
        q = qs.order_by("-loaded_at").first()
        if q is None:
            raise CommandError(_("No such questionnaire: %(code)s") % {"code": questionnaire})
        bar = tqdm(file=sys.stderr, unit=_("row"), desc=_("Importing"), leave=False)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            with bar:
                batch = do_import_responses(
                    actor, q, period, path.read_bytes(), path.name, progress=progress
                )
        except ValidationFailed as exc:
            for p in exc.problems:
                self.stderr.write(problem_line(p))
            if exc.summary:
                self.stderr.write(exc.summary)
            sys.exit(1)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except UserError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _("Imported %(n)s responses of %(name)s for %(period)s.")
            % {"n": batch.responses, "name": q.name, "period": batch.period}
        )
