"""API test helpers: bearer tokens for the personas and a client that sends them."""

from __future__ import annotations

import pytest


def make_token(user) -> str:
    from jiceng.accounts.models import ApiToken, hash_token

    raw = ApiToken.generate()
    ApiToken.objects.create(user=user, name="t", prefix=raw[:8], token_hash=hash_token(raw))
    return raw


@pytest.fixture
def api(client):
    """``api(user)`` → a function ``call(method, path, **kw)`` authenticated with a token."""

    def for_user(user):
        token = make_token(user) if user is not None else None

        def call(method, path, **kwargs):
            headers = kwargs.pop("headers", {})
            if token:
                headers.setdefault("Authorization", f"Bearer {token}")
            fn = getattr(client, method.lower())
            if "json" in kwargs:
                kwargs["data"] = kwargs.pop("json")
                kwargs["content_type"] = "application/json"
            return fn(f"/api/v1{path}", headers=headers, **kwargs)

        return call

    return for_user
