"""API authentication: bearer tokens (hashed at rest) and Django sessions."""

from __future__ import annotations

import re

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import APIKeyHeader
from ninja.security import SessionAuth as NinjaSessionAuth

from jiceng.accounts import throttle
from jiceng.accounts.actions import do_record_token_lockout
from jiceng.accounts.models import ApiToken, hash_token

TOKEN_RE = re.compile(r"^jc_[A-Za-z0-9_-]{20,100}$")


class AuthFailed(Exception):
    """A credential was given but is not valid; the message says why."""


class Throttled(Exception):
    """Too many bad tokens from this address: answered 429 with ``Retry-After``."""

    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds


def _refuse(request, message: str) -> AuthFailed:
    """Count a bad token against the caller's address; locked → ``Throttled``."""
    address = throttle.client_address(request)
    seconds = throttle.note_failure([(throttle.TOKEN_ADDRESS, address)])
    if seconds:
        do_record_token_lockout(address, seconds)
        return Throttled(seconds)
    return AuthFailed(message)


class TokenAuth(APIKeyHeader):
    """``Authorization: Bearer jc_…``. A malformed, unknown, revoked or expired token is a 401
    with a reason; too many of them from one address lock it out (429, ``accounts.throttle``).
    The token used is kept as ``request.api_token``.
    """

    param_name = "Authorization"

    def authenticate(self, request, key):
        if not key:
            return None
        seconds = throttle.seconds_locked(
            [throttle.TOKEN_ADDRESS.key(throttle.client_address(request))]
        )
        if seconds:
            raise Throttled(seconds)
        scheme, _sep, token = key.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _refuse(request, _("The Authorization header must be 'Bearer <token>'."))
        token = token.strip()
        if not TOKEN_RE.match(token):
            raise _refuse(request, _("The API token is malformed."))
        row = (
            ApiToken.objects.select_related("user", "user__node")
            .filter(token_hash=hash_token(token), revoked=False)
            .first()
        )
        if row is None or not row.user.is_active:
            raise _refuse(request, _("The API token is unknown or revoked."))
        if row.expired:
            raise _refuse(request, _("The API token has expired."))
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        request.api_token = row
        return row.user


class SessionAuth(NinjaSessionAuth):
    """The logged-in browser session (CSRF-checked for writes)."""
