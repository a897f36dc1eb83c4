"""Writes of the standards app (loading and (de)activating catalogs) and catalog look-ups."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core import audit, scope
from jiceng.core.errors import UserError
from jiceng.standards.catalog import CatalogSpec, load_catalog_file, parse_catalog
from jiceng.standards.models import Catalog, Item


def require_manage(actor) -> None:
    """Loading and deactivating catalogs needs MANAGE_CATALOGS where the actor sits.

    ``actor=None`` is the system (the CLI without --user, data migrations).
    """
    if actor is None or scope.is_global(actor):
        return
    node = getattr(actor, "node", None)
    if node is None:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("no node")
    scope.require(actor, scope.Action.MANAGE_CATALOGS, node)


def _stored_source(spec: CatalogSpec, source_text: str, source_name: str) -> tuple[str, str]:
    """Keep the file as uploaded when it is text; an Excel upload is stored as YAML."""
    if source_text and not source_name.lower().endswith((".xlsx", ".xlsm")):
        return source_text, source_name
    stem = Path(source_name).stem if source_name else spec.code
    return spec.to_yaml(), f"{stem}.yaml"


def do_load_catalog(actor, spec: CatalogSpec, source_text: str, source_name: str) -> Catalog:
    """Store a validated catalog version and its items; audited. Duplicates are refused."""
    require_manage(actor)
    text, name = _stored_source(spec, source_text, source_name)
    with transaction.atomic():
        if Catalog.objects.filter(code=spec.code, version=spec.version).exists():
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
    require_manage(actor)
    with transaction.atomic():
        catalog = Catalog.objects.select_for_update().get(pk=catalog.pk)
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


def do_load_samples(actor) -> list[Catalog]:
    """Load the shipped sample catalogs that are not loaded yet."""
    from jiceng.standards.catalog import sample_catalog_paths

    out = []
    for path in sorted(set(sample_catalog_paths().values())):
        spec = load_catalog_file(path)
        if Catalog.objects.filter(code=spec.code, version=spec.version).exists():
            continue
        out.append(do_load_catalog(actor, spec, path.read_text(encoding="utf-8"), path.name))
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


def catalog_for(kind: str) -> Catalog | None:
    """The active catalog for an institution kind: the most recently loaded one."""
    candidates = [
        c
        for c in Catalog.objects.filter(active=True).order_by("-loaded_at", "-pk")
        if kind in (c.institution_kinds or [])
    ]
    return candidates[0] if candidates else None


def catalog_json(spec: CatalogSpec) -> str:
    return json.dumps(spec.to_source(), ensure_ascii=False, indent=2)
