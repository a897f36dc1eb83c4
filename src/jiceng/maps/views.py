"""Pages of the maps: the thematic map (everything in its query string) and the boundary
imports (list, and the import form for administrators)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jiceng.core import scope
from jiceng.core.errors import UserError, ValidationFailed
from jiceng.core.paging import page_of
from jiceng.maps import actions
from jiceng.maps.forms import ImportBoundariesForm
from jiceng.maps.models import BoundarySet
from jiceng.maps.queries import MapParams, map_view


@login_required
def map_page(request):
    """The thematic map of ``?node=&level=&period=&indicator=&method=&classes=``."""
    view = map_view(request.user, MapParams.from_query(request.GET))
    groups: dict[str, list] = {}
    for s in view.sources:
        groups.setdefault(s.group, []).append(s)
    data = view.as_dict()
    page, page_query = page_of(request, data["regions"])
    crumbs = [(a, view.params.url(node=a.code, level="children")) for a in view.ancestors]
    return render(
        request,
        "maps/map.html",
        {
            "view": view,
            "node": view.node,
            "params": view.params,
            "source_groups": list(groups.items()),
            "data": data,
            "page": page,
            "page_query": page_query,
            "crumbs": crumbs,
            "class_counts": range(2, 8),
            "can_import": _can_import(request.user),
        },
    )


def _can_import(user) -> bool:
    root = scope.scope_root(user)
    if scope.is_global(user):
        return True
    return root is not None and scope.can(user, scope.Action.MANAGE_TREE, root)


@login_required
@require_http_methods(["GET", "POST"])
def boundaries(request):
    """The boundary imports of the user's part of the tree; administrators import here."""
    can_import = _can_import(request.user)
    ctx: dict = {"can_import": can_import}
    status = 200
    form = ImportBoundariesForm() if can_import else None
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied("only administrators import boundaries")
        form = ImportBoundariesForm(request.POST, request.FILES)
        if form.is_valid():
            f = form.cleaned_data["file"]
            code_field = form.cleaned_data["code_field"]
            ctx["filename"] = f.name
            data = f.read()
            try:
                plan = actions.plan_import(request.user, data, f.name, code_field)
                bset = actions.do_import_boundaries(
                    request.user,
                    plan,
                    f.name,
                    fmt=BoundarySet.Format.SHAPEFILE
                    if data[:4] == b"PK\x03\x04"
                    else BoundarySet.Format.GEOJSON,
                    code_field=code_field,
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
                    _("Imported %(n)s boundaries from %(file)s.")
                    % {"n": bset.features, "file": bset.filename},
                )
                return redirect("maps:boundaries")
        else:
            status = 400
    imports = scope.filter_by_node(
        request.user, BoundarySet.objects.select_related("node", "imported_by")
    )
    ctx["page"], ctx["page_query"] = page_of(request, imports)
    ctx["form"] = form
    return render(request, "maps/boundaries.html", ctx, status=status)
