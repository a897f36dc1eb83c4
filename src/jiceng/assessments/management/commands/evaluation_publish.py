"""``jiceng evaluation publish --region CODE --year Y [--user NAME]``: publish a region's list."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiceng.assessments import actions, queries

from ._common import actor_from, node_for, run_action


class Command(BaseCommand):
    help = "Publish the evaluation results (公示) of a region for a year and print the counts."

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="code of the region")
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--note", default="")
        parser.add_argument("--user", help="act as this user (needs publish on the region)")

    def handle(self, *args, region, year, note, user, **options):
        actor = actor_from(user)
        node = node_for(actor, region)
        run_action(self, actions.do_publish, actor, node, year, note)
        table = queries.publication_table(node, year)
        self.stdout.write(
            _("Published the %(year)s list of %(region)s.") % {"year": year, "region": node.name}
        )
        self.stdout.write(queries.headline_sentence(table))
