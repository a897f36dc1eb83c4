"""Pages of the standards catalogs: list, upload, detail with filters, templates, deactivate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.core import scope
from jiceng.core.errors import UserError, ValidationFailed
from jiceng.standards import queries
from jiceng.standards.actions import do_load_catalog, do_set_catalog_active, spec_of
from jiceng.standards.catalog import parse_catalog_upload
from jiceng.standards.excel import write_catalog_excel, write_grades_template
from jiceng.standards.forms import DeactivateForm, UploadCatalogForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_manager(user) -> None:
    if not queries.can_manage_catalogs(user):
        raise PermissionDenied("only administrators manage catalogs")


@login_required
def index(request):
    return render(
        request,
        "standards/index.html",
        {
            "catalogs": queries.catalogs(request.user),
            "can_manage": queries.can_manage_catalogs(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    _require_manager(request.user)
    ctx: dict = {}
    status = 200
    owners = queries.owner_choices(request.user)
    if request.method == "POST":
        form = UploadCatalogForm(request.POST, request.FILES, owners=owners)
        if form.is_valid():
            f = form.cleaned_data["file"]
            ctx["filename"] = f.name
            try:
                owner = queries.owner_from_code(request.user, form.cleaned_data["owner"])
                spec, text = parse_catalog_upload(f.read(), f.name)
                catalog = do_load_catalog(request.user, spec, text, f.name, owner=owner)
            except ValidationFailed as exc:
                ctx["problems"] = exc.problems
                status = 422
            except UserError as exc:
                form.add_error("file", str(exc))
                status = 400
            else:
                messages.success(
                    request,
                    _("Loaded %(title)s version %(version)s: %(n)s items.")
                    % {"title": catalog.title, "version": catalog.version, "n": len(spec.items)},
                )
                return redirect("standards:detail", pk=catalog.pk)
        else:
            status = 400
    else:
        form = UploadCatalogForm(owners=owners)
    ctx["form"] = form
    return render(request, "standards/upload.html", ctx, status=status)


@login_required
def detail(request, pk: int):
    catalog = queries.get_catalog(request.user, pk)
    spec = spec_of(catalog)
    items = queries.filter_items(catalog, request.GET)
    ctx = {
        "catalog": catalog,
        "spec": spec,
        "summary": spec.summary(),
        "items": items,
        "chapters": [(c.code, c.title) for c in spec.chapters],
        "filters": {
            "chapter": request.GET.get("chapter", ""),
            "tier": request.GET.get("tier", ""),
            "core": bool(request.GET.get("core")),
            "na": bool(request.GET.get("na")),
            "q": request.GET.get("q", ""),
        },
        "total": catalog.items.count(),
        "can_manage": scope.can_manage_catalog(request.user, catalog.owner),
        "deactivate_form": DeactivateForm(),
    }
    return render(request, "standards/detail.html", ctx)


def _download(data: bytes | str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def grading_template(request, pk: int):
    catalog = queries.get_catalog(request.user, pk)
    data = write_grades_template(spec_of(catalog))
    return _download(data, f"grading-{catalog.code}-{catalog.version}.xlsx", XLSX)


@login_required
def catalog_excel(request, pk: int):
    catalog = queries.get_catalog(request.user, pk)
    data = write_catalog_excel(spec_of(catalog))
    return _download(data, f"catalog-{catalog.code}-{catalog.version}.xlsx", XLSX)


@login_required
def source(request, pk: int):
    catalog = queries.get_catalog(request.user, pk)
    kind = "application/json" if catalog.source_name.endswith(".json") else "application/yaml"
    return _download(
        catalog.source.encode("utf-8"),
        catalog.source_name or f"{catalog.code}.yaml",
        f"{kind}; charset=utf-8",
    )


@login_required
@require_POST
def set_active(request, pk: int):
    catalog = queries.get_catalog(request.user, pk)
    if not scope.can_manage_catalog(request.user, catalog.owner):
        raise PermissionDenied("only administrators of the owner region manage this catalog")
    form = DeactivateForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    active = request.POST.get("active") == "1"
    do_set_catalog_active(request.user, catalog, active, reason=reason)
    if active:
        messages.success(request, _("The catalog version is active again."))
    else:
        messages.success(request, _("The catalog version was deactivated."))
    return redirect("standards:detail", pk=catalog.pk)
