"""Pages of indicators: a node's figures, the region table (and its Excel export), targets."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from jiceng.aggregates import indicators as dataset_indicators
from jiceng.core import audit, pagecache, paging, scope
from jiceng.core.errors import ValidationFailed
from jiceng.indicators import actions, excel, queries
from jiceng.indicators.forms import TargetForm, node_options
from jiceng.indicators.models import Target
from jiceng.orgs.models import Node


def _root_for(user) -> Node | None:
    root = scope.scope_root(user)
    if root is None and scope.is_global(user):
        root = Node.objects.filter(parent__isnull=True).order_by("code").first()
    return root


@login_required
def index(request):
    """The indicators of the user's own region or institution."""
    root = _root_for(request.user)
    if root is None:
        raise PermissionDenied
    return redirect("indicators:node", code=root.code)


def _period_or_default(request, node: Node) -> tuple[str | None, str | None]:
    """(period label, error message) from ``?period=``; default: the latest year with values."""
    raw = request.GET.get("period", "").strip()
    if not raw:
        return queries.latest_year_period(node) or str(date.today().year), None
    try:
        return queries.parse(raw).label, None
    except ValueError as e:
        return None, str(e)


def _period_choices(node: Node, current: str | None) -> list[str]:
    periods = queries.available_periods(node)
    if current and current not in periods:
        periods.append(current)
        periods.sort(key=queries.period_sort_key)
    return list(reversed(periods))


@login_required
def node_page(request, code):
    node = scope.access_node(request.user, code)
    period, error = _period_or_default(request, node)
    if error:
        return render(
            request,
            "indicators/node.html",
            {"node": node, "error": error, "periods": _period_choices(node, None)},
            status=400,
        )
    figures = pagecache.cached(
        request,
        "indicators.node",
        node.path,
        lambda: {
            "data": queries.node_indicators(node, period),
            "periods": _period_choices(node, period),
            "trend": queries.trend(node, like=period),
            "children_exist": node.children.exists(),
        },
        vary=(period,),
        per_user=False,  # a node's figures are the same for everyone who may see it
        kinds=(pagecache.DATA,),
    )
    return render(
        request,
        "indicators/node.html",
        {
            "node": node,
            "period": period,
            "ancestors": [a for a in node.ancestors() if scope.can_see(request.user, a)],
            "dataset_lines": dataset_indicators.node_lines(
                node, period, figures["data"].previous_period
            ),
            **figures,
        },
    )


def _table_args(request, node: Node):
    period, error = _period_or_default(request, node)
    level = request.GET.get("level") or "children"
    levels = queries.levels_below(node)
    if level not in levels:
        level = "children"
    sort = request.GET.get("sort") or "code"
    return period, error, level, levels, sort


@login_required
def table_page(request, code):
    node = scope.access_node(request.user, code)
    period, error, level, levels, sort = _table_args(request, node)
    ctx = {
        "node": node,
        "period": period,
        "level": level,
        "levels": [(lv, LEVEL_LABELS[lv]()) for lv in levels],
        "periods": _period_choices(node, period),
    }
    if error:
        return render(request, "indicators/table.html", {**ctx, "error": error}, status=400)
    table = queries.region_table(node, period, level, sort)
    base = {"period": period, "level": level}
    page, page_query = paging.page_of(request, table.rows)
    if table.rows:
        dataset_nodes = [r.node for r in page]
    else:  # no record-set values: the data-set indicators page the level's units themselves
        dataset_page, page_query = paging.page_of(request, queries.nodes_at(node, level))
        dataset_nodes = list(dataset_page)
        ctx["dataset_page"] = dataset_page
    ctx["dataset_columns"], ctx["dataset_rows"] = dataset_indicators.table_lines(
        node, [*dataset_nodes, node], period
    )
    ctx.update(
        table=table,
        page=page,
        query=page_query,
        sort=table.sort,
        headers=_sort_headers(table, base),
        export_url=f"{reverse('indicators:table_export', args=[node.code])}?"
        + urlencode({**base, "sort": table.sort}),
    )
    return render(request, "indicators/table.html", ctx)


def _sort_headers(table: queries.Table, base: dict) -> dict:
    """For each sortable key: the link that sorts by it (toggling direction) and an arrow."""
    out = {}
    keys = [("code", pgettext("indicators", "Code")), ("name", pgettext("indicators", "Name"))] + [
        (d.code, d.name) for d in table.columns
    ]
    for key, label in keys:
        current = table.sort.lstrip("-") == key
        desc = table.sort.startswith("-")
        nxt = f"-{key}" if current and not desc else key
        if not current and key not in ("code", "name"):
            nxt = f"-{key}"  # rates: highest first on the first click
        arrow = ("▼" if desc else "▲") if current else ""
        out[key] = {"label": label, "url": "?" + urlencode({**base, "sort": nxt}), "arrow": arrow}
    return out


@login_required
def table_export(request, code):
    node = scope.access_node(request.user, code)
    period, error, level, _levels, sort = _table_args(request, node)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    table = queries.region_table(node, period, level, sort)
    body = excel.table_workbook(table)
    audit.record_download(
        request.user,
        "indicator_table_export",
        node,
        details={"period": table.period, "level": level},
    )
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"indicators-{node.code}-{table.period}-{level}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


LEVEL_LABELS = {
    "children": lambda: pgettext("indicators", "Units directly below"),
    "city": lambda: _("Cities"),
    "county": lambda: _("Counties"),
    "township": lambda: _("Township level (townships, health centres)"),
    "village": lambda: _("Village level (villages, clinics, stations)"),
    "institution": lambda: _("All grassroots institutions"),
}


# ---------------------------------------------------------------- targets


def _require_manager(user) -> Node:
    root = _root_for(user)
    if root is None or not scope.can(user, scope.Action.MANAGE_CATALOGS, root):
        raise PermissionDenied
    return root


@login_required
def targets_page(request):
    root = _require_manager(request.user)
    form = TargetForm(request.POST or None, user=request.user, initial={"node": root.code})
    if request.method == "POST" and form.is_valid():
        try:
            target = actions.do_set_target(
                request.user,
                indicator=form.cleaned_data["indicator"],
                node=form.cleaned_data["node"],
                year=form.cleaned_data["year"],
                threshold_percent=form.cleaned_data["threshold"],
                comparison=form.cleaned_data["comparison"],
                note=form.cleaned_data["note"],
            )
        except ValidationFailed as e:
            for p in e.problems:
                form.add_error(p.field if p.field in form.fields else None, p.message)
        else:
            messages.success(request, _("Target saved: %(t)s") % {"t": target_label(target)})
            return redirect("indicators:targets")
    names = {d.code: d.name for d in queries.definitions()}
    targets = scope.filter_by_node(request.user, Target.objects.select_related("node")).order_by(
        "-year", "node__path", "indicator"
    )
    year = request.GET.get("year", "").strip()
    if year.isdigit():
        targets = targets.filter(year=int(year))
    page, page_query = paging.page_of(request, targets)
    rows = [{"t": t, "name": names.get(t.indicator, t.indicator)} for t in page.object_list]
    above = Target.objects.filter(node__in=root.ancestors()).select_related("node")
    if year.isdigit():
        above = above.filter(year=int(year))
    inherited = [
        {"t": t, "name": names.get(t.indicator, t.indicator)}
        for t in above.order_by("-year", "node__path", "indicator")[:200]
    ]
    return render(
        request,
        "indicators/targets.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "query": page_query,
            "inherited": inherited,
            "root": root,
            "year": year,
            "node_options": node_options(request.user),
        },
    )


def target_label(t: Target) -> str:
    names = {d.code: d.name for d in queries.definitions()}
    sign = "≥" if t.comparison == Target.Comparison.AT_LEAST else "≤"
    return f"{t.node.name} {t.year} {names.get(t.indicator, t.indicator)} {sign} {float(t.threshold) * 100:.2f}%"


@login_required
@require_POST
def target_delete(request, pk):
    target = get_object_or_404(
        scope.filter_by_node(request.user, Target.objects.select_related("node")), pk=pk
    )
    scope.require(request.user, scope.Action.MANAGE_CATALOGS, target.node)
    label = target_label(target)
    actions.do_delete_target(request.user, target)
    messages.success(request, _("Target deleted: %(t)s") % {"t": label})
    return redirect(reverse("indicators:targets"))
