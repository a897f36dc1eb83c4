"""Home page per role (a registry of panels, see ``core/home.py``) and the audit trail."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.cache import patch_cache_control

from jiceng.core import audit_labels, scope
from jiceng.core.forms import AuditFilterForm
from jiceng.core.home import render_panels
from jiceng.core.models import AuditEvent

AUDIT_PAGE_SIZE = 50


def favicon(request):
    """Browsers ask for /favicon.ico by default: send them to the SVG icon (no login)."""
    response = HttpResponseRedirect(static("jiceng/favicon.svg"))
    patch_cache_control(response, public=True, max_age=86400)
    return response


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
    visible = _audit_events(request.user)
    form = AuditFilterForm(request.GET or None, user=request.user, events=visible)
    events = visible.select_related("actor")
    if form.is_bound:
        events = form.filter(events) if form.is_valid() else events.none()
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit.html",
        {
            "page": page,
            "rows": audit_labels.present(page.object_list),
            "form": form,
            "query": _query_without_page(request),
        },
    )


def display_value(value) -> str:
    """A snapshot value as a person reads it: 是/否 for booleans, — for nothing."""
    return audit_labels.plain_value(value)


def diff_rows(
    before: dict | None,
    after: dict | None,
    object_type: str = "",
    names: audit_labels.Names | None = None,
) -> list[dict]:
    """Rows ``{"field", "label", "before", "after", "changed"}`` over both snapshots.

    ``label`` and the ``*_display`` values are in words (:mod:`jiceng.core.audit_labels`);
    ``names`` holds the objects that foreign keys point to.
    """
    before = before or {}
    after = after or {}
    fields = list(before) + [f for f in after if f not in before]
    rows = []
    for field in fields:
        b, a = before.get(field), after.get(field)
        rows.append(
            {
                "field": field,
                "label": audit_labels.field_label(object_type, field),
                "before": b,
                "after": a,
                "before_display": audit_labels.display(object_type, field, b, names),
                "after_display": audit_labels.display(object_type, field, a, names),
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
    events = (
        _audit_events(request.user)
        .filter(object_type=object_type, object_id=object_id)
        .select_related("actor")
    )
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    if not page.object_list:
        _require_object_without_trail(object_type, object_id)
    show_all = request.GET.get("all") == "1"
    names = audit_labels.Names()
    names.want(audit_labels.model_of(object_type), object_id)
    for event in page.object_list:
        names.want_snapshot(object_type, event.before)
        names.want_snapshot(object_type, event.after)
    names.load()
    obj = names.get(audit_labels.model_of(object_type), object_id)
    entries = []
    for row in audit_labels.present(page.object_list, with_objects=False):
        event = row["event"]
        rows = diff_rows(event.before, event.after, object_type, names)
        entries.append(
            {
                **row,
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
            "object_repr": (
                str(obj)
                if obj is not None
                else page.object_list[0].object_repr
                if page.object_list
                else ""
            ),
            "object_type_label": audit_labels.object_type_label(object_type),
            "object_url": audit_labels.object_url(object_type, obj),
            "show_all": show_all,
            "query": _query_without_page(request),
        },
    )
