"""API: the written reports a user may see (the list of the reports page) and one report."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.urls import reverse
from ninja import Router, Schema
from ninja.pagination import paginate

from jiceng.api.pagination import Pages, Rows
from jiceng.core import scope
from jiceng.reports.models import GeneratedReport

router = Router(tags=["reports"])


class ReportOut(Schema):
    id: int
    region_code: str
    region_name: str
    kind: str
    year: int
    quarter: int | None
    status: str
    progress: int
    created_at: dt.datetime
    docx_url: str | None
    pdf_url: str | None


def _out(r: GeneratedReport) -> ReportOut:
    done = r.status == GeneratedReport.Status.DONE
    return ReportOut(
        id=r.pk,
        region_code=r.region.code,
        region_name=r.region.name,
        kind=r.kind,
        year=r.year,
        quarter=r.quarter,
        status=r.status,
        progress=r.progress,
        created_at=r.created_at,
        docx_url=reverse("reports:download", args=[r.pk, "docx"]) if done else None,
        pdf_url=reverse("reports:download", args=[r.pk, "pdf"]) if done and r.has_pdf else None,
    )


def _visible(user):
    return (
        scope.filter_by_node(user, GeneratedReport.objects.all(), field="region")
        .select_related("region")
        .defer("docx", "pdf")
    )


@router.get("", response=list[ReportOut], summary="Work summaries and progress reports")
@paginate(Pages)
def list_reports(request):
    return Rows(_visible(request.user).order_by("-created_at", "-id"), _out)


@router.get("/{pk}", response=ReportOut, summary="One report: its status and downloads")
def get_report(request, pk: int):
    report = _visible(request.user).filter(pk=pk).first()
    if report is None:
        raise Http404("no such report")
    return _out(report)
