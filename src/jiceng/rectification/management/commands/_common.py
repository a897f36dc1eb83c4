"""Shared bits of the ledger commands: the acting user and the ledger filter options."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from jiceng.core import scope
from jiceng.orgs.models import Node
from jiceng.rectification.models import Source, Status
from jiceng.rectification.queries import LedgerFilter


def add_filter_arguments(parser) -> None:
    parser.add_argument("--user", help="act as this user (limited to their area)")
    parser.add_argument("--region", help="code of a region or institution")
    parser.add_argument("--status", choices=Status.values)
    parser.add_argument("--source", choices=Source.values)
    parser.add_argument("--due-from", help="deadline on or after this date (YYYY-MM-DD)")
    parser.add_argument("--due-to", help="deadline on or before this date (YYYY-MM-DD)")
    parser.add_argument("--overdue", action="store_true", help="only overdue entries")
    parser.add_argument("--today", help="count overdue as of this date (default: today)")


def acting_user(username: str | None):
    """The user named by ``--user``, or None (the system, which sees the whole tree)."""
    if not username:
        return None
    from jiceng.accounts.models import User

    user = User.objects.select_related("node").filter(username=username).first()
    if user is None or not user.is_active:
        raise CommandError(_("There is no active user %(name)s.") % {"name": username})
    return user


def _date(value: str | None, option: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("%(option)s: the date %(value)s is not a valid date (YYYY-MM-DD).")
            % {"option": option, "value": value}
        ) from None


def ledger_filter(user, opts) -> LedgerFilter:
    """The filter the options describe; an unknown or invisible region is an error."""
    region = None
    if opts.get("region"):
        nodes = Node.objects.all() if user is None else scope.visible_nodes(user)
        region = nodes.filter(code=opts["region"]).first()
        if region is None:
            raise CommandError(_("Unknown region %(code)s.") % {"code": opts["region"]})
    f = LedgerFilter(
        region=region,
        status=opts.get("status") or "",
        source=opts.get("source") or "",
        due_from=_date(opts.get("due_from"), "--due-from"),
        due_to=_date(opts.get("due_to"), "--due-to"),
        overdue=bool(opts.get("overdue")),
    )
    today = _date(opts.get("today"), "--today")
    if today:
        f.today = today
    return f
