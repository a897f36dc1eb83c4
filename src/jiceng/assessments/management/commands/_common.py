"""Helpers shared by the ``jiceng evaluation …`` commands."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from jiceng.core.errors import UserError, ValidationFailed


def actor_from(username: str | None):
    """The user named by --user, or None (the system, which sees the whole tree)."""
    if not username:
        return None
    from jiceng.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("No active user named %(name)s.") % {"name": username})
    return user


def node_for(actor, code: str):
    """The node with ``code``, if the actor may see it."""
    from jiceng.core import scope
    from jiceng.orgs.models import Node

    node = Node.objects.filter(code=code).first()
    if node is None or (actor is not None and not scope.can_see(actor, node)):
        raise CommandError(_("No organisation unit with code %(code)s.") % {"code": code})
    return node


def run_action(command, fn, *args, **kwargs):
    """Run an action, turning refusals and bad input into clear command errors."""
    try:
        return fn(*args, **kwargs)
    except (PermissionDenied, Http404):
        raise CommandError(_("This user may not do this here.")) from None
    except ValidationFailed as exc:
        command.stderr.write(_("Nothing was changed:"))
        if exc.summary:
            command.stderr.write(f"  {exc.summary}")
        for p in exc.problems:
            command.stderr.write(f"  {p}")
        raise CommandError(_("The input has problems; nothing was saved.")) from None
    except UserError as exc:
        raise CommandError(str(exc)) from None
