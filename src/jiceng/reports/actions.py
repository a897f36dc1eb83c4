"""Writes of the reports app, each audited: upload a template version, request a report,
and the worker's generation of it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, scope
from jiceng.core.errors import UserError
from jiceng.orgs.models import Node
from jiceng.reports import document
from jiceng.reports.models import GeneratedReport, ReportTemplate

MAX_TEMPLATE_BYTES = 10 * 1024 * 1024


def can_generate(user, region: Node) -> bool:
    """Anyone who sees a region (not an institution) may have its summary written."""
    return scope.can(user, scope.Action.VIEW, region) and not region.is_institution


def can_manage_templates(user, region: Node) -> bool:
    """Administrators of the region (or above) upload its templates."""
    return scope.can(user, scope.Action.MANAGE_CATALOGS, region) and not region.is_institution


def template_for(region: Node) -> ReportTemplate | None:
    """The newest template of ``region`` or of the nearest region above it that has one."""
    from jiceng.orgs.models import path_ids

    return (
        ReportTemplate.objects.filter(region_id__in=path_ids(region.path))
        .order_by("-region__depth", "-version")
        .first()
    )


def do_upload_template(
    actor, region: Node, data: bytes, filename: str, note: str = ""
) -> ReportTemplate:
    """Store a checked template as the region's next version; audited. A template naming an
    unknown field (or not a .docx) is refused whole, in Chinese, naming them."""
    if actor is not None:
        scope.require(actor, scope.Action.VIEW, region)
        if not can_manage_templates(actor, region):
            raise PermissionDenied(_("Only administrators of the region upload its templates."))
    if len(data) > MAX_TEMPLATE_BYTES:
        raise UserError(_("The template is larger than 10 MB."))
    document.check_template(data, filename)
    with transaction.atomic():
        last = (
            ReportTemplate.objects.select_for_update()
            .filter(region=region)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        tpl = ReportTemplate.objects.create(
            region=region,
            version=(last or 0) + 1,
            filename=filename[:255],
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            note=note[:255],
        )
        audit.record(
            actor,
            "reports.upload_template",
            tpl,
            after={"filename": tpl.filename, "version": tpl.version, "sha256": tpl.sha256},
        )
    return tpl


def do_request_report(
    actor, region: Node, year: int, quarter: int | None = None
) -> GeneratedReport:
    """Queue a work summary (or, with ``quarter``, a progress report) of ``region``; audited."""
    if actor is not None:
        scope.require(actor, scope.Action.VIEW, region)
        if not can_generate(actor, region):
            raise PermissionDenied(_("Summaries are written for regions, not institutions."))
    if quarter is not None and quarter not in (1, 2, 3, 4):
        raise UserError(_("The quarter must be 1, 2, 3 or 4."))
    if not 2000 <= year <= timezone.localdate().year + 1:
        raise UserError(_("The year %(year)s is out of range.") % {"year": year})
    with transaction.atomic():
        report = GeneratedReport.objects.create(
            region=region,
            kind=GeneratedReport.Kind.PROGRESS if quarter else GeneratedReport.Kind.SUMMARY,
            year=year,
            quarter=quarter,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            actor,
            "reports.request",
            report,
            after={"year": year, "quarter": quarter, "kind": report.kind},
            changes_data=False,
        )
    return report


def do_generate_report(
    actor,
    report: GeneratedReport,
    pdf: bool = True,
    progress: Callable[[int], None] | None = None,
) -> GeneratedReport:
    """Compose the figures, fill the template, render the PDF and store both; audited.

    ``progress`` is called with a percentage as the work goes on. A failure leaves the
    report marked failed with the reason, and nothing half-written.
    """
    from jiceng.reports import figures

    def step(done: int, total: int) -> None:
        if progress:
            progress(int(60 * done / total))

    template = template_for(report.region)
    source = bytes(template.data) if template else document.default_template()
    fields, _figures = figures.build(report.region, report.year, report.quarter, progress=step)
    docx = document.render(source, fields)
    if progress:
        progress(70)
    note = ""
    if pdf and document.soffice() is None:
        pdf, note = False, _("LibreOffice is not installed: only the Word document was written.")
    pdf_bytes = document.to_pdf(docx) if pdf else b""
    if progress:
        progress(95)
    with transaction.atomic():
        report.docx = docx
        report.pdf = pdf_bytes
        report.has_pdf = bool(pdf_bytes)
        report.template = template
        report.status = GeneratedReport.Status.DONE
        report.progress = 100
        report.error = note
        report.finished_at = timezone.now()
        report.save()
        audit.record(
            actor,
            "reports.generate",
            report,
            after={
                "year": report.year,
                "quarter": report.quarter,
                "template": str(template) if template else "default",
                "figures": len(_figures),
            },
            changes_data=False,
        )
    return report
