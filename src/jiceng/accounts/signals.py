"""Signal receivers: a logout leaves an audit row (logins are recorded by the backend)."""

from __future__ import annotations

from jiceng.accounts import actions, throttle


def record_logout(sender, request, user, **kwargs) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        return
    actions.do_record_logout(user, throttle.client_address(request) if request else "")
