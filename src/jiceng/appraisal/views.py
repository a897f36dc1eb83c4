"""Pages of appraisal: schemes (load, activate), a year's appraisal of a region (ranking,
exports, funds, review, publish, correct), a unit's score sheet with its history, manual
item entry, appeals, and bad-practice points."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.appraisal import actions, engine, queries, results
from jiceng.appraisal.forms import BadPracticeForm, LoadSchemeForm
from jiceng.appraisal.models import Appeal, EvidenceFile, ManualValue, Status
from jiceng.core import audit, feedback, paging, scope
from jiceng.core.errors import UserError, ValidationFailed
from jiceng.core.evidence import attachment
from jiceng.standards import queries as catalog_queries

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
def index(request):
    user = request.user
    appraisals = list(
        queries.visible_appraisals(user).order_by(
            "-year", "region__path", "scheme__code", "-number"
        )[:200]
    )
    root = scope.scope_root(user)
    can_open = scope.is_global(user) or (
        root is not None and scope.can(user, scope.Action.PUBLISH, root)
    )
    return render(
        request,
        "appraisal/index.html",
        {
            "appraisals": appraisals,
            "schemes": list(queries.visible_schemes(user)),
            "can_manage": catalog_queries.can_manage_catalogs(user),
            "can_open": can_open,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def load(request):
    if not catalog_queries.can_manage_catalogs(request.user):
        raise PermissionDenied("only administrators load schemes")
    owners = catalog_queries.owner_choices(request.user)
    ctx: dict = {}
    status = 200
    if request.method == "POST":
        form = LoadSchemeForm(request.POST, request.FILES, owners=owners)
        if form.is_valid():
            f = form.cleaned_data["file"]
            ctx["filename"] = f.name
            try:
                owner = catalog_queries.owner_from_code(request.user, form.cleaned_data["owner"])
                scheme, text, name = engine.read_scheme(f.read(), f.name)
                version = actions.do_load_scheme(request.user, scheme, text, name, owner=owner)
            except ValidationFailed as exc:
                ctx["problems"] = exc.problems
                status = 422
            except UserError as exc:
                form.add_error("file", str(exc))
                status = 400
            else:
                messages.success(
                    request,
                    _("Loaded %(title)s version %(version)s.")
                    % {"title": version.title, "version": version.version},
                )
                return redirect("appraisal:scheme", pk=version.pk)
        else:
            status = 400
    else:
        form = LoadSchemeForm(owners=owners)
    ctx["form"] = form
    return render(request, "appraisal/load.html", ctx, status=status)


@login_required
def scheme(request, pk: int):
    version = queries.get_scheme(request.user, pk)
    return render(
        request,
        "appraisal/scheme.html",
        {
            "version": version,
            "scheme": engine.scheme_of(version),
            "can_manage": scope.can_manage_catalog(request.user, version.owner),
        },
    )


@login_required
@require_POST
def scheme_active(request, pk: int):
    version = queries.get_scheme(request.user, pk)
    if not scope.can_manage_catalog(request.user, version.owner):
        raise PermissionDenied("not an administrator of the owner region")
    actions.do_set_scheme_active(request.user, version, request.POST.get("active") == "1")
    return redirect("appraisal:scheme", pk=version.pk)


@login_required
@require_POST
def open_appraisal(request):
    user = request.user
    version = queries.get_scheme(user, _int(request.POST.get("scheme")))
    region = scope.access_node(user, request.POST.get("region", "").strip(), scope.Action.PUBLISH)
    try:
        appraisal = actions.do_open_appraisal(user, version, region, _int(request.POST.get("year")))
    except UserError as exc:
        messages.error(request, str(exc))
        return redirect("appraisal:index")
    return redirect("appraisal:ranking", pk=appraisal.pk)


def _ints(texts) -> list[int]:
    """The whole numbers among ``texts`` (ticked file ids); anything else is ignored."""
    return [int(t) for t in texts if str(t).isdigit()]


def _int(text) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise Http404("bad number") from None


# ---------------------------------------------------------------- one appraisal


def _context(request, appraisal) -> dict:
    table = results.results_for(request, appraisal)
    rows = queries.rows_seen(request.user, table.units)
    scheme = engine.scheme_of(appraisal.scheme)
    return {
        "appraisal": appraisal,
        "scheme": scheme,
        "grade_counts": results.grade_counts(scheme, rows),
        "table": table,
        "rows": rows,
        "is_appraiser": queries.is_appraiser(request.user, appraisal),
        "correction": appraisal.__class__.objects.filter(corrects=appraisal).first(),
    }


@login_required
def ranking(request, pk: int):
    appraisal = queries.get_appraisal(request.user, pk)
    ctx = _context(request, appraisal)
    sort = request.GET.get("sort", "rank")
    ordered = results.sorted_rows(ctx["table"], sort)
    seen = {r.unit for r in ctx["rows"]}
    page, query = paging.page_of(request, [r for r in ordered if r.unit in seen])
    ctx.update(
        page=page,
        query=query,
        sort=sort,
        appeals=list(queries.appeals_of(request.user, appraisal)[:100]),
    )
    return render(request, "appraisal/ranking.html", ctx)


def _attachment(data: bytes, kind: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _unpublished(appraisal) -> bool:
    """Exports of results not yet published are audited as downloads."""
    return not appraisal.is_frozen


def _ordered_rows(request, appraisal):
    ctx = _context(request, appraisal)
    seen = {r.unit for r in ctx["rows"]}
    return ctx, [r for r in results.sorted_rows(ctx["table"], "rank") if r.unit in seen]


@login_required
def ranking_xlsx(request, pk: int):
    from jiceng.appraisal.export import ranking_workbook

    appraisal = queries.get_appraisal(request.user, pk)
    _ctx, rows = _ordered_rows(request, appraisal)
    name = f"appraisal-{appraisal.scheme.code}-{appraisal.region.code}-{appraisal.year}.xlsx"
    if _unpublished(appraisal):
        audit.record_download(
            request.user, "appraisal_export", appraisal, details={"format": "xlsx"}
        )
    return _attachment(ranking_workbook(appraisal, rows), XLSX, name)


@login_required
def ranking_docx(request, pk: int):
    from jiceng.appraisal.export import ranking_document

    appraisal = queries.get_appraisal(request.user, pk)
    ctx, rows = _ordered_rows(request, appraisal)
    data = ranking_document(appraisal, rows, ctx["table"].warnings)
    name = f"appraisal-{appraisal.scheme.code}-{appraisal.region.code}-{appraisal.year}.docx"
    if _unpublished(appraisal):
        audit.record_download(
            request.user, "appraisal_export", appraisal, details={"format": "docx"}
        )
    return _attachment(data, DOCX, name)


@login_required
def funds(request, pk: int):
    appraisal = queries.get_appraisal(request.user, pk)
    ctx = _context(request, appraisal)
    scheme = ctx["scheme"]
    lines = []
    seen = {r.unit for r in ctx["rows"]}
    for r in results.sorted_rows(ctx["table"], "unit"):
        if r.unit not in seen:
            continue
        line = {"row": r, "exact": r.share}
        if scheme.fund is not None and scheme.fund.rule == "grade_per_capita" and r.grade:
            line["rate"] = engine.plain(scheme.fund.rate(r.grade))
        lines.append(line)
    page, query = paging.page_of(request, lines)
    ctx.update(
        page=page,
        query=query,
        fund=scheme.fund,
        seen_total=sum(
            (results.Decimal(r.amount) for r in ctx["rows"] if r.amount), results.Decimal(0)
        ),
    )
    return render(request, "appraisal/funds.html", ctx)


@login_required
def funds_xlsx(request, pk: int):
    from jiceng.appraisal.export import funds_workbook

    appraisal = queries.get_appraisal(request.user, pk)
    ctx = _context(request, appraisal)
    seen = {r.unit for r in ctx["rows"]}
    rows = [r for r in results.sorted_rows(ctx["table"], "unit") if r.unit in seen]
    data = funds_workbook(appraisal, rows, ctx["table"].weight_total)
    name = f"funds-{appraisal.scheme.code}-{appraisal.region.code}-{appraisal.year}.xlsx"
    if _unpublished(appraisal):
        audit.record_download(request.user, "appraisal_funds_export", appraisal, details={})
    return _attachment(data, XLSX, name)


def _step(request, pk: int, do, done: str, **kwargs):
    appraisal = queries.get_appraisal(request.user, pk)
    if not queries.is_appraiser(request.user, appraisal):
        raise PermissionDenied("not an appraiser of this region")
    try:
        result = do(request.user, appraisal, **kwargs)
    except UserError as exc:
        messages.error(request, str(exc))
        return redirect("appraisal:ranking", pk=appraisal.pk)
    messages.success(request, done)
    return redirect("appraisal:ranking", pk=result.pk)


@login_required
@require_POST
def review(request, pk: int):
    return _step(request, pk, actions.do_review, _("The appraisal is reviewed."))


@login_required
@require_POST
def publish(request, pk: int):
    try:
        days = int(request.POST.get("appeal_days", actions.APPEAL_DAYS))
    except ValueError:
        days = -1
    return _step(
        request,
        pk,
        actions.do_publish,
        _("The appraisal is published and frozen."),
        appeal_days=days,
    )


@login_required
@require_POST
def correct(request, pk: int):
    return _step(
        request,
        pk,
        actions.do_correct,
        _("A correction is opened as a new version."),
        reason=request.POST.get("reason", ""),
    )


# ---------------------------------------------------------------- one unit


def _unit(request, pk: int, code: str):
    appraisal = queries.get_appraisal(request.user, pk)
    unit = scope.access_node(request.user, code, scope.Action.VIEW)
    if not unit.is_within(appraisal.region):
        raise Http404("unit not appraised here")
    return appraisal, unit


def _sheet_context(request, appraisal, unit) -> dict:
    scheme = engine.scheme_of(appraisal.scheme)
    table = results.results_for(request, appraisal)
    row = table.row(unit.code)
    manual = {
        m.item: m
        for m in ManualValue.objects.filter(appraisal=appraisal, unit=unit).prefetch_related(
            "files"
        )
    }
    items = []
    for module in scheme.modules:
        for item in module.items:
            cell = row.items.get(item.code) if row else None
            items.append(
                {
                    "module": module,
                    "item": item,
                    "rule": item.rule.describe(),
                    "cell": cell,
                    "manual": manual.get(item.code),
                }
            )
    party = scope.is_party_to(request.user, unit)
    window = (
        appraisal.status == Status.PUBLISHED
        and appraisal.appeal_until is not None
        and timezone.localdate() <= appraisal.appeal_until
    )
    return {
        "appraisal": appraisal,
        "scheme": scheme,
        "unit": unit,
        "row": row,
        "items": items,
        "history": queries.history(unit, appraisal.scheme.code),
        "appeals": list(
            Appeal.objects.filter(appraisal=appraisal, unit=unit).select_related(
                "filed_by", "answered_by"
            )
        ),
        "can_appeal": party and window and row is not None,
        "is_appraiser": queries.is_appraiser(request.user, appraisal) and not party,
        "has_manual": any(engine.is_manual(i) for i in scheme.items),
    }


@login_required
def sheet(request, pk: int, code: str):
    appraisal, unit = _unit(request, pk, code)
    ctx = _sheet_context(request, appraisal, unit)
    if ctx["row"] is None:
        raise Http404("unit not appraised here")
    return render(request, "appraisal/sheet.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def manual(request, pk: int, code: str):
    appraisal, unit = _unit(request, pk, code)
    if not queries.is_appraiser(request.user, appraisal):
        raise PermissionDenied("not an appraiser of this region")
    ctx = _sheet_context(request, appraisal, unit)
    if ctx["row"] is None:
        raise Http404("unit not appraised here")
    status = 200
    if request.method == "POST":
        codes = [i.code for i in ctx["scheme"].items if engine.is_manual(i)]
        entries = {
            c: (
                request.POST.get(f"v-{c}", ""),
                request.POST.get(f"r-{c}", ""),
                request.POST.get(f"e-{c}", ""),
            )
            for c in codes
        }
        files = {c: request.FILES.getlist(f"f-{c}") for c in codes}
        remove = {c: _ints(request.POST.getlist(f"x-{c}")) for c in codes}
        try:
            actions.do_enter_manual(
                request.user, appraisal, unit, entries, files=files, remove=remove
            )
        except ValidationFailed as exc:
            ctx.update(problems=exc.problems, error=exc.summary)
            status = 400
        except UserError as exc:
            ctx.update(error=str(exc))
            status = 400
        else:
            messages.success(request, _("Saved."))
            return redirect("appraisal:sheet", pk=appraisal.pk, code=unit.code)
    posted = request.POST if request.method == "POST" else None
    ctx["manual_items"] = []
    for i in ctx["items"]:
        if not engine.is_manual(i["item"]):
            continue
        code, m = i["item"].code, i["manual"]
        if posted is not None:
            typed = [posted.get(f"{k}-{code}", "") for k in "vre"]
            removed = set(_ints(posted.getlist(f"x-{code}")))
        elif m is not None:
            typed = [engine.plain(engine.fraction(m.value)), m.reason, m.evidence]
            removed = set()
        else:
            typed, removed = ["", "", ""], set()
        ctx["manual_items"].append({**i, "typed": typed, "removed": removed})
    return render(request, "appraisal/manual.html", ctx, status=status)


@login_required
@require_POST
def appeal(request, pk: int, code: str):
    appraisal, unit = _unit(request, pk, code)
    if not scope.is_party_to(request.user, unit):
        raise PermissionDenied("not a party to this unit")
    try:
        actions.do_file_appeal(
            request.user,
            appraisal,
            unit,
            request.POST.get("item", ""),
            request.POST.get("text", ""),
        )
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The appeal is filed."))
    return redirect("appraisal:sheet", pk=appraisal.pk, code=unit.code)


@login_required
@require_POST
def answer(request, pk: int):
    appeal = (
        Appeal.objects.select_related("appraisal__region", "appraisal__scheme", "unit")
        .filter(pk=pk)
        .first()
    )
    if appeal is None or not scope.can_see(request.user, appeal.unit):
        raise Http404("no such appeal")
    queries.get_appraisal(request.user, appeal.appraisal_id)
    if not queries.is_appraiser(request.user, appeal.appraisal):
        raise PermissionDenied("not an appraiser of this region")
    try:
        actions.do_answer_appeal(
            request.user, appeal, request.POST.get("outcome", ""), request.POST.get("answer", "")
        )
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The appeal is answered."))
    return redirect("appraisal:sheet", pk=appeal.appraisal_id, code=appeal.unit.code)


# ---------------------------------------------------------------- bad practice


@login_required
@require_http_methods(["GET", "POST"])
def bad_practice(request):
    user = request.user
    root = scope.scope_root(user)
    can_record = root is not None and scope.can(user, scope.Action.SUPERVISE, root)
    status = 200
    form = BadPracticeForm()
    problems = []
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied("only supervisors record points")
        form = BadPracticeForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            institution = scope.access_node(user, d["institution"].strip(), scope.Action.VIEW)
            try:
                actions.do_record_bad_practice(
                    user,
                    institution,
                    d["date"],
                    d["rule"],
                    d["points"],
                    d["evidence"],
                    files=d["files"],
                )
            except ValidationFailed as exc:
                problems, status = exc.problems, 400
            except UserError as exc:
                problems, status = [str(exc)], 400
            else:
                messages.success(request, _("The points are recorded."))
                return redirect("appraisal:bad_practice")
        else:
            status = 400
    rows = queries.visible_bad_practice(user).prefetch_related("files")
    if code := request.GET.get("institution", "").strip():
        rows = rows.filter(institution__code=code)
    page, query = paging.page_of(request, rows)
    return render(
        request,
        "appraisal/bad_practice.html",
        {
            "page": page,
            "query": query,
            "form": form,
            "can_record": can_record,
            "problems": problems,
        },
        status=status,
    )


@login_required
@require_POST
def bad_practice_files(request, pk: int):
    """Attach evidence files to recorded points, from their row of the list."""
    bad = get_object_or_404(queries.visible_bad_practice(request.user), pk=pk)
    try:
        stored = actions.do_attach_bad_practice_files(
            request.user, bad, request.FILES.getlist("files")
        )
    except UserError as exc:
        feedback.flash(request, exc)
    else:
        messages.success(request, _("%(n)s files attached.") % {"n": len(stored)})
    return redirect(reverse("appraisal:bad_practice") + f"?institution={bad.institution.code}")


# ---------------------------------------------------------------- evidence files


@login_required
def evidence_file(request, pk: int):
    """Download an evidence file of a manual score or of bad-practice points: to those who
    see its unit (404 for anyone else), audited, always as an attachment."""
    ev = EvidenceFile.objects.select_related("node").filter(pk=pk).first()
    if ev is None or not scope.can_see(request.user, ev.node):
        raise Http404("no such file")
    return attachment(
        request.user,
        ev,
        file=ev.file,
        name=ev.name,
        kind=ev.kind,
        node_path=ev.node.path,
        details={"name": ev.name, "unit": ev.node.code},
    )
