"""Pages of aggregate data: data sets, loading one, the entry form of a unit and period
(auto-saved drafts, checks, completion, approval), the reporting rate of a region."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.aggregates import actions, queries
from jiceng.aggregates.forms import LoadDataSetForm
from jiceng.aggregates.models import DataSetVersion
from jiceng.core import scope
from jiceng.core.errors import UserError, ValidationFailed
from jiceng.datasets import Period, parse_dataset, parse_period
from jiceng.orgs.models import Node
from jiceng.standards import queries as catalog_queries

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def index(request):
    user = request.user
    root = scope.scope_root(user)
    return render(
        request,
        "aggregates/index.html",
        {
            "datasets": queries.visible_datasets(user),
            "forms": queries.forms_to_fill(user),
            "to_approve": queries.forms_to_approve(user)[0]
            if user.role in ("county_reviewer", "admin")
            else [],
            "can_manage": catalog_queries.can_manage_catalogs(user),
            "root": root,
        },
    )


def _read_definition(data: bytes, filename: str):
    """The checked definition, the text to store and its name (an Excel file becomes YAML)."""
    if filename.lower().endswith(".xlsx"):
        from jiceng.aggregates.source import dataset_yaml
        from jiceng.datasets.excel import read_dataset_excel

        ds = read_dataset_excel(data, filename)
        return ds, dataset_yaml(ds), filename.rsplit(".", 1)[0] + ".yaml"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(_("The file is not UTF-8 text.")) from None
    return parse_dataset(text, filename), text, filename


@login_required
@require_http_methods(["GET", "POST"])
def load(request):
    if not catalog_queries.can_manage_catalogs(request.user):
        raise PermissionDenied("only administrators load data sets")
    owners = catalog_queries.owner_choices(request.user)
    ctx: dict = {}
    status = 200
    if request.method == "POST":
        form = LoadDataSetForm(request.POST, request.FILES, owners=owners)
        if form.is_valid():
            f = form.cleaned_data["file"]
            ctx["filename"] = f.name
            try:
                owner = catalog_queries.owner_from_code(request.user, form.cleaned_data["owner"])
                ds, text, name = _read_definition(f.read(), f.name)
                version = actions.do_load_dataset(request.user, ds, text, name, owner=owner)
            except ValidationFailed as exc:
                ctx["problems"] = exc.problems
                status = 422
            except UserError as exc:
                form.add_error("file", str(exc))
                status = 400
            else:
                messages.success(
                    request,
                    _("Loaded %(name)s version %(version)s.")
                    % {"name": version.name, "version": version.version},
                )
                return redirect("aggregates:dataset", pk=version.pk)
        else:
            status = 400
    else:
        form = LoadDataSetForm(owners=owners)
    ctx["form"] = form
    return render(request, "aggregates/load.html", ctx, status=status)


@login_required
def dataset(request, pk: int):
    version = queries.get_dataset(request.user, pk)
    return render(request, "aggregates/dataset.html", _dataset_context(request, version))


def _dataset_context(request, version: DataSetVersion) -> dict:
    from jiceng.orgs.models import Kind

    ds = version.definition()
    user = request.user
    root = scope.scope_root(user)
    kinds = dict(Kind.choices)
    keys = []
    for el in ds.element_list():
        if el.value_type != "text":
            keys.append((el.code, el.name))
            keys.extend((f"{el.code}.{o.code}", f"{el.name}（{o.name}）") for o in el.options)
    can_manage = catalog_queries.can_manage_catalogs(user)
    names = dict(keys)
    bounds = queries.visible_bounds(user, version.code, root)
    return {
        "version": version,
        "ds": ds,
        "sections": _sections(ds, {}, set()),
        "bound_rows": [(b, names.get(b.key, b.key), kinds.get(b.kind, b.kind)) for b in bounds],
        "bound_keys": keys,
        "bound_kinds": [(k, kinds.get(k, k)) for k in ds.institution_kinds],
        "owners": catalog_queries.owner_choices(user) if can_manage else [],
        "can_manage": can_manage,
    }


@login_required
@require_POST
def set_bound(request, pk: int):
    """An administrator's min/max for an element and unit kind in their region."""
    version = queries.get_dataset(request.user, pk)
    if not catalog_queries.can_manage_catalogs(request.user):
        raise PermissionDenied("only administrators set outlier bounds")
    post = request.POST
    try:
        owner = catalog_queries.owner_from_code(request.user, post.get("owner", ""))
        if owner is None:
            raise UserError(_("Choose a region."))
        actions.do_set_outlier_bound(
            request.user,
            version,
            owner,
            post.get("key", ""),
            post.get("kind", ""),
            post.get("minimum", ""),
            post.get("maximum", ""),
        )
    except ValidationFailed as exc:
        ctx = _dataset_context(request, version)
        ctx.update(problems=exc.problems, error=exc.summary)
        return render(request, "aggregates/dataset.html", ctx, status=400)
    except UserError as exc:
        ctx = _dataset_context(request, version)
        ctx.update(error=str(exc))
        return render(request, "aggregates/dataset.html", ctx, status=400)
    messages.success(request, _("The outlier bounds are saved."))
    return redirect("aggregates:dataset", pk=version.pk)


@login_required
@require_POST
def delete_bound(request, pk: int, bound: int):
    version = queries.get_dataset(request.user, pk)
    found = queries.get_bound(request.user, version.code, bound)
    actions.do_delete_outlier_bound(request.user, found)
    messages.success(request, _("The outlier bounds are removed."))
    return redirect("aggregates:dataset", pk=version.pk)


@login_required
@require_http_methods(["GET", "POST"])
def import_values(request):
    """A county's file of many units' values, all or nothing."""
    from jiceng.aggregates.importer import import_values as run_import

    user = request.user
    if not catalog_queries.can_manage_catalogs(user):
        raise PermissionDenied("only administrators import values")
    versions = queries.latest_versions(queries.visible_datasets(user))
    ctx: dict = {"versions": versions}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        code = request.POST.get("dataset", "")
        ctx["chosen"] = code
        if upload is None or code not in {v.code for v in versions}:
            ctx["error"] = _("Choose a data set and a file.")
            status = 400
        else:
            ctx["filename"] = upload.name
            set_aside = request.POST.get("bad_rows") == "set_aside"
            ctx["set_aside"] = set_aside
            try:
                done = run_import(user, code, upload.read(), upload.name, set_aside=set_aside)
            except ValidationFailed as exc:
                ctx["problems"], ctx["error"] = exc.problems, exc.summary
                status = 422
            except UserError as exc:
                ctx["error"] = str(exc)
                status = 400
            else:
                if done.get("rejects_file"):
                    return render(request, "aggregates/import.html", {**ctx, **_rejects(done)})
                messages.success(
                    request,
                    _("Imported %(values)s values in %(forms)s forms.") % done,
                )
                return redirect("aggregates:index")
    return render(request, "aggregates/import.html", ctx, status=status)


def _rejects(done: dict) -> dict:
    """What the import page shows after setting bad rows aside: the counts, the problems
    (the first 200) and the rejects file as a download link (a data URL: nothing is kept)."""
    import base64

    name, content_type, data = done["rejects_file"]
    problems = [p for _row, found in done["rejects"] for p in found]
    return {
        "done": done,
        "problems": problems[:200],
        "more_problems": max(0, len(problems) - 200),
        "rejects_name": name,
        "rejects_url": f"data:{content_type};base64,{base64.b64encode(data).decode()}",
    }


# ---------------------------------------------------------------- the entry form


def _sections(ds, values: dict[str, str], outliers: set[str]) -> list[dict]:
    """The form's layout: per section, groups of elements sharing the same options (a grid)."""
    out = []
    for section in ds.sections:
        elements = [ds.elements[c] for c in section.elements]
        groups = []
        for options, els in groupby(elements, key=lambda e: e.options):
            rows = []
            for el in els:
                keys = [f"{el.code}.{o.code}" for o in options] if options else [el.code]
                rows.append(
                    {
                        "element": el,
                        "cells": [
                            {"key": k, "value": values.get(k, ""), "outlier": k in outliers}
                            for k in keys
                        ],
                    }
                )
            groups.append({"options": options, "rows": rows})
        out.append({"name": section.name or section.code, "groups": groups})
    return out


def _form_target(request, pk: int, unit: str, period: str):
    """The data set version, unit and canonical period of a form the user may see."""
    version = queries.get_dataset(request.user, pk)
    node = scope.access_node(request.user, unit, scope.Action.VIEW)
    if not scope.catalog_applies(version.owner, node):
        raise Http404("data set does not apply here")
    ds = version.definition()
    try:
        p = parse_period(period)
    except ValueError:
        raise Http404("bad period") from None
    if node.kind not in ds.institution_kinds or p.type != ds.period_type:
        raise Http404("no such form")
    return version, node, p.label


def _form_context(request, version: DataSetVersion, node: Node, period: str) -> dict:
    ds = version.definition()
    report = queries.reports_for(version, node, period)
    locked = bool(report and report.locked)
    values = queries.form_values(version, node, period)
    checks = queries.form_checks(version, node, period)
    p = parse_period(period)
    return {
        "version": version,
        "ds": ds,
        "node": node,
        "period": period,
        "previous": p.previous().label,
        "next": p.previous(-1).label,
        "report": report,
        "locked": locked,
        "can_enter": scope.can(request.user, scope.Action.ENTER_DATA, node) and not locked,
        "can_approve": scope.can(request.user, scope.Action.APPROVE_DATA, node),
        "sections": _sections(ds, values, checks.outliers),
        "checks": checks,
        "outlier_names": _outlier_names(ds, checks.outliers),
        "bound_breaks": [
            (name, checks.out_of_bounds[key])
            for key, name in zip(
                sorted(checks.outliers), _outlier_names(ds, checks.outliers), strict=True
            )
            if key in checks.out_of_bounds
        ],
    }


def _outlier_names(ds, keys: set[str]) -> list[str]:
    names = []
    for key in sorted(keys):
        element, _sep, option = key.partition(".")
        el = ds.elements[element]
        opt = {o.code: o.name for o in el.options}.get(option)
        names.append(f"{el.name}（{opt}）" if opt else el.name)
    return names


@login_required
def form(request, pk: int, unit: str, period: str):
    version, node, label = _form_target(request, pk, unit, period)
    if label != period:
        return redirect("aggregates:form", pk=pk, unit=unit, period=label)
    return render(request, "aggregates/form.html", _form_context(request, version, node, label))


def _form_url(version, node, period) -> str:
    return reverse("aggregates:form", args=[version.pk, node.code, period])


@login_required
@require_POST
def save(request, pk: int, unit: str, period: str):
    version, node, period = _form_target(request, pk, unit, period)
    raw = {k[2:]: v for k, v in request.POST.items() if k.startswith("v-")}
    htmx = request.headers.get("HX-Request") == "true"
    problems, error = [], ""
    try:
        actions.do_save_values(request.user, version, node, period, raw)
    except ValidationFailed as exc:
        problems, error = exc.problems, exc.summary
    except UserError as exc:
        error = str(exc)
    if htmx:
        ctx = _form_context(request, version, node, period)
        ctx.update(problems=problems, error=error, saved_at=None if error else timezone.now())
        return render(request, "aggregates/_checks.html", ctx)
    if error:
        ctx = _form_context(request, version, node, period)
        ctx.update(problems=problems, error=error)
        return render(request, "aggregates/form.html", ctx, status=400)
    messages.success(request, _("Saved."))
    return redirect(_form_url(version, node, period))


@login_required
@require_POST
def complete(request, pk: int, unit: str, period: str):
    version, node, period = _form_target(request, pk, unit, period)
    try:
        actions.do_complete(request.user, version, node, period, request.POST.get("reason", ""))
    except ValidationFailed as exc:
        ctx = _form_context(request, version, node, period)
        ctx.update(problems=exc.problems, error=exc.summary, need_reason=True)
        return render(request, "aggregates/form.html", ctx, status=400)
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The form is completed."))
    return redirect(_form_url(version, node, period))


@login_required
@require_POST
def approve(request, pk: int, unit: str, period: str):
    version, node, period = _form_target(request, pk, unit, period)
    report = queries.reports_for(version, node, period)
    if report is None:
        messages.error(request, _("Only a completed form can be approved."))
        return redirect(_form_url(version, node, period))
    try:
        actions.do_approve(request.user, report)
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The form is approved and locked."))
    return redirect(_form_url(version, node, period))


@login_required
@require_POST
def unlock(request, pk: int, unit: str, period: str):
    version, node, period = _form_target(request, pk, unit, period)
    report = queries.reports_for(version, node, period)
    if report is None:
        raise Http404("no such form")
    try:
        actions.do_unlock(request.user, report, request.POST.get("reason", ""))
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The form is unlocked."))
    return redirect(_form_url(version, node, period))


# ---------------------------------------------------------------- reporting rate


def _last_ended(period_type: str) -> Period:
    return queries.periods_ended(period_type, timezone.localdate())[-1]


def _reporting_args(request, code: str):
    node = scope.access_node(request.user, code, scope.Action.VIEW)
    versions = queries.datasets_at(node)
    version = None
    wanted = request.GET.get("dataset", "")
    for v in versions:
        if str(v.pk) == wanted or (not wanted and version is None):
            version = v
    error = ""
    period = None
    if version is not None:
        ds = version.definition()
        period = _last_ended(ds.period_type)
        if raw := request.GET.get("period", "").strip():
            try:
                period = parse_period(raw)
                period.periods(ds.period_type)
            except ValueError as exc:
                error, period = str(exc), _last_ended(ds.period_type)
    return node, versions, version, period, error


@login_required
def reporting(request, code: str):
    node, versions, version, period, error = _reporting_args(request, code)
    ctx = {"node": node, "versions": versions, "version": version, "error": error}
    if version is not None:
        ctx["period"] = period
        ctx["rep"] = queries.reporting(version, node, period)
    return render(request, "aggregates/reporting.html", ctx)


@login_required
def reporting_export(request, code: str):
    node, _versions, version, period, _error = _reporting_args(request, code)
    if version is None:
        return redirect("aggregates:reporting", code=node.code)
    from jiceng.aggregates.export import reporting_workbook

    data = reporting_workbook(version, queries.reporting(version, node, period))
    response = HttpResponse(data, content_type=XLSX)
    name = f"reporting-{version.code}-{node.code}-{period.label}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def validation(request, code: str):
    """Validation rule analysis of a region and period (all units, all rules)."""
    node, versions, version, period, error = _reporting_args(request, code)
    ctx = {"node": node, "versions": versions, "version": version, "error": error}
    if version is not None:
        ctx["period"] = period
        ctx["violations"] = queries.violations(version, node, period)
        ctx["outliers"] = queries.region_outliers(version, node, period)
    return render(request, "aggregates/validation.html", ctx)


@login_required
def values(request, code: str):
    """Aggregated values and indicators of a node and its children for a period."""
    node, versions, version, period, error = _reporting_args(request, code)
    ctx = {"node": node, "versions": versions, "version": version, "error": error}
    if version is not None:
        ytd = request.GET.get("span") == "ytd"
        ctx.update(period=period, ytd=ytd)
        ctx["table"] = queries.aggregated(version, node, period, ytd)
    return render(request, "aggregates/values.html", ctx)


@login_required
def values_export(request, code: str):
    node, _versions, version, period, _error = _reporting_args(request, code)
    if version is None:
        return redirect("aggregates:values", code=node.code)
    from jiceng.aggregates.export import values_workbook

    ytd = request.GET.get("span") == "ytd"
    table = queries.aggregated(version, node, period, ytd)
    label = table["span"].shown.label
    data = values_workbook(version, node.name, label, table)
    response = HttpResponse(data, content_type=XLSX)
    name = f"values-{version.code}-{node.code}-{label.replace('~', '_')}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
