"""``jiceng createuser USERNAME --role ROLE --node CODE``: create a user from the terminal."""

from __future__ import annotations

import getpass
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from jiceng.accounts import actions
from jiceng.accounts.models import Role
from jiceng.core.errors import ValidationFailed
from jiceng.orgs.models import Node


class Command(BaseCommand):
    help = "Create a user attached to a node of the organisation tree."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help="one of: " + ", ".join(Role.values))
        parser.add_argument("--node", required=True, help="code of the node the user sits at")
        parser.add_argument("--institution", help="code of the institution the user works at")
        parser.add_argument("--display-name", default="", help="the name shown in the pages")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password",
            help="the password; when left out it is asked for (or the account cannot log in "
            "until an administrator sets one, if there is no terminal)",
        )

    def _node(self, code: str, what: str) -> Node:
        node = Node.objects.filter(code=code).first()
        if node is None:
            raise CommandError(
                _("There is no %(what)s with code %(code)s in the organisation tree.")
                % {"what": what, "code": code}
            )
        return node

    def _ask_password(self) -> str | None:
        if not sys.stdin.isatty():
            return None
        for _attempt in range(3):
            first = getpass.getpass(_("Password: "))
            second = getpass.getpass(_("Password (again): "))
            if first == second and first:
                return first
            self.stderr.write(_("The passwords are empty or differ; try again."))
        raise CommandError(_("No password given."))

    def handle(self, *args, **options):
        # The command speaks the platform's language (Chinese), whatever ran before it.
        with translation.override(settings.LANGUAGE_CODE):
            self._create(**options)

    def _create(self, *, username, role, node, institution, display_name, email, password, **o):
        if role not in Role.values:
            raise CommandError(
                _("Unknown role “%(role)s”; choose one of: %(roles)s.")
                % {"role": role, "roles": ", ".join(Role.values)}
            )
        node_obj = self._node(node, _("organisation unit"))
        inst_obj = self._node(institution, _("institution")) if institution else None
        if password is None:
            password = self._ask_password()
        try:
            user = actions.do_create_user(
                None,
                username=username,
                role=role,
                node=node_obj,
                institution=inst_obj,
                display_name=display_name,
                email=email,
                password=password,
            )
        except ValidationFailed as exc:
            raise CommandError("\n".join(str(p) for p in exc.problems)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("Created user %(username)s (%(role)s) at %(node)s.")
                % {"username": user.username, "role": user.get_role_display(), "node": node_obj}
            )
        )
        if not password:
            self.stdout.write(_("The account has no password yet: an administrator must set one."))
