"""Pages of the reports: request a summary, follow its progress, download it; templates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core import audit, paging, scope
from jiceng.core.errors import UserError, ValidationFailed
from jiceng.orgs import labels
from jiceng.orgs.models import Kind, Node
from jiceng.reports import actions, document, tasks
from jiceng.reports.forms import RequestForm, TemplateForm
from jiceng.reports.models import GeneratedReport, ReportTemplate

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
REGION_KINDS = [Kind.PROVINCE, Kind.CITY, Kind.COUNTY]


def _regions(user) -> list[Node]:
    nodes = scope.visible_nodes(user).filter(kind__in=REGION_KINDS).order_by("path")[:300]
    return labels.label_nodes(nodes, scope.scope_root(user))


def _template_regions(user) -> list[Node]:
    return [n for n in _regions(user) if actions.can_manage_templates(user, n)]


def _visible_reports(user):
    return scope.filter_by_node(user, GeneratedReport.objects.all(), field="region")


def _report(user, pk: int) -> GeneratedReport:
    report = (
        _visible_reports(user).select_related("region").defer("docx", "pdf").filter(pk=pk).first()
    )
    if report is None:
        raise Http404("no such report")
    return report


@login_required
def index(request):
    """The reports the user may see (newest first) and the form to request one."""
    regions = _regions(request.user)
    reports = _visible_reports(request.user).select_related("region").defer("docx", "pdf")
    code = request.GET.get("region", "")
    if code:
        node = scope.access_node(request.user, code)
        reports = reports.filter(region__path__startswith=node.path)
    page, query = paging.page_of(request, reports.order_by("-created_at", "-id"))
    return render(
        request,
        "reports/index.html",
        {"form": RequestForm(regions=regions), "page": page, "query": query},
    )


@login_required
@require_POST
def request_report(request):
    regions = _regions(request.user)
    form = RequestForm(request.POST, regions=regions)
    if not form.is_valid():
        page, query = paging.page_of(request, GeneratedReport.objects.none())
        return render(
            request, "reports/index.html", {"form": form, "page": page, "query": query}, status=400
        )
    region = scope.access_node(request.user, form.cleaned_data["region"])
    try:
        report = actions.do_request_report(
            request.user, region, form.cleaned_data["year"], form.cleaned_data["quarter"]
        )
    except UserError as exc:
        messages.error(request, str(exc))
        return redirect("reports:index")
    tasks.enqueue(report)
    return redirect("reports:report", pk=report.pk)


@login_required
def report_page(request, pk: int):
    """One report: its progress while it is written (polled by htmx), then its downloads."""
    report = tasks.check(_report(request.user, pk))
    ctx = {"report": report, "running": report.running}
    if request.headers.get("HX-Request") and request.GET.get("part") == "progress":
        response = render(request, "reports/_progress.html", ctx)
        if not report.running:
            response["HX-Refresh"] = "true"
        return response
    return render(request, "reports/report.html", ctx)


@login_required
def download(request, pk: int, fmt: str):
    report = _report(request.user, pk)
    if fmt not in ("docx", "pdf") or report.status != GeneratedReport.Status.DONE:
        raise Http404("no such file")
    data = bytes(GeneratedReport.objects.values_list(fmt, flat=True).get(pk=report.pk))
    if not data:
        raise Http404("no such file")
    audit.record_download(request.user, "report", report, details={"format": fmt})
    response = HttpResponse(data, content_type=DOCX if fmt == "docx" else "application/pdf")
    name = f"summary-{report.region.code}-{report.period_label}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def templates_page(request):
    """The templates of the regions the user sees, the fields, and (administrators) upload."""
    user = request.user
    upload_regions = _template_regions(user)
    form = TemplateForm(regions=upload_regions) if upload_regions else None
    problems = []
    status = 200
    if request.method == "POST":
        if not upload_regions:
            raise PermissionDenied("only administrators upload templates")
        form = TemplateForm(request.POST, request.FILES, regions=upload_regions)
        if form.is_valid():
            region = scope.access_node(user, form.cleaned_data["region"])
            f = form.cleaned_data["file"]
            try:
                tpl = actions.do_upload_template(
                    user, region, f.read(), f.name, form.cleaned_data["note"]
                )
            except ValidationFailed as exc:
                problems = exc.problems
                status = 422
            except UserError as exc:
                form.add_error("file", str(exc))
                status = 400
            else:
                messages.success(
                    request,
                    _("Template version %(v)s of %(region)s saved.")
                    % {"v": tpl.version, "region": region.name},
                )
                return redirect("reports:templates")
        else:
            status = 400
    templates = (
        scope.filter_by_node(user, ReportTemplate.objects.all(), field="region")
        .select_related("region", "uploaded_by")
        .defer("data")
        .order_by("region__path", "-version")
    )
    page, query = paging.page_of(request, templates)
    return render(
        request,
        "reports/templates.html",
        {
            "form": form,
            "problems": problems,
            "page": page,
            "query": query,
            "fields": sorted(document.FIELDS.items()),
        },
        status=status,
    )


@login_required
def template_download(request, pk: int):
    tpl = (
        scope.filter_by_node(request.user, ReportTemplate.objects.all(), field="region")
        .filter(pk=pk)
        .first()
    )
    if tpl is None:
        raise Http404("no such template")
    response = HttpResponse(bytes(tpl.data), content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="template-v{tpl.version}.docx"'
    return response


@login_required
def default_template(request):
    response = HttpResponse(document.default_template(), content_type=DOCX)
    response["Content-Disposition"] = 'attachment; filename="summary-template.docx"'
    return response
