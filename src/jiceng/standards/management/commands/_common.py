"""Helpers shared by the ``jiceng standards …`` commands."""

from __future__ import annotations

import sys

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from jiceng.core.errors import ValidationFailed


def actor_from(username: str | None):
    """The user named by --user, or None (the system) when not given."""
    if not username:
        return None
    from jiceng.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("No active user named %(name)s.") % {"name": username})
    return user


def owner_from(code: str | None) -> dict:
    """``{"owner": node}`` for --region CODE, or {} to let the action choose its default."""
    if not code:
        return {}
    from jiceng.orgs.models import Node

    node = Node.objects.filter(code=code).first()
    if node is None:
        raise CommandError(_("No unit with code %(code)s.") % {"code": code})
    return {"owner": node}


def print_problems(command, exc: ValidationFailed, heading: str) -> None:
    command.stderr.write(heading)
    for p in exc.problems:
        command.stderr.write(f"  {p}")


def fail(code: int = 1):
    sys.exit(code)
