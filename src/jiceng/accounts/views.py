"""Pages: user management for administrators, and each user's own API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.accounts import actions
from jiceng.accounts.forms import (
    PasswordResetForm,
    TokenCreateForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
    add_problems,
)
from jiceng.accounts.models import ApiToken, User
from jiceng.core import feedback, scope
from jiceng.core.errors import UserError, ValidationFailed
from jiceng.core.panels import is_admin
from jiceng.orgs import labels
from jiceng.orgs.models import Node

USERS_PAGE_SIZE = 50
NODE_CHOICES_LIMIT = 1000


def _require_admin(user) -> None:
    if not is_admin(user):
        raise PermissionDenied("user management is for administrators")


def _users_in_scope(actor):
    users = User.objects.select_related("node", "institution")
    if scope.is_global(actor):
        return users
    return users.filter(node__path__startswith=actor.node.path)


def _managed_user(actor, pk: int) -> User:
    """A user the actor may manage: 404 when outside their part of the tree."""
    _require_admin(actor)
    user = get_object_or_404(User.objects.select_related("node", "institution"), pk=pk)
    if user.node is None:
        if not scope.is_global(actor):
            raise Http404("user not found")
    else:
        scope.require(actor, scope.Action.MANAGE_USERS, user.node)
    return user


def _node_for_code(actor, form, field: str) -> Node | None:
    """The node named by a code field, if the actor may manage users there; else a form error."""
    code = (form.cleaned_data.get(field) or "").strip()
    if not code:
        return None
    node = Node.objects.filter(code=code).first()
    if node is None or not scope.can(actor, scope.Action.MANAGE_USERS, node):
        # Same message whether it does not exist or lies outside: existence is not revealed.
        form.add_error(
            field, _("No organisation unit with code %(code)s in your area.") % {"code": code}
        )
        return None
    return node


def _node_choices(actor):
    nodes = scope.visible_nodes(actor).only("code", "name", "path").order_by("path")
    return labels.label_nodes(nodes[:NODE_CHOICES_LIMIT], scope.scope_root(actor))


@login_required
def users(request):
    actor = request.user
    _require_admin(actor)
    qs = _users_in_scope(actor).order_by("node__path", "username")
    form = UserFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(Q(username__icontains=data["q"]) | Q(display_name__icontains=data["q"]))
        if data["role"]:
            qs = qs.filter(role=data["role"])
        if data["node"]:
            node = Node.objects.filter(code=data["node"].strip()).first()
            if node is None or not scope.can_see(actor, node):
                qs = qs.none()
            else:
                qs = qs.filter(node__path__startswith=node.path)
        if data["active"]:
            qs = qs.filter(is_active=data["active"] == "1")
    params = request.GET.copy()
    params.pop("page", None)
    page = Paginator(qs, USERS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/users.html",
        {"page": page, "form": form, "query": params.urlencode()},
    )


@login_required
def user_create(request):
    actor = request.user
    _require_admin(actor)
    initial = {"node": actor.node.code} if actor.node_id else {}
    form = UserCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        node = _node_for_code(actor, form, "node")
        institution = _node_for_code(actor, form, "institution")
        if not form.errors:
            data = form.cleaned_data
            try:
                user = actions.do_create_user(
                    actor,
                    username=data["username"],
                    role=data["role"],
                    node=node,
                    institution=institution,
                    display_name=data["display_name"],
                    email=data["email"],
                    password=data["password1"],
                )
            except ValidationFailed as exc:
                add_problems(form, exc.problems)
            else:
                messages.success(
                    request, _("User %(username)s created.") % {"username": user.username}
                )
                return redirect("accounts:users")
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "creating": True, "node_choices": _node_choices(actor)},
    )


@login_required
def user_edit(request, pk: int):
    actor = request.user
    target = _managed_user(actor, pk)
    initial = {
        "display_name": target.display_name,
        "email": target.email,
        "role": target.role,
        "node": target.node.code if target.node_id else "",
        "institution": target.institution.code if target.institution_id else "",
    }
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        node = _node_for_code(actor, form, "node")
        institution = _node_for_code(actor, form, "institution")
        if not form.errors:
            data = form.cleaned_data
            try:
                actions.do_update_user(
                    actor,
                    target,
                    role=data["role"],
                    node=node,
                    institution=institution,
                    display_name=data["display_name"],
                    email=data["email"],
                )
            except ValidationFailed as exc:
                add_problems(form, exc.problems)
            else:
                messages.success(
                    request, _("User %(username)s saved.") % {"username": target.username}
                )
                return redirect("accounts:users")
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "target": target, "node_choices": _node_choices(actor)},
    )


@login_required
@require_POST
def user_deactivate(request, pk: int):
    target = _managed_user(request.user, pk)
    try:
        actions.do_deactivate_user(request.user, target, reason=request.POST.get("reason", ""))
    except UserError as exc:
        feedback.flash(request, exc)
    else:
        messages.success(
            request, _("User %(username)s deactivated.") % {"username": target.username}
        )
    return redirect("accounts:users")


@login_required
@require_POST
def user_activate(request, pk: int):
    target = _managed_user(request.user, pk)
    actions.do_activate_user(request.user, target)
    messages.success(request, _("User %(username)s reactivated.") % {"username": target.username})
    return redirect("accounts:users")


@login_required
def user_password(request, pk: int):
    actor = request.user
    target = _managed_user(actor, pk)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_reset_password(actor, target, form.cleaned_data["password1"])
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            messages.success(
                request,
                _("The password of %(username)s was reset.") % {"username": target.username},
            )
            return redirect("accounts:users")
    return render(request, "accounts/user_password.html", {"form": form, "target": target})


NEW_TOKEN_SESSION_KEY = "jiceng_new_token"


@login_required
def tokens(request):
    """The user's own API tokens.

    Creating one redirects back here (so a reload does not create another); the raw value
    rides in the session for that one answer and is removed as it is shown.
    """
    user = request.user
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created, raw = actions.do_create_token(
                user, user, form.cleaned_data["name"], expires_at=form.expires_at()
            )
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            request.session[NEW_TOKEN_SESSION_KEY] = {"id": created.pk, "raw": raw}
            return redirect("accounts:tokens")
    new = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    created = ApiToken.objects.filter(pk=new["id"], user=user).first() if new else None
    rows = ApiToken.objects.filter(user=user).order_by("revoked", "-created_at")
    response = render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "tokens": rows,
            "raw_token": new["raw"] if created else None,
            "created": created,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    actions.do_revoke_token(request.user, token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:tokens")


class AuditedPasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, plus an audit row (without the password); revokes tokens."""

    def form_valid(self, form):
        response = super().form_valid(form)
        actions.do_record_own_password_change(self.request.user)
        return response
