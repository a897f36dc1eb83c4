"""Writes of the standards app (loading and (de)activating catalogs) and catalog look-ups."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core import audit, scope
from jiceng.core.errors import UserError
from jiceng.orgs.models import Node
from jiceng.standards.catalog import CatalogSpec, load_catalog_file, parse_catalog
from jiceng.standards.models import Catalog, Item


def require_manage(actor, owner) -> None:
    """Changing a catalog owned by ``owner`` needs an administrator of ``owner`` or above.

    ``actor=None`` is the system (the CLI without --user, data migrations).
    """
    if actor is None:
        return
    if not scope.can_manage_catalog(actor, owner):
        raise PermissionDenied("only administrators of the owner region manage this catalog")


_DEFAULT = object()


def default_owner(actor) -> Node | None:
    """Where a catalog loaded by ``actor`` belongs when no region is named.

    An administrator's own node; for the system and global superusers, the root of the
    tree when there is exactly one (the province), else None (a national catalog).
    """
    if actor is not None and not scope.is_global(actor):
        return actor.node
    roots = list(Node.objects.filter(parent__isnull=True)[:2])
    return roots[0] if len(roots) == 1 else None


def _check_code_owner(spec: CatalogSpec, owner: Node | None) -> None:
    """New versions of a catalog that a region above owns are that region's to load."""
    if owner is None:
        return
    qs = Catalog.objects.filter(code=spec.code).exclude(owner=owner).select_related("owner")
    clash = scope.catalogs_applying_to(owner, qs).first()
    if clash is None:
        return
    region = clash.owner.name if clash.owner else _("the whole country")
    raise UserError(
        _(
            "Catalog %(code)s belongs to %(region)s: new versions of it are loaded by "
            "that region's administrators."
        )
        % {"code": spec.code, "region": region}
    )


def _stored_source(spec: CatalogSpec, source_text: str, source_name: str) -> tuple[str, str]:
    """Keep the file as uploaded when it is text; an Excel upload is stored as YAML."""
    if source_text and not source_name.lower().endswith((".xlsx", ".xlsm")):
        return source_text, source_name
    stem = Path(source_name).stem if source_name else spec.code
    return spec.to_yaml(), f"{stem}.yaml"


def do_load_catalog(
    actor, spec: CatalogSpec, source_text: str, source_name: str, owner=_DEFAULT
) -> Catalog:
    """Store a validated catalog version and its items for ``owner``; audited.

    ``owner`` is the region the catalog belongs to (default: :func:`default_owner`).
    Duplicates, and versions of a code another region owns, are refused.
    """
    if owner is _DEFAULT:
        owner = default_owner(actor)
    require_manage(actor, owner)
    text, name = _stored_source(spec, source_text, source_name)
    with transaction.atomic():
        _check_code_owner(spec, owner)
        if Catalog.objects.filter(owner=owner, code=spec.code, version=spec.version).exists():
            raise UserError(
                _("Catalog %(code)s version %(version)s is already loaded.")
                % {"code": spec.code, "version": spec.version}
            )
        catalog = Catalog.objects.create(
            code=spec.code,
            version=spec.version,
            title=spec.title,
            edition=spec.edition,
            institution_kinds=list(spec.institution_kinds),
            scale=[g.model_dump() for g in spec.scale],
            basic_threshold=spec.basic_threshold,
            recommended_threshold=spec.recommended_threshold,
            source_name=name,
            source=text,
            active=True,
            owner=owner,
        )
        Item.objects.bulk_create(
            Item(
                catalog=catalog,
                code=item.code,
                chapter=item.chapter,
                chapter_title=item.chapter_title,
                section=item.section,
                section_title=item.section_title,
                text=item.text,
                tier=item.tier,
                core=item.core,
                na_allowed=item.na_allowed,
                evidence=item.evidence,
                method=item.method,
                order=n,
            )
            for n, item in enumerate(spec.items)
        )
        audit.record(
            actor,
            "standards.load_catalog",
            catalog,
            after={**audit.snapshot(catalog), "source": None, "items": len(spec.items)},
        )
    return catalog


def do_set_catalog_active(actor, catalog: Catalog, active: bool, reason: str = "") -> Catalog:
    """Activate or deactivate one catalog version; audited."""
    with transaction.atomic():
        catalog = Catalog.objects.select_for_update().get(pk=catalog.pk)
        require_manage(actor, catalog.owner)
        if catalog.active == active:
            return catalog
        before = {"active": catalog.active}
        catalog.active = active
        catalog.save(update_fields=["active"])
        audit.record(
            actor,
            "standards.activate_catalog" if active else "standards.deactivate_catalog",
            catalog,
            before=before,
            after={"active": active},
            reason=reason,
        )
    return catalog


def do_load_samples(actor, owner=_DEFAULT) -> list[Catalog]:
    """Load the shipped sample catalogs that are not loaded yet for ``owner``."""
    from jiceng.standards.catalog import sample_catalog_paths

    if owner is _DEFAULT:
        owner = default_owner(actor)
    out = []
    for path in sorted(set(sample_catalog_paths().values())):
        spec = load_catalog_file(path)
        if Catalog.objects.filter(owner=owner, code=spec.code, version=spec.version).exists():
            continue
        text = path.read_text(encoding="utf-8")
        out.append(do_load_catalog(actor, spec, text, path.name, owner=owner))
    return out


_SPEC_CACHE: dict[tuple[int, int], CatalogSpec] = {}


def spec_of(catalog: Catalog) -> CatalogSpec:
    """The validated spec of a loaded catalog, parsed back from its stored source."""
    key = (catalog.pk, hash(catalog.source))
    spec = _SPEC_CACHE.get(key)
    if spec is None:
        name = catalog.source_name or f"{catalog.code}.yaml"
        spec = parse_catalog(catalog.source, name)
        if len(_SPEC_CACHE) > 64:
            _SPEC_CACHE.clear()
        _SPEC_CACHE[key] = spec
    return spec


def catalog_for(kind: str, region: Node) -> Catalog | None:
    """The active catalog for an institution kind in ``region``: the most recently loaded
    of those that apply there (owned by the region, a region above it, or national)."""
    qs = scope.catalogs_applying_to(region, Catalog.objects.filter(active=True))
    candidates = [
        c for c in qs.order_by("-loaded_at", "-pk") if kind in (c.institution_kinds or [])
    ]
    return candidates[0] if candidates else None


def catalog_json(spec: CatalogSpec) -> str:
    return json.dumps(spec.to_source(), ensure_ascii=False, indent=2)
