"""``jiceng surveys load FILE [--user NAME] [--region CODE]``: load a questionnaire."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiceng.core.errors import UserError, ValidationFailed
from jiceng.orgs.management.commands._common import acting_user, problem_line
from jiceng.orgs.models import Node
from jiceng.surveys.actions import do_load_questionnaire
from jiceng.surveys.questionnaire import load_questionnaire_file


class Command(BaseCommand):
    help = "Validate a satisfaction questionnaire and load it; nothing is loaded on error."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", help="act as this user (an administrator)")
        parser.add_argument("--region", help="code of the owner region (default: the root)")

    def handle(self, *args, file, user=None, region=None, **options):
        actor = acting_user(user)
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        if region:
            owner = Node.objects.filter(code=region).first()
            if owner is None:
                raise CommandError(_("No such unit: %(code)s") % {"code": region})
        elif actor is not None:
            owner = actor.node
        else:
            owner = Node.objects.filter(parent__isnull=True).order_by("path").first()
        try:
            q = load_questionnaire_file(path)
            loaded = do_load_questionnaire(
                actor, q, path.read_text(encoding="utf-8-sig"), path.name, owner=owner
            )
        except ValidationFailed as exc:
            for p in exc.problems:
                self.stderr.write(problem_line(p))
            sys.exit(1)
        except PermissionDenied:
            raise CommandError(_("This user may not load questionnaires.")) from None
        except UserError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _("Loaded %(name)s version %(version)s.")
            % {"name": loaded.name, "version": loaded.version}
        )
