"""Home page per role (a registry of panels, see ``core/home.py``) and the audit trail."""

from __future__ import annotations

import json

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from jiceng.core import scope
from jiceng.core.forms import AuditFilterForm
from jiceng.core.home import render_panels
from jiceng.core.models import AuditEvent

AUDIT_PAGE_SIZE = 50


@login_required
def home(request):
    return render(request, "core/home.html", {"panels": render_panels(request)})


def _audit_events(user):
    """The audit events ``user`` may read: those under their node; 403 for non-admins."""
    return scope.visible_audit(user, AuditEvent.objects.all())


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def audit_trail(request):
    events = _audit_events(request.user)
    form = AuditFilterForm(request.GET or None)
    if form.is_bound:
        events = form.filter(events) if form.is_valid() else events.none()
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit.html",
        {"page": page, "form": form, "query": _query_without_page(request)},
    )


def display_value(value) -> str:
    """A snapshot value as a person reads it: 是/否 for booleans, — for nothing."""
    if value is None or value == "":
        return "—"
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def diff_rows(before: dict | None, after: dict | None) -> list[dict]:
    """Rows ``{"field", "before", "after", "changed"}`` over the union of both snapshots."""
    before = before or {}
    after = after or {}
    fields = list(before) + [f for f in after if f not in before]
    rows = []
    for field in fields:
        b, a = before.get(field), after.get(field)
        rows.append(
            {
                "field": field,
                "before": b,
                "after": a,
                "before_display": display_value(b),
                "after_display": display_value(a),
                "in_before": field in before,
                "in_after": field in after,
                "changed": (field in before) != (field in after) or b != a,
            }
        )
    return rows


def _require_object_without_trail(object_type: str, object_id: str) -> None:
    """404 unless the object exists and has no audit rows at all (an empty trail is shown).

    Rows the user may not read make it 404, so an object out of sight stays out of sight.
    """
    if AuditEvent.objects.filter(object_type=object_type, object_id=object_id).exists():
        raise Http404("no audit events of this object in sight")
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        raise Http404("unknown object type") from None
    if not model._default_manager.filter(pk=object_id).exists():
        raise Http404("no such object")


@login_required
def audit_object(request, object_type: str, object_id: str):
    events = _audit_events(request.user).filter(object_type=object_type, object_id=object_id)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    if not page.object_list:
        _require_object_without_trail(object_type, object_id)
    show_all = request.GET.get("all") == "1"
    entries = []
    for event in page:
        rows = diff_rows(event.before, event.after)
        entries.append(
            {
                "event": event,
                "rows": rows if show_all else [r for r in rows if r["changed"]],
                "hidden": 0 if show_all else sum(1 for r in rows if not r["changed"]),
            }
        )
    return render(
        request,
        "core/audit_object.html",
        {
            "page": page,
            "entries": entries,
            "object_type": object_type,
            "object_id": object_id,
            "object_repr": page.object_list[0].object_repr if page.object_list else "",
            "show_all": show_all,
            "query": _query_without_page(request),
        },
    )
