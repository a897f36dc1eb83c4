"""Reads of appraisal, all through ``core/scope.py``: which schemes and appraisals a user
sees, which rows of a ranking, a unit's history across years, integrity ratings."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from jiceng.appraisal.models import Appeal, Appraisal, BadPractice, SchemeVersion, Status
from jiceng.core import scope
from jiceng.orgs.models import Node


def visible_schemes(user):
    """Scheme versions the user sees (as standards catalogs: above and below their node)."""
    return scope.visible_catalogs(
        user, SchemeVersion.objects.select_related("owner").order_by("code", "-loaded_at")
    )


def get_scheme(user, pk: int) -> SchemeVersion:
    version = SchemeVersion.objects.select_related("owner").filter(pk=pk).first()
    if version is None or not scope.can_see_catalog(user, version.owner):
        raise Http404("no such scheme")
    return version


def _above(node: Node) -> list[int]:
    return [int(s) for s in node.path.strip("/").split("/") if s]


def visible_appraisals(user):
    """Appraisals of regions at or below the user's node, and of regions above it (whose
    rows the user then sees only for their own part of the tree)."""
    qs = Appraisal.objects.select_related("scheme", "region")
    if scope.is_global(user):
        return qs
    root = scope.scope_root(user)
    if root is None:
        return qs.none()
    return qs.filter(Q(region__path__startswith=root.path) | Q(region_id__in=_above(root)))


def get_appraisal(user, pk: int) -> Appraisal:
    """The appraisal if the user sees it; 404 otherwise (its existence is not revealed)."""
    appraisal = visible_appraisals(user).filter(pk=pk).first()
    if appraisal is None:
        raise Http404("no such appraisal")
    return appraisal


def rows_seen(user, rows: list) -> list:
    """The ranking rows of units within the user's sight."""
    if scope.is_global(user):
        return rows
    root = scope.scope_root(user)
    if root is None:
        return []
    return [r for r in rows if r.path.startswith(root.path)]


def is_appraiser(user, appraisal: Appraisal) -> bool:
    return scope.can(user, scope.Action.PUBLISH, appraisal.region)


def history(unit: Node, scheme_code: str) -> list[dict]:
    """The unit's published results under a scheme, year by year (newest first)."""
    out = []
    for a in (
        Appraisal.objects.filter(
            scheme__code=scheme_code,
            status=Status.PUBLISHED,
            region_id__in=_above(unit),
        )
        .select_related("region")
        .order_by("-year", "-number")
    ):
        row = (a.frozen or {}).get("units", {}).get(unit.code)
        if row is not None:
            out.append({"appraisal": a, "row": row})
    return out


def appeals_of(user, appraisal: Appraisal):
    """The appeals of the appraisal that the user sees (those of units in their sight)."""
    return scope.filter_by_node(
        user,
        Appeal.objects.filter(appraisal=appraisal).select_related(
            "unit", "filed_by", "answered_by"
        ),
        field="unit",
    )


def visible_bad_practice(user):
    return scope.filter_by_node(
        user, BadPractice.objects.select_related("institution", "recorded_by"), field="institution"
    )


INTEGRITY_WORDS = ("integrity", "诚信")


def is_integrity(version: SchemeVersion) -> bool:
    """Whether a scheme rates integrity (诚信等级): its code or title says so."""
    return any(w in version.code.lower() or w in version.title for w in INTEGRITY_WORDS)


def integrity_rating(unit: Node) -> dict | None:
    """The unit's integrity grade (A/B/C) from the newest published integrity appraisal."""
    found = (
        Appraisal.objects.filter(status=Status.PUBLISHED, region_id__in=_above(unit))
        .filter(Q(scheme__code__icontains="integrity") | Q(scheme__title__contains="诚信"))
        .select_related("scheme")
        .order_by("-year", "-number")
    )
    for a in found:
        row = (a.frozen or {}).get("units", {}).get(unit.code)
        if row is not None and row.get("grade"):
            return {"appraisal": a, "grade": row["grade"], "score": row.get("score")}
    return None
