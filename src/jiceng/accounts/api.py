"""API: the caller themself, and their API tokens."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from jiceng.accounts import actions
from jiceng.accounts.forms import expiry
from jiceng.accounts.models import ApiToken
from jiceng.api.pagination import Pages, Rows
from jiceng.core.errors import Problem, ValidationFailed

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    node_code: str | None
    node_name: str | None


@router.get("/me", response=MeOut, summary="The authenticated user")
def me(request):
    u = request.user
    return MeOut(
        username=u.username,
        display_name=u.display_name,
        role=u.role,
        node_code=u.node.code if u.node_id else None,
        node_name=u.node.name if u.node_id else None,
    )


class TokenIn(Schema):
    name: str = Field(..., max_length=64)
    expires_in_days: int | None = Field(
        None, ge=1, le=3650, description="the token stops working after this many days"
    )
    expires_on: dt.date | None = Field(None, description="…or after this day (inclusive)")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked: bool
    expires_at: dt.datetime | None
    expired: bool


class Detail(Schema):
    detail: str


class TokenCreated(TokenOut):
    token: str


def _out(t: ApiToken) -> dict:
    return {
        "id": t.pk,
        "name": t.name,
        "prefix": t.prefix,
        "created_at": t.created_at,
        "last_used_at": t.last_used_at,
        "revoked": t.revoked,
        "expires_at": t.expires_at,
        "expired": t.expired,
    }


@router.post(
    "/tokens",
    response={201: TokenCreated, 403: Detail},
    summary="Create an API token for yourself; the raw token is in this answer only",
    description="Needs a password (session) login: a request made with a token is refused, "
    "so that a leaked token cannot mint more.",
)
def create_token(request, payload: TokenIn):
    if getattr(request, "api_token", None) is not None:
        return Status(
            403, {"detail": _("Creating an API token needs a password login, not a token.")}
        )
    if payload.expires_in_days and payload.expires_on:
        raise ValidationFailed(
            [Problem(_("Give either a number of days or a date, not both."), field="expires_on")]
        )
    token, raw = actions.do_create_token(
        request.user,
        request.user,
        payload.name,
        expires_at=expiry(payload.expires_in_days, payload.expires_on),
    )
    return Status(201, {**_out(token), "token": raw})


@router.get("/tokens", response=list[TokenOut], summary="Your API tokens (never the raw value)")
@paginate(Pages)
def list_tokens(request):
    rows = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id")
    return Rows(rows, _out)


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke one of your tokens")
def revoke_token(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    actions.do_revoke_token(request.user, token)
    return Status(204, None)
