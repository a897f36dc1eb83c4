"""Pages of the organisation tree: browse, search, one unit, and the Excel import/export."""

from __future__ import annotations

import os

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jiceng.core import audit, feedback, scope
from jiceng.core.errors import Problem, UserError, ValidationFailed
from jiceng.orgs import excel, queries
from jiceng.orgs.actions import (
    do_close_node,
    do_create_node,
    do_import_tree,
    do_set_year,
    do_update_node,
)
from jiceng.orgs.forms import ImportForm, NodeForm, YearForm
from jiceng.orgs.importer import plan_import
from jiceng.orgs.models import ImportJob, Kind, Node, NodeYear
from jiceng.orgs.tasks import check as check_import
from jiceng.orgs.tasks import enqueue as enqueue_import
from jiceng.orgs.tasks import read_progress

SEARCH_LIMIT = 200
OPEN_LEVELS = 2  # levels under the user's root shown open on the tree page


def _roots(user) -> list[Node]:
    """The top of what the user sees: their node, or the tree's roots for a global user."""
    if scope.is_global(user):
        return list(Node.objects.filter(parent__isnull=True).order_by("code"))
    root = scope.scope_root(user)
    return [root] if root is not None else []


def _branch(nodes: list[Node], levels: int, expand: set[int]) -> list[dict]:
    """Nested items for the tree page: ``levels`` deep, plus the ancestors of ``expand``.

    One query a level of the tree, whatever the number of open nodes in it."""
    items = [_item(n) for n in nodes]
    level = items
    while level:
        children: dict[int, list[Node]] = {}
        ids = [it["node"].pk for it in level]
        for child in Node.objects.filter(parent_id__in=ids).order_by("code"):
            children.setdefault(child.parent_id, []).append(child)
        below = []
        for it in level:
            kids = children.get(it["node"].pk, [])
            it["has_children"] = bool(kids)
            it["open"] = bool(kids) and (levels > 0 or it["node"].pk in expand)
            if it["open"]:
                it["children"] = [_item(k) for k in kids]
                below += it["children"]
        level = below
        levels -= 1
    return items


def _item(node: Node) -> dict:
    return {"node": node, "has_children": False, "open": False, "children": []}


def visible_ancestors(user, node: Node) -> list[Node]:
    """Ancestors of ``node`` the user may see, top first (the breadcrumb)."""
    return [a for a in node.ancestors() if scope.can_see(user, a)]


@login_required
def tree(request):
    user = request.user
    q = request.GET.get("q", "").strip()
    ctx: dict = {"q": q, "can_manage": _can_manage(user)}
    if q:
        found = list(
            queries.search(scope.visible_nodes(user), q).order_by("path")[: SEARCH_LIMIT + 1]
        )
        ctx["more"] = len(found) > SEARCH_LIMIT
        found = found[:SEARCH_LIMIT]
        ids = {int(s) for n in found for s in n.path.strip("/").split("/")[:-1]}
        above = {a.pk: a for a in Node.objects.filter(pk__in=ids) if scope.can_see(user, a)}
        ctx["results"] = [
            {
                "node": n,
                "crumbs": [
                    above[int(s)] for s in n.path.strip("/").split("/")[:-1] if int(s) in above
                ],
            }
            for n in found
        ]
    else:
        expand: set[int] = set()
        if code := request.GET.get("expand"):
            target = scope.access_node(user, code)
            expand = {a.pk for a in target.ancestors(include_self=True)}
        ctx["items"] = _branch(_roots(user), OPEN_LEVELS, expand)
    return render(request, "orgs/tree.html", ctx)


@login_required
def children(request, code):
    """The children of one unit as a nested-list fragment (the tree expands with it)."""
    node = scope.access_node(request.user, code)
    kids = list(node.children.order_by("code"))
    items = _branch(kids, 0, set())
    return render(request, "orgs/_branch.html", {"items": items})


POPULATION_FIGURES = (
    "permanent_residents",
    "residents_65_plus",
    "children_0_6",
    "adults_18_plus",
    "key_population",
)


def _year_table(node: Node) -> list[dict]:
    years = (
        NodeYear.objects.filter(node__path__startswith=node.path)
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )
    rows = []
    for year in years:
        if node.is_institution:
            # Staff and beds are the institution's own; the residents it serves are
            # those of the units below it when it has no population of its own.
            own = NodeYear.objects.filter(node=node, year=year).first()
            figures = {f: getattr(own, f) if own else None for f in NodeYear.FIGURES}
            if figures["permanent_residents"] is None and node.children.exists():
                summed = queries.population(node, year)
                figures.update({f: summed[f] for f in POPULATION_FIGURES})
        else:
            figures = queries.population(node, year)
        rows.append({"year": year, "figures": [figures[f] for f in NodeYear.FIGURES]})
    return rows


@login_required
def node_detail(request, code):
    user = request.user
    node = scope.access_node(user, code)
    ctx = {
        "node": node,
        "crumbs": visible_ancestors(user, node),
        "children": node.children.order_by("code"),
        "years": _year_table(node),
        "institution_counts": [
            (Kind(k).label, n) for k, n in queries.institution_counts(node).items()
        ]
        if not node.is_institution
        else [],
        "figure_labels": [NodeYear._meta.get_field(f).verbose_name for f in NodeYear.FIGURES],
        "events": node.events.select_related("old_parent", "new_parent", "other").order_by(
            "-date", "-id"
        ),
        "can_manage": scope.can(user, scope.Action.MANAGE_TREE, node),
        "can_audit": scope.can(user, scope.Action.VIEW_AUDIT, node),
        "successor": node.successor
        if node.successor_id and scope.can_see(user, node.successor)
        else None,
    }
    if scope.can(user, scope.Action.MANAGE_USERS, node):
        from jiceng.accounts.models import User

        ctx["users"] = (
            User.objects.filter(Q(node=node) | Q(institution=node)).distinct().order_by("username")
        )
        ctx["show_users"] = True
    return render(request, "orgs/node.html", ctx)


def _can_manage(user) -> bool:
    if scope.is_global(user):
        return True
    root = scope.scope_root(user)
    return root is not None and scope.can(user, scope.Action.MANAGE_TREE, root)


def _require_manager(user) -> None:
    from django.core.exceptions import PermissionDenied

    if not _can_manage(user):
        raise PermissionDenied("only administrators manage the tree")


@login_required
@require_http_methods(["GET", "POST"])
def import_tree(request):
    _require_manager(request.user)
    ctx: dict = {"max_mb": settings.JICENG_MAX_UPLOAD_BYTES // (1024 * 1024)}
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            dry_run = form.cleaned_data["dry_run"]
            try:
                data = upload.read()
                plan = plan_import(data, upload.name, actor=request.user)
                if plan.size > background_rows():
                    job = ImportJob.objects.create(
                        created_by=request.user,
                        filename=upload.name,
                        data=data,
                        dry_run=dry_run,
                        total=plan.size,
                    )
                    enqueue_import(job)
                    return redirect("orgs:import_job", pk=job.pk)
                ctx["result"] = do_import_tree(request.user, plan, dry_run=dry_run)
                ctx["dry_run"] = dry_run
                ctx["filename"] = upload.name
                form = ImportForm()
            except ValidationFailed as exc:
                ctx["problems"] = exc.problems
                ctx["filename"] = upload.name
                status = 422
            except UserError as exc:
                form.add_error("file", str(exc))
                status = 400
        else:
            status = 400
    else:
        form = ImportForm()
    ctx["form"] = form
    return render(request, "orgs/import.html", ctx, status=status)


def background_rows() -> int:
    """Files with more rows than this are imported by the task worker."""
    default = int(os.environ.get("JICENG_IMPORT_BACKGROUND_ROWS", "500"))
    return getattr(settings, "JICENG_IMPORT_BACKGROUND_ROWS", default)


@login_required
def import_job(request, pk: int):
    """The state of a background import; polled by htmx while it runs."""
    _require_manager(request.user)
    job = ImportJob.objects.filter(pk=pk).first()
    if job is None or (job.created_by_id != request.user.pk and not scope.is_global(request.user)):
        raise Http404("no such import")
    job = check_import(job)  # a job whose worker died is marked failed here
    running = job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
    ctx = {
        "job": job,
        "running": running,
        "percent": read_progress(job),
        "problems": [Problem(**p) for p in job.problems],
        "filename": job.filename,
        "result": job.result,
        "dry_run": job.dry_run,
    }
    if request.headers.get("HX-Request") and request.GET.get("part") == "progress":
        response = render(request, "orgs/_job_progress.html", ctx)
        if not running:
            response["HX-Refresh"] = "true"
        return response
    return render(request, "orgs/import_job.html", ctx)


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def export_tree(request):
    user = request.user
    _require_manager(user)
    nodes = scope.visible_nodes(user)
    name = "orgs"
    if code := request.GET.get("root"):
        root = scope.access_node(user, code, scope.Action.MANAGE_TREE)
        nodes = nodes.filter(path__startswith=root.path)
        name = root.code
    year = request.GET.get("year")
    year_value = int(year) if year and year.isdigit() else None
    data = queries.export_workbook(nodes, year_value)
    top = root if request.GET.get("root") else scope.scope_root(user)
    audit.record_download(user, "tree_export", top, details={"year": year_value})
    return _xlsx_response(data, f"{name}-{excel.today_stamp()}.xlsx")


@login_required
def template(request):
    _require_manager(request.user)
    return _xlsx_response(excel.write_workbook([], [], example=True), "orgs-template.xlsx")


def _parent_for(user, form: NodeForm) -> Node | None:
    """The parent named in the form, if the user may manage it; else a form error."""
    code = form.cleaned_data.get("parent_code") or ""
    if not code:
        if not scope.is_global(user):
            form.add_error("parent_code", _("Only a province has no parent code."))
        return None
    parent = Node.objects.filter(code=code).first()
    if parent is None or not scope.can(user, scope.Action.MANAGE_TREE, parent):
        form.add_error(
            "parent_code",
            _("The parent code %(code)s is not a unit of your area.") % {"code": code},
        )
        return None
    return parent


@login_required
@require_http_methods(["GET", "POST"])
def node_new(request, code):
    """Add a unit below ``code``."""
    user = request.user
    above = scope.access_node(user, code, scope.Action.MANAGE_TREE)
    form = NodeForm(request.POST or None, initial={"parent_code": above.code})
    if request.method == "POST" and form.is_valid():
        parent = _parent_for(user, form)
        if not form.errors:
            data = form.cleaned_data
            try:
                node = do_create_node(
                    user,
                    code=data["code"],
                    name=data["name"],
                    kind=data["kind"],
                    parent=parent,
                    opened=data["opened"],
                    address=data["address"],
                )
                if data["closed"]:
                    do_close_node(user, node, date=data["closed"])
                messages.success(request, _("%(name)s was created.") % {"name": node.name})
                return redirect("orgs:node", code=node.code)
            except UserError as exc:
                feedback.to_form(form, exc)
    ctx = {"form": form, "node": above, "crumbs": visible_ancestors(user, above), "new": True}
    return render(request, "orgs/node_form.html", ctx, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def node_edit(request, code):
    """Rename, re-type, re-date, move or close a unit."""
    user = request.user
    node = scope.access_node(user, code, scope.Action.MANAGE_TREE)
    initial = {
        "name": node.name,
        "kind": node.kind,
        "parent_code": node.parent.code if node.parent_id else "",
        "opened": node.opened,
        "closed": node.closed,
        "address": node.address,
    }
    form = NodeForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parent = node.parent
        if (data["parent_code"] or "") != initial["parent_code"]:
            parent = _parent_for(user, form)
        if not form.errors:
            changes = {
                k: data[k]
                for k in ("name", "kind", "opened", "address")
                if data[k] != getattr(node, k)
            }
            if parent != node.parent:
                changes["parent"] = parent
            closing = node.closed is None and data["closed"] is not None
            if not closing and data["closed"] != node.closed:
                changes["closed"] = data["closed"]
            try:
                if changes:
                    node = do_update_node(user, node, **changes)
                if closing:
                    node = do_close_node(user, node, date=data["closed"])
                messages.success(request, _("%(name)s was saved.") % {"name": node.name})
                return redirect("orgs:node", code=node.code)
            except UserError as exc:
                feedback.to_form(form, exc)
    ctx = {"form": form, "node": node, "crumbs": visible_ancestors(user, node), "new": False}
    return render(request, "orgs/node_form.html", ctx, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def node_year(request, code):
    """Enter or correct a unit's figures for one year."""
    user = request.user
    node = scope.access_node(user, code, scope.Action.MANAGE_TREE)
    year = request.GET.get("year")
    initial: dict = {}
    if year and year.isdigit():
        row = NodeYear.objects.filter(node=node, year=int(year)).first()
        initial = {"year": int(year)}
        if row:
            initial.update({f: getattr(row, f) for f in NodeYear.FIGURES})
    form = YearForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        do_set_year(user, node, data["year"], **{f: data[f] for f in NodeYear.FIGURES})
        messages.success(request, _("The figures of %(year)s were saved.") % {"year": data["year"]})
        return redirect("orgs:node", code=node.code)
    ctx = {"form": form, "node": node, "crumbs": visible_ancestors(user, node)}
    return render(request, "orgs/year_form.html", ctx, status=400 if form.errors else 200)
