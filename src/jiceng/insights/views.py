"""Pages of dashboards and the data visualizer: thin, everything through ``request.run``."""

from __future__ import annotations

import io
from operator import itemgetter
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core import audit, paging, scope
from jiceng.core.errors import UserError
from jiceng.core.exports import csv_writer
from jiceng.core.perf import paused_gc
from jiceng.insights import actions, dashboards
from jiceng.insights.models import Pin
from jiceng.insights.request import (
    LEDGER_LABELS,
    ROW_FIELDS,
    VERDICT_LABELS,
    Result,
    ViewRequest,
    chart_data,
    parse_query,
    run,
    span_label,
)
from jiceng.insights.templatetags.insights_tags import delta, fig

LEVEL_LABELS = {
    "children": lambda: _("Units directly below"),
    "county": lambda: _("Counties"),
    "township": lambda: _("Township level"),
    "village": lambda: _("Village level"),
    "institution": lambda: _("All grassroots institutions"),
    "units": lambda: _("The units listed"),
}
PERIOD_LABELS = {
    "month": lambda: _("Months"),
    "quarter": lambda: _("Quarters"),
    "year": lambda: _("Years (five)"),
    "ytd": lambda: _("Year to date, month by month"),
}
CHART_LABELS = {
    "table": lambda: _("Pivot table"),
    "bar": lambda: _("Bar chart"),
    "line": lambda: _("Line chart"),
    "stacked": lambda: _("Stacked bars"),
    "scatter": lambda: _("Scatter (first two measures)"),
}


def measure_choices(user) -> list[tuple[str, list[tuple[str, str]]]]:
    """The measures the picker offers, grouped: resident-record indicators, each data set
    the user sees (elements, indicators, reporting rate), verdicts, ledger."""
    from jiceng.aggregates.queries import definition_of, visible_datasets
    from jiceng.indicators.queries import definitions

    groups = [(_("Resident-record indicators"), [(f"ind:{d.code}", d.name) for d in definitions()])]
    seen = set()
    for v in visible_datasets(user):
        if v.code in seen:
            continue
        seen.add(v.code)
        try:
            ds = definition_of(v)
        except Exception:  # a definition that no longer parses is left out  # noqa: BLE001
            continue
        opts = [(f"ds:{v.code}:_completeness", _("reporting rate"))]
        for el in ds.element_list():
            if el.value_type.endswith("integer") or el.value_type in ("number", "percentage"):
                opts.append((f"ds:{v.code}:{el.code}", el.name))
        opts += [(f"ds:{v.code}:{i.code}", i.name) for i in ds.indicators]
        groups.append((_("Data set %(name)s") % {"name": v.name}, opts))
    groups.append((_("Evaluation verdicts"), [(f"verdict:{k}", str(v)) for k, v in VERDICT_LABELS.items()]))
    groups.append((_("Rectification ledger"), [(f"ledger:{k}", str(v)) for k, v in LEDGER_LABELS.items()]))
    return groups


def _result_or_error(request, req: ViewRequest) -> tuple[Result | None, str]:
    if not req.measures:
        return None, ""
    try:
        return run(request.user, req), ""
    except UserError as e:
        return None, str(e)


def _table(result: Result, lines: list) -> dict:
    """The pivot table of ``lines`` (a page of the units): a header row of measure ×
    period, a line per unit, the total."""
    cols = []
    for m in result.measures:
        for i, s in enumerate(result.periods):
            cols.append((m, i, s))

    def cells(line):
        out = []
        for m, i, s in cols:
            c = result.cell(line, m.code, s.label)
            target = m.targets.get(line.node.pk)
            prev = result.change(line, m, i, "previous")
            year = result.change(line, m, i, "year")
            out.append({
                "value": c.value, "ratio": m.ratio, "numerator": c.numerator,
                "denominator": c.denominator, "prev": prev, "year": year,
                # as the page writes them, formatted here once (a tag per figure costs more)
                "text": fig(c.value, m.ratio), "prev_text": delta(prev, m.ratio),
                "year_text": delta(year, m.ratio),
                "title": f"{localize(c.numerator)} / {localize(c.denominator)}"
                if c.denominator else "",
                # targets are of the view's year: earlier periods are not judged by them
                "miss": target is not None and c.value is not None and c.value < target
                and s.year == result.request.year,
            })
        return out

    return {
        "measures": [(m, len(result.periods)) for m in result.measures],
        "periods": [span_label(s) for _m, _i, s in cols],
        "lines": [(ln.node, cells(ln)) for ln in lines],
        "total": (result.total.node, cells(result.total)),
    }


def _sort_url(request, value: str) -> str:
    q = request.GET.copy()
    q["sort"] = value
    return "?" + q.urlencode()


@login_required
def visualizer(request):
    error = ""
    try:
        req = parse_query(request.GET)
    except UserError as e:
        req, error = ViewRequest(), str(e)
    result, run_error = _result_or_error(request, req)
    error = error or run_error
    ctx = {
        "req": req,
        "error": error,
        "result": result,
        "choices": measure_choices(request.user),
        "levels": [(k, f()) for k, f in LEVEL_LABELS.items()],
        "period_types": [(k, f()) for k, f in PERIOD_LABELS.items()],
        "charts": [(k, f()) for k, f in CHART_LABELS.items()],
        "root": scope.scope_root(request.user),
        "query": req.query(),
        "view_id": request.GET.get("view", ""),
    }
    if result is not None:
        page, rest = paging.page_of(request, result.lines)
        ctx["page"], ctx["page_query"] = page, rest
        ctx["table"] = _table(result, list(page.object_list))
        ctx["chart"] = chart_data(result)
        ctx["sort_urls"] = {
            "name": _sort_url(request, "name"),
            "value": _sort_url(request, "value"),
            "desc": _sort_url(request, "-value"),
        }
    return render(request, "insights/visualizer.html", ctx, status=400 if error else 200)


HEADERS = [
    ("org_code", "Unit code"), ("org_name", "Unit"), ("measure", "Measure code"),
    ("measure_name", "Measure"), ("period", "Period"), ("value", "Value"),
    ("numerator", "Numerator"), ("denominator", "Denominator"),
    ("change_previous", "Change against the previous period"),
    ("change_last_year", "Change against the same period last year"),
    ("target", "Target"),
]


def _export(request, fmt: str):
    try:
        req = parse_query(request.GET)
        if not req.measures:
            raise UserError(_("parameter m: choose at least one measure."))
        result = run(request.user, req)
    except UserError as e:
        return HttpResponse(str(e), status=400, content_type="text/plain; charset=utf-8")
    rows = result.rows()
    pick = itemgetter(*[ROW_FIELDS.index(k) for k, _label in HEADERS])  # exported columns
    audit.record_download(
        request.user, "visualizer_export", result.root, details={"view": req.query()[:500]}
    )
    heads = [_(label) for _k, label in HEADERS]
    name = f"visualizer-{result.root.code}-{req.year}"
    with paused_gc():  # 26,000 rows at province scale
        if fmt == "csv":
            buf = io.StringIO()
            w = csv_writer(buf)
            w.writerow(heads)
            w.writerows(map(pick, rows.tuples()))  # None is written as an empty cell
            body = ("\ufeff" + buf.getvalue()).encode("utf-8")  # Excel opens UTF-8 with a BOM
            resp = HttpResponse(body, content_type="text/csv; charset=utf-8")
        else:
            from openpyxl import Workbook

            from jiceng.core.xlsx import to_bytes

            wb = Workbook()
            ws = wb.active
            ws.title = _("Figures")[:31]
            ws.append(heads)
            for t in rows.tuples():
                ws.append(pick(t))
            resp = HttpResponse(
                to_bytes(wb),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
    resp["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return resp


@login_required
def export_csv(request):
    return _export(request, "csv")


@login_required
def export_xlsx(request):
    return _export(request, "xlsx")


# --- saved views -----------------------------------------------------------------------------


@login_required
def views_list(request):
    views = actions.readable_views(request.user).select_related("owner", "node")
    page, query = paging.page_of(request, views)
    return render(request, "insights/views.html", {"page": page, "query": query})


def opened_query(user, view) -> QueryDict:
    """The view's query for ``user``: a view of a region above the user (published to
    them) opens on the user's own region."""
    q = QueryDict(view.query, mutable=True)
    root = scope.scope_root(user)
    if root is not None and not scope.can_see(user, view.node) and root.is_within(view.node):
        q["root"] = root.code
    return q


@login_required
def view_open(request, pk: int):
    view = actions.get_view(request.user, pk)
    q = opened_query(request.user, view)
    q["view"] = str(view.pk)
    return HttpResponseRedirect(reverse("insights:visualizer") + "?" + q.urlencode())


@login_required
@require_POST
def view_save(request):
    try:
        req = parse_query(QueryDict(request.POST.get("query", "")))
        view = actions.do_save_view(
            request.user, request.POST.get("name", ""), req, request.POST.get("shared") == "1"
        )
    except UserError as e:
        messages.error(request, str(e))
        return HttpResponseRedirect(
            reverse("insights:visualizer") + "?" + request.POST.get("query", "")
        )
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return HttpResponseRedirect(reverse("insights:view", args=[view.pk]))


def _own_view(request, pk: int):
    view = actions.get_view(request.user, pk)
    if view.owner_id != request.user.pk:
        raise Http404("view not found")
    return view


@login_required
@require_POST
def view_share(request, pk: int):
    view = _own_view(request, pk)
    actions.do_share_view(request.user, view, request.POST.get("shared") == "1")
    return HttpResponseRedirect(reverse("insights:views"))


@login_required
@require_POST
def view_delete(request, pk: int):
    view = _own_view(request, pk)
    actions.do_delete_view(request.user, view)
    messages.success(request, _("View deleted."))
    return HttpResponseRedirect(reverse("insights:views"))


# --- dashboard -------------------------------------------------------------------------------


def pin_chart(user, pin: Pin) -> dict | None:
    """The chart of a pinned saved view, or None (a map or a page: shown as a link)."""
    if not pin.view_id and not pin.url.startswith("/insights/visualizer/"):
        return None
    try:
        if pin.view_id:
            req = parse_query(opened_query(user, actions.get_view(user, pin.view_id)))
        else:
            req = parse_query(QueryDict(urlsplit(pin.url).query))
        if not req.measures:
            return None
        result = run(user, req)
    except (UserError, Http404):
        return {"error": _("This view cannot be shown in your region.")}
    return chart_data(result)


@login_required
def dashboard(request):
    data = dashboards.for_user(request.user, request.GET.get("ind", ""))
    pins = []
    for p in actions.dashboard_pins(request.user):
        pins.append({
            "pin": p,
            "chart": pin_chart(request.user, p),
            "sid": f"pin-spec-{p.pk}",
            "mine": p.owner_id == request.user.pk and p.published_at is None,
        })
    can_publish = bool(
        scope.scope_root(request.user)
        and scope.can(request.user, scope.Action.MANAGE_USERS, scope.scope_root(request.user))
    )
    return render(
        request,
        "insights/dashboard.html",
        {**data, "pins": pins, "can_publish": can_publish},
    )


@login_required
@require_POST
def pin_add(request):
    view = None
    if request.POST.get("view"):
        try:
            view = actions.get_view(request.user, int(request.POST["view"]))
        except ValueError:
            raise Http404("view not found") from None
    try:
        actions.do_pin(request.user, request.POST.get("title", ""), view=view,
                       url=request.POST.get("url", ""))
    except UserError as e:
        messages.error(request, str(e))
        return HttpResponseRedirect(reverse("insights:dashboard"))
    messages.success(request, _("Pinned to your dashboard."))
    return HttpResponseRedirect(reverse("insights:dashboard"))


@login_required
@require_POST
def pin_delete(request, pk: int):
    pin = Pin.objects.filter(pk=pk).select_related("node").first()
    if pin is None:
        raise Http404("pin not found")
    actions.do_unpin(request.user, pin)
    return HttpResponseRedirect(reverse("insights:dashboard"))


@login_required
@require_POST
def publish(request):
    pins = actions.do_publish_dashboard(request.user)
    messages.success(
        request, _("Dashboard published below your unit: %(n)s pins.") % {"n": len(pins)}
    )
    return HttpResponseRedirect(reverse("insights:dashboard"))
