"""API: standards catalogs and the verdict of a grading.

Everyone authenticated reads catalogs; loading one needs MANAGE_CATALOGS where the
caller sits. ``POST /standards/verdict`` is the same rule function the pages, the CLI
and the evaluation cycle use.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from jiceng.api.fields import model_int, model_text
from jiceng.assessments.models import Grade
from jiceng.core.errors import Problem, ValidationFailed
from jiceng.standards import queries
from jiceng.standards.actions import do_load_catalog, spec_of
from jiceng.standards.catalog import parse_catalog_upload
from jiceng.standards.models import Catalog, Item
from jiceng.standards.verdict import compute_verdict

router = Router(tags=["standards"])


class GradeOut(Schema):
    grade: str
    label: str
    meets: bool


class CatalogOut(Schema):
    id: int
    code: str
    version: str
    title: str
    edition: str
    institution_kinds: list[str]
    scale: list[GradeOut]
    basic_threshold: Decimal
    recommended_threshold: Decimal
    active: bool
    loaded_at: dt.datetime
    items_count: int

    @staticmethod
    def of(c: Catalog, n_items: int | None = None) -> CatalogOut:
        return CatalogOut(
            id=c.pk,
            code=c.code,
            version=c.version,
            title=c.title,
            edition=c.edition,
            institution_kinds=list(c.institution_kinds or []),
            scale=[GradeOut(**g) for g in c.scale or []],
            basic_threshold=c.basic_threshold,
            recommended_threshold=c.recommended_threshold,
            active=c.active,
            loaded_at=c.loaded_at,
            items_count=n_items if n_items is not None else c.items.count(),
        )


class ItemOut(Schema):
    code: str
    chapter: str
    chapter_title: str
    section: str
    section_title: str
    text: str
    tier: str
    core: bool
    na_allowed: bool
    evidence: str
    method: str


class CatalogDetailOut(CatalogOut):
    items: list[ItemOut]


class VerdictIn(Schema):
    catalog_id: int = model_int(Catalog, "id")
    grades: dict[
        Annotated[str, model_text(Item, "code")], Annotated[str, model_text(Grade, "grade")]
    ]


class TierOut(Schema):
    met: int
    applicable: int
    not_applicable: int
    ratio: float | None
    ratio_text: str
    threshold: float
    threshold_text: str
    reached: bool
    failed_core: list[str]
    failed: list[str]


class VerdictOut(Schema):
    verdict: str
    label: str
    catalog: dict[str, str]
    tiers: dict[str, TierOut]
    next_tier_gap: list[str]


@router.get("/catalogs", response=list[CatalogOut])
def list_catalogs(request, active: bool | None = None):
    """Every loaded catalog version (newest first within a code)."""
    qs = queries.catalogs()
    if active is not None:
        qs = qs.filter(active=active)
    return [CatalogOut.of(c, c.n_items) for c in qs]


@router.get("/catalogs/{catalog_id}", response=CatalogDetailOut)
def catalog_detail(request, catalog_id: int):
    """One catalog version with all its items in order."""
    catalog = get_object_or_404(Catalog, pk=catalog_id)
    items = list(catalog.items.order_by("order"))
    out = CatalogOut.of(catalog, len(items)).dict()
    out["items"] = [ItemOut.from_orm(i) for i in items]
    return CatalogDetailOut(**out)


@router.post("/catalogs", response={201: CatalogOut})
def upload_catalog(request, file: File[UploadedFile]):
    """Load a catalog file (YAML, JSON or .xlsx). 422 with every problem; nothing loaded."""
    user = request.user
    if not queries.can_manage_catalogs(user):
        raise PermissionDenied("only administrators load catalogs")
    name = file.name or "catalog.yaml"
    limit = settings.JICENG_MAX_UPLOAD_BYTES
    if file.size > limit:
        raise ValidationFailed(
            [
                Problem(
                    _("The file is larger than %(mb)s MB.")
                    % {"mb": round(limit / (1024 * 1024), 1)},
                    file=name,
                )
            ]
        )
    spec, text = parse_catalog_upload(file.read(), name)
    catalog = do_load_catalog(user, spec, text, name)
    return Status(201, CatalogOut.of(catalog))


@router.post("/verdict", response=VerdictOut)
def verdict(request, body: VerdictIn):
    """The verdict of a complete grading (item code → grade or "NA"); 422 names each bad item."""
    catalog = get_object_or_404(Catalog, pk=body.catalog_id)
    return compute_verdict(spec_of(catalog), body.grades).to_dict()
