"""Pages of the rectification ledger and supervision visits.

Every page asks ``jiceng.core.scope``: an entry or visit outside the user's part of the
tree is 404; an action the user may not take there is 403 (raised by the action).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core import audit, feedback, pagecache, scope
from jiceng.core.errors import Problem, UserError, ValidationFailed
from jiceng.core.evidence import attachment
from jiceng.rectification import actions, queries
from jiceng.rectification.export import workbook_bytes
from jiceng.rectification.forms import (
    EntryForm,
    ExtendForm,
    LedgerFilterForm,
    ReportFixedForm,
    SendBackForm,
    VerifyForm,
    VisitForm,
    finding_formset,
)
from jiceng.rectification.models import Evidence, LedgerEntry, Status, SupervisionVisit

PAGE_SIZE = 50


def _entry_for(user, pk: int) -> LedgerEntry:
    entry = get_object_or_404(
        LedgerEntry.objects.select_related("institution", "visit", "submission", "verified_by"),
        pk=pk,
    )
    if not scope.can_see(user, entry.institution):
        raise Http404("entry not found")
    return entry


def _problems(exc: UserError) -> feedback.Feedback:
    return feedback.summarize(exc)


@login_required
def ledger(request):
    """The ledger with its filters; overdue entries stand out."""
    form = LedgerFilterForm(request.GET or None, user=request.user)
    f = form.to_filter()
    qs = queries.ledger(request.user, f)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)

    def filters_and_counts() -> dict:
        # The filter form renders each of its many region options through a template: cached
        # with the counts, per filter (it holds no CSRF token: it is sent with GET).
        return {
            "filters_html": render_to_string(
                "rectification/_ledger_filters.html", {"form": form}, request=request
            ),
            "summary": queries.summary(qs, f.today),
        }

    cached = pagecache.cached(
        request,
        "rectification.ledger",
        pagecache.region_path(request.user),
        filters_and_counts,
        vary=(query.urlencode(), f.today.isoformat()),
        kinds=(pagecache.DATA, pagecache.LEDGER),
    )
    return render(
        request,
        "rectification/ledger.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "today": f.today,
            "can_supervise": _can_supervise(request.user),
            **cached,
        },
        status=200 if not form.errors else 400,
    )


def _can_supervise(user) -> bool:
    root = scope.scope_root(user)
    return root is not None and scope.can(user, scope.Action.SUPERVISE, root)


@login_required
def summary(request):
    """Counts for reports: open, overdue, reported and closed entries by county and source."""
    form = LedgerFilterForm(request.GET or None, user=request.user)
    f = form.to_filter()

    def counts() -> dict:
        qs = queries.ledger(request.user, queries.LedgerFilter(region=f.region, today=f.today))
        return {
            "by_county": queries.counts_by_county(request.user, f.region, f.today),
            "by_source": queries.counts_by_source(qs, f.today),
            "total": queries.summary(qs, f.today),
        }

    region = f.region or scope.scope_root(request.user)
    figures = pagecache.cached(
        request,
        "rectification.summary",
        region.path if region else pagecache.ROOT,
        counts,
        vary=(f.today.isoformat(),),
        kinds=(pagecache.DATA, pagecache.LEDGER),
    )
    return render(
        request,
        "rectification/summary.html",
        {"form": form, "region": f.region, **figures},
    )


@login_required
def export(request):
    """The filtered ledger as an Excel file."""
    form = LedgerFilterForm(request.GET or None, user=request.user)
    f = form.to_filter()
    qs = queries.ledger(request.user, f)
    data = workbook_bytes(qs, f.today)
    audit.record_download(
        request.user,
        "ledger_export",
        f.region or scope.scope_root(request.user),
        details={"query": request.GET.urlencode()},
    )
    name = f"rectification-ledger-{f.today:%Y%m%d}.xlsx"
    resp = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


def _detail_context(request, entry: LedgerEntry, **forms) -> dict:
    user = request.user
    inst = entry.institution
    can_report = entry.status == Status.OPEN and scope.can(user, scope.Action.REPORT_FIX, inst)
    can_verify = entry.status == Status.REPORTED_FIXED and scope.can(
        user, scope.Action.VERIFY_FIX, inst
    )
    can_extend = entry.status != Status.CLOSED and scope.can(user, scope.Action.SUPERVISE, inst)
    return {
        "entry": entry,
        "today": timezone.localdate(),
        "events": entry.events.select_related("actor"),
        "evidence": entry.evidence.all(),
        "can_report": can_report,
        "can_verify": can_verify,
        "can_extend": can_extend,
        "report_form": forms.get("report_form")
        or ReportFixedForm(initial={"responsible": entry.responsible, "measures": entry.measures}),
        "verify_form": forms.get("verify_form") or VerifyForm(),
        "send_back_form": forms.get("send_back_form") or SendBackForm(),
        "extend_form": forms.get("extend_form") or ExtendForm(),
        "errors": forms.get("errors"),
    }


@login_required
def entry_detail(request, pk: int):
    entry = _entry_for(request.user, pk)
    return render(request, "rectification/entry.html", _detail_context(request, entry))


def _act(request, entry: LedgerEntry, form_name: str, form, call, done: str):
    """Run ``call(cleaned_data)``; on bad input re-show the entry with the errors (400)."""
    errors = None
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except UserError as exc:
            errors = _problems(exc)
        else:
            messages.success(request, done)
            return redirect("rectification:entry", pk=entry.pk)
    else:
        errors = feedback.summarize(feedback.problems_of_form(form))
    entry.refresh_from_db()
    ctx = _detail_context(request, entry, **{form_name: form, "errors": errors})
    return render(request, "rectification/entry.html", ctx, status=400)


def _check(user, action: scope.Action, entry: LedgerEntry) -> None:
    scope.require(user, action, entry.institution)


@login_required
@require_POST
def report_fixed(request, pk: int):
    entry = _entry_for(request.user, pk)
    _check(request.user, scope.Action.REPORT_FIX, entry)
    form = ReportFixedForm(request.POST)
    files = request.FILES.getlist("evidence")
    return _act(
        request,
        entry,
        "report_form",
        form,
        lambda d: actions.do_report_fixed(
            request.user, entry, measures=d["measures"], responsible=d["responsible"], files=files
        ),
        _("Reported fixed; the county will verify it."),
    )


@login_required
@require_POST
def verify_close(request, pk: int):
    entry = _entry_for(request.user, pk)
    _check(request.user, scope.Action.VERIFY_FIX, entry)
    return _act(
        request,
        entry,
        "verify_form",
        VerifyForm(request.POST),
        lambda d: actions.do_verify_close(request.user, entry, note=d["note"]),
        _("Verified and closed (销号)."),
    )


@login_required
@require_POST
def send_back(request, pk: int):
    entry = _entry_for(request.user, pk)
    _check(request.user, scope.Action.VERIFY_FIX, entry)
    return _act(
        request,
        entry,
        "send_back_form",
        SendBackForm(request.POST),
        lambda d: actions.do_send_back(request.user, entry, reason=d["reason"]),
        _("Sent back to the institution."),
    )


@login_required
@require_POST
def extend_deadline(request, pk: int):
    entry = _entry_for(request.user, pk)
    _check(request.user, scope.Action.SUPERVISE, entry)
    return _act(
        request,
        entry,
        "extend_form",
        ExtendForm(request.POST),
        lambda d: actions.do_extend_deadline(
            request.user, entry, deadline=d["deadline"], reason=d["reason"]
        ),
        _("Deadline extended."),
    )


@login_required
def evidence_file(request, pk: int):
    """Download one evidence file (always as an attachment, never rendered inline)."""
    ev = get_object_or_404(Evidence.objects.select_related("entry__institution"), pk=pk)
    if not scope.can_see(request.user, ev.entry.institution):
        raise Http404("file not found")
    return attachment(
        request.user,
        ev,
        file=ev.file,
        name=ev.name,
        kind=ev.kind,
        node_path=ev.entry.institution.path,
        details={"entry": ev.entry_id, "name": ev.name},
    )


@login_required
@require_POST
def evidence_delete(request, pk: int):
    ev = get_object_or_404(Evidence.objects.select_related("entry__institution"), pk=pk)
    entry = _entry_for(request.user, ev.entry_id)
    _check(request.user, scope.Action.REPORT_FIX, entry)
    try:
        actions.do_delete_evidence(request.user, ev)
    except UserError as exc:
        feedback.flash(request, exc)
    else:
        messages.success(request, _("The file %(name)s is removed.") % {"name": ev.name})
    return redirect("rectification:entry", pk=entry.pk)


@login_required
def entry_new(request):
    """Open an entry by hand (look-back finding, complaint, other)."""
    if not _can_supervise(request.user):
        raise PermissionDenied("action not allowed here")
    form = EntryForm(request.POST or None, user=request.user)
    errors = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        inst = scope.access_node(request.user, d["institution"], scope.Action.SUPERVISE)
        try:
            entry = actions.do_open_entry(
                request.user,
                inst,
                source=d["source"],
                description=d["description"],
                responsible=d["responsible"],
                deadline=d["deadline"],
            )
        except UserError as exc:
            errors = _problems(exc)
        else:
            messages.success(request, _("Entry opened."))
            return redirect("rectification:entry", pk=entry.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "rectification/entry_new.html", {"form": form, "errors": errors}, status=status
    )


@login_required
def visits(request):
    qs = queries.visits(request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "rectification/visits.html",
        {"page": page, "can_supervise": _can_supervise(request.user)},
    )


@login_required
def visit_detail(request, pk: int):
    visit = get_object_or_404(queries.visible_visits(request.user).select_related("node"), pk=pk)
    entries = scope.filter_by_node(
        request.user, visit.entries.select_related("institution"), field="institution"
    )
    return render(
        request,
        "rectification/visit.html",
        {"visit": visit, "entries": entries, "today": timezone.localdate()},
    )


@login_required
def visit_new(request):
    """Record a supervision visit with several findings; each finding becomes an entry."""
    user = request.user
    if not _can_supervise(user):
        raise PermissionDenied("action not allowed here")
    form = VisitForm(request.POST or None, user=user)
    rows = request.GET.get("rows", "")
    rows = int(rows) if rows.isdigit() else 5
    formset = finding_formset(rows)(request.POST or None, form_kwargs={"user": user}, prefix="f")
    errors = None
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            try:
                visit = _record_visit(user, form.cleaned_data, formset)
            except UserError as exc:
                errors = _problems(exc)
            else:
                n = visit.findings.count()
                messages.success(
                    request,
                    _("Visit recorded; %(n)s findings entered in the ledger.") % {"n": n},
                )
                return redirect("rectification:visit", pk=visit.pk)
        else:
            errors = feedback.summarize([Problem(_("Please correct the marked fields."))])
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "rectification/visit_new.html",
        {"form": form, "formset": formset, "errors": errors, "more_rows": rows + 5},
        status=status,
    )


def _record_visit(user, d: dict, formset) -> SupervisionVisit:
    node = scope.access_node(user, d["node"], scope.Action.SUPERVISE)
    findings = []
    problems = []
    row = 0
    for f in formset.forms:
        if f.is_blank():
            continue
        row += 1
        code = f.cleaned_data.get("institution")
        inst = scope.visible_nodes(user).filter(code=code).first() if code else None
        if code and inst is None:
            problems.append(Problem(_("Unknown institution."), row=row, field="institution"))
        findings.append(
            actions.FindingInput(
                institution=inst,
                description=f.cleaned_data.get("description", ""),
                deadline=f.cleaned_data.get("deadline"),
                responsible=f.cleaned_data.get("responsible", ""),
            )
        )
    if problems:
        raise ValidationFailed(problems)
    return actions.do_record_visit(
        user,
        node,
        visited_on=d["visited_on"],
        kind=d["kind"],
        team=d["team"],
        notes=d["notes"],
        findings=findings,
    )
