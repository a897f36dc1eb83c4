"""``jiceng evaluation verdict --institution CODE --year Y [--level L]``: a verdict and its reasons."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiceng.assessments import queries
from jiceng.assessments.models import Level, Submission

from ._common import actor_from, node_for


class Command(BaseCommand):
    help = "Print an institution's verdict with its reasons (the same text as the web page)."

    def add_arguments(self, parser):
        parser.add_argument("--institution", required=True)
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--level", choices=[lv.value for lv in Level])
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--user", help="act as this user (limited to their area)")

    def handle(self, *args, institution, year, level, json: bool, user, **options):
        actor = actor_from(user)
        node = node_for(actor, institution)
        sub = Submission.objects.filter(institution=node, cycle__year=year).first()
        if sub is None:
            raise CommandError(
                _("%(inst)s has no submission in %(year)s.") % {"inst": node.name, "year": year}
            )
        if actor is not None:  # a person reads what the page shows them
            if level and not queries.can_read_level(actor, sub, level):
                raise CommandError(_("This level is not approved yet."))
            level = level or queries.shown_verdict_level(actor, sub)
        reasons = queries.verdict_reasons(sub, level)
        if json:
            reasons.pop("raw", None)
            self.stdout.write(_dumps(reasons))
        else:
            self.stdout.write(queries.verdict_text(reasons))


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
