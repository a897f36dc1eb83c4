"""Pages for administrators: upload a record set, follow its load, compute periods, withdraw it."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core import audit, feedback, paging, scope
from jiceng.core.errors import UserError, ValidationFailed
from jiceng.indicators import actions, jobs, tasks, uploads
from jiceng.indicators.forms import ComputeForm, UploadForm, node_options
from jiceng.indicators.models import RecordSet
from jiceng.indicators.views import _require_manager


def visible_record_sets(user):
    """Record sets on nodes the user sees (sets without a region only for global users)."""
    qs = RecordSet.objects.select_related("node", "loaded_by")
    if scope.is_global(user):
        return qs
    return scope.filter_by_node(user, qs.filter(node__isnull=False))


def _record_set_for(user, pk: int) -> RecordSet:
    rs = get_object_or_404(visible_record_sets(user), pk=pk)
    if rs.node is None:
        if not scope.is_global(user):
            raise Http404
    else:
        scope.require(user, scope.Action.MANAGE_CATALOGS, rs.node)
    return jobs.check(rs)  # a job whose worker died is marked failed here


@login_required
def recordsets_page(request):
    root = _require_manager(request.user)
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial={"node": root.code, "name": f"{root.name}-{timezone.localdate():%Y%m%d}"},
    )
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            with zipfile.ZipFile(f) as zf:
                uploads.table_members(zf, f.name)
        except zipfile.BadZipFile:
            form.add_error("file", _("The file is not a readable ZIP archive."))
        except ValidationFailed as e:
            for p in e.problems:
                form.add_error("file", p.message)
        received = None
        if form.is_valid():
            try:
                # Stored whole before anything is registered: a full disk leaves no job.
                received = uploads.receive(f, f.name)
                rs = actions.do_register_upload(
                    request.user,
                    name=form.cleaned_data["name"],
                    node=form.cleaned_data["node"],
                    source=f.name,
                )
                uploads.adopt(received, rs.pk)
            except ValidationFailed as e:
                for p in e.problems:
                    form.add_error(p.field if p.field in form.fields else None, p.message)
            except UserError as e:
                form.add_error("file", str(e))
            else:
                tasks.enqueue_load(rs, form.cleaned_data["skip_invalid"])
                return redirect("indicators:recordset", pk=rs.pk)
            finally:
                if received is not None:
                    received.unlink(missing_ok=True)  # still there only if not adopted
    page, page_query = paging.page_of(request, visible_record_sets(request.user).order_by("-id"))
    sets = [jobs.check(rs) for rs in page.object_list]
    tables = [(t, uploads.table_label(t), t in uploads.REQUIRED) for t in uploads.TABLES]
    return render(
        request,
        "indicators/recordsets.html",
        {
            "form": form,
            "sets": sets,
            "page": page,
            "query": page_query,
            "upload_tables": tables,
            "node_options": node_options(request.user),
            # while a load or computation runs the list refreshes itself (and stops after)
            "any_running": any(_is_running(rs) for rs in sets),
        },
    )


# An absolute path on the server (/var/lib/jiceng/… or C:\…) inside a message.
_SERVER_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s\\/'\"，。：；]+){2,}")


def without_server_paths(text: str) -> str:
    """``text`` with every absolute server path replaced by its last part (the file name)."""
    return _SERVER_PATH.sub(lambda m: re.split(r"[\\/]", m[0])[-1], text or "")


def _is_running(rs: RecordSet) -> bool:
    return bool(rs.progress) and not rs.progress.get("done", False)


def _status_context(rs: RecordSet) -> dict:
    progress = rs.progress or {}
    warnings = progress.get("warnings") or []
    running = _is_running(rs)
    failed = rs.status == RecordSet.Status.FAILED or bool(progress.get("error"))
    return {
        "rs": rs,
        "running": running,
        "can_retry": jobs.can_retry(rs),
        "progress_state": "running" if running else ("failed" if failed else "done"),
        "computed": list(rs.values.values_list("period", flat=True).distinct().order_by("period")),
        "percent": (rs.progress or {}).get("percent", 0),
        "error": without_server_paths(progress.get("error", "")),
        "warnings": warnings,
        "counts": [
            (uploads.table_label(name), name, n)
            for name, n in sorted(rs.row_counts.items(), key=lambda kv: uploads.table_order(kv[0]))
        ],
        # in the polled block, so that it appears when the load ends
        "form": None if running else ComputeForm(initial={"periods": _default_periods(rs)}),
    }


@login_required
def recordset_page(request, pk):
    rs = _record_set_for(request.user, pk)
    return render(request, "indicators/recordset.html", _status_context(rs))


def _default_periods(rs: RecordSet) -> str:
    """The years the record set has population for (else last year and this year)."""
    years: list[int] = []
    if rs.store_path and Path(rs.store_path).exists():
        import duckdb

        try:
            con = duckdb.connect(rs.store_path, read_only=True)
            try:
                years = [
                    r[0]
                    for r in con.execute(
                        "SELECT DISTINCT year FROM population ORDER BY 1"
                    ).fetchall()
                ]
            finally:
                con.close()
        except duckdb.Error:
            years = []
    if not years:
        year = timezone.localdate().year
        years = [year - 1, year]
    return ", ".join(str(y) for y in years)


@login_required
def recordset_status(request, pk):
    """The htmx-polled status block (progress bar, then problems or summary)."""
    rs = _record_set_for(request.user, pk)
    return render(request, "indicators/_recordset_status.html", _status_context(rs))


@login_required
@require_POST
def recordset_compute(request, pk):
    rs = _record_set_for(request.user, pk)
    form = ComputeForm(request.POST)
    if rs.status != RecordSet.Status.READY:
        messages.error(request, _("Only a loaded record set can be computed."))
        return redirect("indicators:recordset", pk=rs.pk)
    if _is_running(rs):
        messages.error(request, _("This record set is busy; wait until the current work ends."))
        return redirect("indicators:recordset", pk=rs.pk)
    if not form.is_valid():
        feedback.flash(request, feedback.problems_of_form(form))
        return redirect("indicators:recordset", pk=rs.pk)
    tasks.enqueue_compute(rs, form.cleaned_data["periods"])
    return redirect("indicators:recordset", pk=rs.pk)


@login_required
@require_POST
def recordset_retry(request, pk):
    """Queue again a load interrupted by a dead worker, or a computation that failed."""
    rs = _record_set_for(request.user, pk)
    try:
        jobs.retry(request.user, rs)
    except UserError as e:
        feedback.flash(request, e)
    return redirect("indicators:recordset", pk=rs.pk)


@login_required
@require_POST
def recordset_delete(request, pk):
    """Withdraw a record set (any status) with its values and files."""
    rs = _record_set_for(request.user, pk)
    name = rs.name
    removed = actions.do_delete_record_set(request.user, rs)
    messages.success(
        request,
        _("Record set %(name)s withdrawn: %(n)d values and its files were deleted.")
        % {"name": name, "n": removed},
    )
    return redirect("indicators:recordsets")


@login_required
def recordset_rejects(request, pk):
    rs = _record_set_for(request.user, pk)
    if not rs.rejects_path or not Path(rs.rejects_path).exists():
        raise Http404
    audit.record_download(request.user, "rejects", rs, details={"record_set": rs.name})
    return FileResponse(
        open(rs.rejects_path, "rb"),  # noqa: SIM115 (FileResponse closes it)
        as_attachment=True,
        filename=f"rejects-{rs.pk}.csv",
        content_type="text/csv; charset=utf-8",
    )


@login_required
def recordset_template(request):
    """The record set template (one CSV per table with example rows, and 说明.csv)."""
    from jiceng.analytics.template import template_zip

    response = HttpResponse(template_zip(), content_type="application/zip")
    response["Content-Disposition"] = "attachment; filename=recordset-template.zip"
    return response
