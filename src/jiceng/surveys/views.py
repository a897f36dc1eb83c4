"""Pages of satisfaction surveys: questionnaires, loading one, its import template, importing
a phone-survey file, entering one response, the rates of a node and its children, comments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jiceng.core import audit, scope
from jiceng.core.errors import UserError, ValidationFailed
from jiceng.core.paging import page_of
from jiceng.standards import queries as catalog_queries
from jiceng.surveys import actions, queries
from jiceng.surveys.forms import LoadQuestionnaireForm
from jiceng.surveys.models import KIND_LABELS, Questionnaire
from jiceng.surveys.questionnaire import parse_questionnaire

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def index(request):
    user = request.user
    can_manage = catalog_queries.can_manage_catalogs(user)
    return render(
        request,
        "surveys/index.html",
        {
            "questionnaires": queries.visible_questionnaires(user),
            "can_manage": can_manage,
            "root": scope.scope_root(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def load(request):
    if not catalog_queries.can_manage_catalogs(request.user):
        raise PermissionDenied("only administrators load questionnaires")
    owners = catalog_queries.owner_choices(request.user)
    ctx: dict = {}
    status = 200
    if request.method == "POST":
        form = LoadQuestionnaireForm(request.POST, request.FILES, owners=owners)
        if form.is_valid():
            f = form.cleaned_data["file"]
            ctx["filename"] = f.name
            try:
                owner = catalog_queries.owner_from_code(request.user, form.cleaned_data["owner"])
                try:
                    text = f.read().decode("utf-8-sig")
                except UnicodeDecodeError:
                    raise UserError(_("The file is not UTF-8 text.")) from None
                d = parse_questionnaire(text, f.name)
                q = actions.do_load_questionnaire(request.user, d, text, f.name, owner=owner)
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
                    % {"name": q.name, "version": q.version},
                )
                return redirect("surveys:questionnaire", pk=q.pk)
        else:
            status = 400
    else:
        form = LoadQuestionnaireForm(owners=owners)
    ctx["form"] = form
    return render(request, "surveys/load.html", ctx, status=status)


@login_required
def questionnaire(request, pk: int):
    q = queries.get_questionnaire(request.user, pk)
    return render(
        request,
        "surveys/questionnaire.html",
        {
            "q": q,
            "d": q.definition(),
            "can_import": catalog_queries.can_manage_catalogs(request.user),
        },
    )


@login_required
def template(request, pk: int):
    """The import template of a questionnaire: the header and one example row."""
    from jiceng.surveys.export import template_workbook

    q = queries.get_questionnaire(request.user, pk)
    response = HttpResponse(template_workbook(q.definition()), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="survey-{q.code}-{q.version}.xlsx"'
    return response


def _importable(user) -> list[Questionnaire]:
    if not catalog_queries.can_manage_catalogs(user):
        raise PermissionDenied("only administrators import survey responses")
    return list(queries.visible_questionnaires(user).filter(active=True))


@login_required
@require_http_methods(["GET", "POST"])
def import_responses(request):
    """A phone-survey file (CSV or Excel) of one questionnaire and period, all or nothing."""
    user = request.user
    choices = _importable(user)
    ctx: dict = {"questionnaires": choices, "period": queries.last_quarter(timezone.localdate())}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        chosen = request.POST.get("questionnaire", "")
        ctx["chosen"] = chosen
        ctx["period"] = request.POST.get("period", "").strip()
        q = next((x for x in choices if str(x.pk) == chosen), None)
        if upload is None or q is None:
            ctx["error"] = _("Choose a questionnaire, a period and a file.")
            status = 400
        else:
            ctx["filename"] = upload.name
            try:
                batch = actions.do_import_responses(
                    user, q, ctx["period"], upload.read(), upload.name
                )
            except ValidationFailed as exc:
                ctx["problems"], ctx["error"] = exc.problems, exc.summary
                status = 422
            except UserError as exc:
                ctx["error"] = str(exc)
                status = 400
            else:
                messages.success(
                    request,
                    _("Imported %(n)s responses of %(name)s for %(period)s.")
                    % {"n": batch.responses, "name": q.name, "period": batch.period},
                )
                return redirect("surveys:index")
    return render(request, "surveys/import.html", ctx, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def enter(request, pk: int):
    """One response typed on the page (a call answered while the page is open)."""
    q = queries.get_questionnaire(request.user, pk)
    _importable(request.user)
    d = q.definition()
    ctx: dict = {"q": q, "d": d, "values": {}}
    status = 200
    if request.method == "POST":
        keys = ["org_code", "date", "phone", "name", *(x.code for x in d.questions)]
        fields = {k: request.POST.get(k, "") for k in keys}
        # Never echo the telephone number or the name back into the page.
        ctx["values"] = {k: v for k, v in fields.items() if k not in ("phone", "name")}
        try:
            actions.do_enter_response(request.user, q, fields)
        except ValidationFailed as exc:
            ctx["problems"], ctx["error"] = exc.problems, exc.summary
            status = 422
        except UserError as exc:
            ctx["error"] = str(exc)
            status = 400
        else:
            messages.success(request, _("The response is saved."))
            return redirect("surveys:enter", pk=q.pk)
    ctx["today"] = timezone.localdate().isoformat()
    return render(request, "surveys/enter.html", ctx, status=status)


def _rate_args(request, code: str) -> tuple:
    node = scope.access_node(request.user, code, scope.Action.VIEW)
    kind = request.GET.get("kind", "") or "outpatient"
    if kind not in KIND_LABELS:
        kind = "outpatient"
    error = ""
    default = queries.last_quarter(timezone.localdate())
    raw = request.GET.get("period", "").strip() or default
    try:
        period = queries.survey_period(raw)
    except UserError as exc:
        error, period = str(exc), queries.survey_period(default)
    return node, kind, period, error


def _kinds() -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in KIND_LABELS.items()]


@login_required
def rates(request, code: str):
    """The rate of a node and of each child, with the changes in percentage points."""
    node, kind, period, error = _rate_args(request, code)
    page, query = page_of(request, node.children.order_by("path"))
    rows = queries.rate_rows(node, kind, period, list(page.object_list))
    return render(
        request,
        "surveys/rates.html",
        {
            "node": node,
            "kind": kind,
            "kinds": _kinds(),
            "period": period,
            "cmp": queries.comparison(period),
            "error": error,
            "total": rows[0],
            "rows": rows[1:],
            "page": page,
            "query": query,
            "questions": queries.question_rates(node, kind, period),
            "parent": node.parent
            if node.parent and scope.can_see(request.user, node.parent)
            else None,
        },
    )


@login_required
def rates_export(request, code: str):
    from jiceng.surveys.export import rates_workbook

    node, kind, period, _error = _rate_args(request, code)
    children = list(node.children.order_by("path"))
    rows = queries.rate_rows(node, kind, period, children)
    data = rates_workbook(
        node,
        str(KIND_LABELS[kind]),
        queries.comparison(period),
        rows,
        queries.question_rates(node, kind, period),
        queries.comments(node, kind, period)[: queries.MAX_EXPORTED_COMMENTS],
    )
    # Residents' own words: the download is recorded, as other exports of personal data.
    audit.record_download(
        request.user, "survey_export", node, details={"kind": kind, "period": period.label}
    )
    response = HttpResponse(data, content_type=XLSX)
    name = f"satisfaction-{kind}-{node.code}-{period.label}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def comments(request, code: str):
    """The comments respondents made in a node's subtree, newest first."""
    node, kind, period, error = _rate_args(request, code)
    page, query = page_of(request, queries.comments(node, kind, period))
    return render(
        request,
        "surveys/comments.html",
        {
            "node": node,
            "kind": kind,
            "kinds": _kinds(),
            "period": period,
            "error": error,
            "page": page,
            "query": query,
        },
    )
