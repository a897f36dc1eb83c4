"""Shared bits of the orgs commands: finding the acting user, printing problems."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from jiceng.core.errors import Problem


def acting_user(username: str | None):
    """The user named by ``--user``, or None (the system, which sees the whole tree)."""
    if not username:
        return None
    from jiceng.accounts.models import User

    user = User.objects.select_related("node").filter(username=username).first()
    if user is None or not user.is_active:
        raise CommandError(_("There is no active user %(name)s.") % {"name": username})
    return user


def problem_line(p: Problem) -> str:
    """``文件 第N行 列X：原因`` — one line per problem."""
    parts = [p.file or "-"]
    if p.row is not None:
        parts.append(_("row %(row)s") % {"row": p.row})
    if p.column:
        column = p.column
        if p.field:
            column = f"{column}（{p.field}）"
        parts.append(_("column %(column)s") % {"column": column})
    return " ".join(parts) + "：" + p.message
