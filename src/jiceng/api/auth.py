"""API authentication: bearer tokens (hashed at rest) and Django sessions."""

from __future__ import annotations

import re

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import APIKeyHeader
from ninja.security import SessionAuth as NinjaSessionAuth

from jiceng.accounts.models import ApiToken, hash_token

TOKEN_RE = re.compile(r"^jc_[A-Za-z0-9_-]{20,100}$")


class AuthFailed(Exception):
    """A credential was given but is not valid; the message says why."""


class TokenAuth(APIKeyHeader):
    """``Authorization: Bearer jc_…``. A malformed or unknown token is a 401 with a reason."""

    param_name = "Authorization"

    def authenticate(self, request, key):
        if not key:
            return None
        scheme, _sep, token = key.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthFailed(_("The Authorization header must be 'Bearer <token>'."))
        token = token.strip()
        if not TOKEN_RE.match(token):
            raise AuthFailed(_("The API token is malformed."))
        row = (
            ApiToken.objects.select_related("user", "user__node")
            .filter(token_hash=hash_token(token), revoked=False)
            .first()
        )
        if row is None or not row.user.is_active:
            raise AuthFailed(_("The API token is unknown or revoked."))
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        return row.user


class SessionAuth(NinjaSessionAuth):
    """The logged-in browser session (CSRF-checked for writes)."""
