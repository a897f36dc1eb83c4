"""API: standards catalogs and the verdict of a grading.

Everyone reads the catalogs that apply to their node (and those of regions below it);
each names its owner region. Loading one needs an administrator of the owner region
(default: where the caller sits). ``POST /standards/verdict`` is the same rule function the pages, the CLI
and the evaluation cycle use.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from jiceng.api.fields import max_length, model_int, model_text
from jiceng.api.pagination import Pages, Rows
from jiceng.assessments.models import Grade
from jiceng.core.errors import Problem, ValidationFailed
from jiceng.orgs.models import Node
from jiceng.standards import queries
from jiceng.standards.actions import _DEFAULT, do_load_catalog, spec_of
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
    owner_code: str | None = Field(None, description="owner region; null: national")
    owner_name: str | None = None

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
            owner_code=c.owner.code if c.owner_id else None,
            owner_name=c.owner.name if c.owner_id else None,
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
@paginate(Pages)
def list_catalogs(request, active: bool | None = None):
    """Every catalog version the caller sees (newest first within a code)."""
    qs = queries.catalogs(request.user)
    if active is not None:
        qs = qs.filter(active=active)
    return Rows(
        qs.order_by("-active", "code", "-loaded_at", "-id"), lambda c: CatalogOut.of(c, c.n_items)
    )


@router.get("/catalogs/{catalog_id}", response=CatalogDetailOut)
def catalog_detail(request, catalog_id: int):
    """One catalog version with all its items in order."""
    catalog = queries.get_catalog(request.user, catalog_id)
    items = list(catalog.items.order_by("order"))
    out = CatalogOut.of(catalog, len(items)).dict()
    out["items"] = [ItemOut.from_orm(i) for i in items]
    return CatalogDetailOut(**out)


@router.post("/catalogs", response={201: CatalogOut})
def upload_catalog(
    request,
    file: File[UploadedFile],
    owner: Annotated[str | None, Form(None, max_length=max_length(Node, "code"))] = None,
):
    """Load a catalog file (YAML, JSON or .xlsx) for ``owner`` (a region code; default: the
    caller's node). 422 with every problem; nothing loaded."""
    user = request.user
    if not queries.can_manage_catalogs(user):
        raise PermissionDenied("only administrators load catalogs")
    region = _DEFAULT if owner is None else queries.owner_from_code(user, owner)
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
    if region is _DEFAULT:
        catalog = do_load_catalog(user, spec, text, name)
    else:
        catalog = do_load_catalog(user, spec, text, name, owner=region)
    return Status(201, CatalogOut.of(catalog))


@router.post("/verdict", response=VerdictOut)
def verdict(request, body: VerdictIn):
    """The verdict of a complete grading (item code → grade or "NA"); 422 names each bad item."""
    catalog = queries.get_catalog(request.user, body.catalog_id)
    return compute_verdict(spec_of(catalog), body.grades).to_dict()
