"""Writes to users and API tokens. Each runs in a transaction and writes an audit row.

``actor`` is the user doing it, or None for the command line (``jiceng createuser``).
When an actor is given, every node the write touches must be one they may manage users
on (``scope.Action.MANAGE_USERS``); otherwise ``Http404``/``PermissionDenied`` is raised.
Passwords and token hashes never enter the audit trail.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.models import ApiToken, Role, User, hash_token
from jiceng.core import audit, scope
from jiceng.core.errors import Problem, UserError, ValidationFailed
from jiceng.core.models import AuditEvent
from jiceng.orgs.models import Node

_UNSET = object()
USER_AUDIT_EXCLUDE = ("password", "last_login")


def _snapshot(user: User) -> dict | None:
    return audit.snapshot(user, exclude=USER_AUDIT_EXCLUDE)


def _require_manage(actor, node: Node | None) -> None:
    """The actor may manage users on ``node`` (a node-less user: global admins only)."""
    if actor is None:
        return
    if node is None:
        if not scope.is_global(actor):
            raise UserError(_("Only a system administrator may manage users without a unit."))
        return
    scope.require(actor, scope.Action.MANAGE_USERS, node)


def _check_placement(
    problems: list[Problem], role: str, node: Node | None, institution: Node | None
) -> None:
    if role not in Role.values:
        problems.append(
            Problem(
                _("Unknown role “%(role)s”; choose one of: %(roles)s.")
                % {"role": role, "roles": ", ".join(Role.values)},
                field="role",
            )
        )
    if node is None:
        problems.append(Problem(_("Choose the organisation unit of the user."), field="node"))
    elif role == Role.INSTITUTION_STAFF and not node.is_institution:
        problems.append(
            Problem(
                _("Institution staff must sit at an institution, not at %(name)s.")
                % {"name": node.name},
                field="node",
            )
        )
    if institution is not None and not institution.is_institution:
        problems.append(
            Problem(
                _("%(name)s is not an institution.") % {"name": institution.name},
                field="institution",
            )
        )


def _check_password(problems: list[Problem], password: str, user: User) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        problems.extend(Problem(str(m), field="password") for m in exc.messages)


@transaction.atomic
def do_create_user(
    actor,
    *,
    username: str,
    role: str,
    node: Node | None,
    institution: Node | None = None,
    display_name: str = "",
    email: str = "",
    password: str | None = None,
) -> User:
    """Create a user at ``node``; with no password the account cannot log in yet."""
    _require_manage(actor, node)
    if institution is not None:
        _require_manage(actor, institution)
    username = (username or "").strip()
    problems: list[Problem] = []
    if not username:
        problems.append(Problem(_("The username is required."), field="username"))
    else:
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError as exc:
            problems.extend(Problem(str(m), field="username") for m in exc.messages)
        if User.objects.filter(username__iexact=username).exists():
            problems.append(
                Problem(
                    _("The username %(username)s is already taken.") % {"username": username},
                    field="username",
                )
            )
    _check_placement(problems, role, node, institution)
    user = User(
        username=username,
        role=role,
        node=node,
        institution=institution,
        display_name=(display_name or "").strip(),
        email=(email or "").strip(),
    )
    if password:
        _check_password(problems, password, user)
    if problems:
        raise ValidationFailed(problems)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record(
        actor,
        "accounts.create_user",
        user,
        after=_snapshot(user),
        node_path=node.path if node else "",
    )
    return user


@transaction.atomic
def do_update_user(
    actor,
    user: User,
    *,
    role: str | None = None,
    node: Node | None | object = _UNSET,
    institution: Node | None | object = _UNSET,
    display_name: str | None = None,
    email: str | None = None,
    is_active: bool | None = None,
    reason: str = "",
) -> User:
    """Change a user's role, unit, institution, name, e-mail or active flag."""
    user = User.objects.select_for_update(of=("self",)).select_related("node").get(pk=user.pk)
    _require_manage(actor, user.node)
    before = _snapshot(user)
    new_node = user.node if node is _UNSET else node
    new_inst = user.institution if institution is _UNSET else institution
    if new_node is not None and (user.node is None or new_node.pk != user.node_id):
        _require_manage(actor, new_node)
    if new_inst is not None and new_inst.pk != user.institution_id:
        _require_manage(actor, new_inst)
    new_role = role if role is not None else user.role
    problems: list[Problem] = []
    _check_placement(problems, new_role, new_node, new_inst)
    if actor is not None and actor.pk == user.pk and is_active is False:
        problems.append(Problem(_("You cannot deactivate your own account."), field="is_active"))
    if problems:
        raise ValidationFailed(problems)
    user.role = new_role
    user.node = new_node
    user.institution = new_inst
    if display_name is not None:
        user.display_name = display_name.strip()
    if email is not None:
        user.email = email.strip()
    if is_active is not None:
        user.is_active = is_active
    user.save()
    after = _snapshot(user)
    if not user.is_active and (revoked := _revoke_all_tokens(user)):
        after["tokens_revoked"] = revoked
    audit.record(
        actor,
        "accounts.update_user",
        user,
        before=before,
        after=after,
        node_path=new_node.path if new_node else "",
        reason=reason,
    )
    return user


def do_deactivate_user(actor, user: User, reason: str = "") -> User:
    """Stop a user from logging in or using API tokens; nothing they did is deleted."""
    return do_update_user(actor, user, is_active=False, reason=reason)


def do_activate_user(actor, user: User, reason: str = "") -> User:
    return do_update_user(actor, user, is_active=True, reason=reason)


@transaction.atomic
def do_reset_password(actor, user: User, password: str) -> User:
    """Set a new password (checked by the password rules); the audit row says only that."""
    user = User.objects.select_for_update(of=("self",)).select_related("node").get(pk=user.pk)
    if actor is None or actor.pk != user.pk:
        _require_manage(actor, user.node)
    problems: list[Problem] = []
    _check_password(problems, password, user)
    if problems:
        raise ValidationFailed(problems)
    user.set_password(password)
    user.save(update_fields=["password"])
    revoked = _revoke_all_tokens(user)
    audit.record(
        actor,
        "accounts.reset_password",
        user,
        after={"password": "******", "tokens_revoked": revoked},
        node_path=user.node.path if user.node_id else "",
    )
    return user


@transaction.atomic
def do_record_own_password_change(user: User) -> User:
    """After a user changed their own password: revoke their tokens, write the audit row."""
    revoked = _revoke_all_tokens(user)
    audit.record(
        user,
        "accounts.change_own_password",
        user,
        after={"tokens_revoked": revoked},
        node_path=user.node.path if user.node_id else "",
    )
    return user


def _token_snapshot(token: ApiToken) -> dict | None:
    return audit.snapshot(token, exclude=("token_hash",))


@transaction.atomic
def do_create_token(
    actor, user: User, name: str, *, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new API token for ``user``; returns it with the raw value, which is never stored.

    Only a password (session) login may create tokens: the API refuses a token-authenticated
    request before calling this, so a stolen token cannot mint more.
    """
    if actor is not None and actor.pk != user.pk:
        raise UserError(_("You can only create API tokens for yourself."))
    name = (name or "").strip()
    problems: list[Problem] = []
    if not name:
        problems.append(Problem(_("Give the token a name."), field="name"))
    elif len(name) > 64:
        problems.append(Problem(_("The name is longer than 64 characters."), field="name"))
    if expires_at is not None and expires_at <= timezone.now():
        problems.append(Problem(_("The expiry must lie in the future."), field="expires_at"))
    if problems:
        raise ValidationFailed(problems)
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[:10], token_hash=hash_token(raw), expires_at=expires_at
    )
    audit.record(
        actor,
        "accounts.create_token",
        token,
        after=_token_snapshot(token),
        node_path=user.node.path if user.node_id else "",
    )
    return token, raw


def _revoke_all_tokens(user: User) -> int:
    """Revoke every live token of ``user`` (inside the caller's transaction and audit row)."""
    return ApiToken.objects.filter(user=user, revoked=False).update(revoked=True)


@transaction.atomic
def do_revoke_token(actor, token: ApiToken) -> ApiToken:
    """Revoke a token: it stops working at once. Revoking twice is harmless."""
    token = (
        ApiToken.objects.select_for_update(of=("self",))
        .select_related("user__node")
        .get(pk=token.pk)
    )
    if actor is not None and actor.pk != token.user_id:
        _require_manage(actor, token.user.node)
    if token.revoked:
        return token
    before = _token_snapshot(token)
    token.revoked = True
    token.save(update_fields=["revoked"])
    user = token.user
    audit.record(
        actor,
        "accounts.revoke_token",
        token,
        before=before,
        after=_token_snapshot(token),
        node_path=user.node.path if user.node_id else "",
    )
    return token


# --- Logins, failed logins, lockouts and logouts -------------------------------------------


def _mask(name: str) -> str:
    """An attempted username that matches no account, masked (it may be a mistyped password)."""
    name = (name or "").strip()
    if len(name) <= 2:
        return "*" * len(name)
    return f"{name[:2]}{'*' * min(len(name) - 2, 8)}"


def _login_event(
    action: str,
    *,
    user: User | None,
    attempted: str = "",
    address: str = "",
    actor: User | None = None,
    extra: dict | None = None,
) -> AuditEvent:
    after = {"address": address, **(extra or {})}
    if user is not None:
        return AuditEvent.objects.create(
            actor=actor,
            actor_name=actor.get_username() if actor else "anonymous",
            action=action,
            object_type=user._meta.label_lower,
            object_id=str(user.pk),
            object_repr=str(user.get_username())[:255],
            node_path=user.node.path if user.node_id else "",
            after=after,
        )
    masked = _mask(attempted)
    return AuditEvent.objects.create(
        actor=None,
        actor_name="anonymous",
        action=action,
        object_type=User._meta.label_lower,
        object_id="",
        object_repr=masked,
        node_path="",  # no account: only system administrators see it
        after={**after, "username": masked},
    )


def do_record_login(user: User, address: str) -> AuditEvent:
    """A successful password login (the session starts right after)."""
    return _login_event("accounts.login", user=user, actor=user, address=address)


def do_record_login_failure(
    attempted: str, address: str, *, user: User | None, locked_seconds: int = 0
) -> AuditEvent:
    """A failed login: the account if it exists (never the password); a lockout it started."""
    event = _login_event("accounts.login_failed", user=user, attempted=attempted, address=address)
    if locked_seconds:
        _login_event(
            "accounts.login_locked",
            user=user,
            attempted=attempted,
            address=address,
            extra={"seconds": locked_seconds},
        )
    return event


def do_record_logout(user: User, address: str) -> AuditEvent:
    return _login_event("accounts.logout", user=user, actor=user, address=address)


def do_record_token_lockout(address: str, seconds: int) -> AuditEvent:
    """Too many bad API tokens from one address: it is locked out for ``seconds``."""
    return AuditEvent.objects.create(
        actor=None,
        actor_name="anonymous",
        action="accounts.token_address_locked",
        object_type=ApiToken._meta.label_lower,
        object_id="",
        object_repr=address[:255],
        node_path="",
        after={"address": address, "seconds": seconds},
    )
