"""Password logins with throttling and an audit row for every attempt."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from jiceng.accounts import actions, throttle
from jiceng.accounts.models import User


class LoginLocked(PermissionDenied):
    """The account or address is locked for ``seconds`` more seconds."""

    def __init__(self, seconds: int):
        super().__init__(f"login locked for {seconds} s")
        self.seconds = seconds


def _account(username: str) -> User | None:
    return (
        User.objects.select_related("node")
        .filter(username__iexact=(username or "").strip())
        .first()
    )


class ThrottledModelBackend(ModelBackend):
    """Django's username/password check, behind the per-account and per-address throttle.

    While locked it raises ``LoginLocked`` before looking at the password, so Django's
    ``authenticate`` gives up and the login form shows the lock message.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        address = throttle.client_address(request) if request is not None else "local"
        account = throttle.account_value(username)
        keys = [throttle.ACCOUNT.key(account), throttle.LOGIN_ADDRESS.key(address)]
        seconds = throttle.seconds_locked(keys)
        if seconds:
            # Not audited one by one (the lock itself is): hammering a lock would flood the trail.
            raise LoginLocked(seconds)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            locked = throttle.note_failure(
                [(throttle.ACCOUNT, account), (throttle.LOGIN_ADDRESS, address)]
            )
            actions.do_record_login_failure(
                username, address, user=_account(username), locked_seconds=locked
            )
            if locked:
                raise LoginLocked(locked)
            return None
        throttle.note_success(throttle.ACCOUNT, account)
        actions.do_record_login(user, address)
        return user
