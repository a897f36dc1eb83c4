"""``jiceng evaluation import FILE --institution CODE --cycle ID --level L [--user NAME]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiceng.assessments import actions, queries
from jiceng.assessments.models import Level, Submission

from ._common import actor_from, node_for, run_action


class Command(BaseCommand):
    help = (
        "Import a whole self-assessment or review from Excel (one row per item) with the "
        "same checks as the form; nothing is saved on error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--institution", required=True, help="code of the institution")
        parser.add_argument("--cycle", required=True, type=int, help="id of the cycle")
        parser.add_argument("--level", required=True, choices=[lv.value for lv in Level])
        parser.add_argument("--user", help="act as this user")

    def handle(self, *args, file, institution, cycle, level, user, **options):
        actor = actor_from(user)
        node = node_for(actor, institution)
        sub = Submission.objects.filter(cycle_id=cycle, institution=node).first()
        if sub is None:
            raise CommandError(
                _("%(inst)s has no submission in cycle %(cycle)s.")
                % {"inst": node.name, "cycle": cycle}
            )
        path = Path(file)
        if not path.exists():
            raise CommandError(_("File not found: %(file)s") % {"file": file})
        sub = run_action(
            self,
            actions.do_import_grades,
            actor,
            sub,
            level,
            path.read_bytes(),
            path.name,
            version=None,
        )
        missing = actions.missing_items(sub, level)
        self.stdout.write(
            _("Imported the grades of %(inst)s (%(level)s).")
            % {"inst": node.name, "level": Level(level).label}
        )
        if missing:
            self.stdout.write(_("Still missing: %(codes)s") % {"codes": "、".join(missing)})
        else:
            self.stdout.write(queries.verdict_text(queries.verdict_reasons(sub, level)))
