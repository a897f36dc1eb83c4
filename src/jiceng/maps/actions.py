"""Writes of the maps app: importing boundaries (a file, or the demo's), audited.

An import is all or nothing: every feature is checked first (``geo.read_features``), every
code must name a unit the importing administrator may manage (a code out of their sight is
reported as unknown, never as existing); then, in one transaction, the new boundaries become
current and those they replace stay as history.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core import audit, scope
from jiceng.core.errors import Problem, ValidationFailed
from jiceng.maps import geo
from jiceng.maps.models import Boundary, BoundarySet
from jiceng.orgs.models import Node, path_ids


def require_manage(actor, node: Node) -> None:
    """Boundaries of ``node`` are imported by administrators of it or above (None: system)."""
    if actor is not None and not scope.can(actor, scope.Action.MANAGE_TREE, node):
        raise PermissionDenied(_("Only administrators import boundaries."))


def _common_region(nodes: list[Node]) -> Node:
    """The deepest node that holds every one of ``nodes`` (itself, when there is one)."""
    common = path_ids(nodes[0].path)
    for n in nodes[1:]:
        ids = path_ids(n.path)
        k = 0
        while k < min(len(common), len(ids)) and common[k] == ids[k]:
            k += 1
        common = common[:k]
    return Node.objects.get(pk=common[-1])


def plan_import(
    actor,
    data: bytes,
    filename: str,
    code_field: str = "code",
    progress: Callable[[int], None] | None = None,
) -> list[tuple[geo.Feature, Node]]:
    """Check a boundary file completely: each feature with the unit it outlines.

    Raises ``ValidationFailed`` listing every problem (file, feature, field); nothing is
    written here.
    """
    problems: list[Problem] = []
    features = geo.read_features(data, filename, code_field, collect=problems, progress=progress)
    codes = [f.code for f in features]
    nodes = {n.code: n for n in Node.objects.filter(code__in=codes)}
    out = []
    for f in features:
        node = nodes.get(f.code)
        if node is None or (actor is not None and not scope.can_see(actor, node)):
            problems.append(
                Problem(
                    _("Unknown unit code %(code)s: no unit of the tree you see has it.")
                    % {"code": f.code},
                    file=filename,
                    label=_("feature %(n)s") % {"n": f.index} + f"，properties.{code_field}",
                    field=f"properties.{code_field}",
                )
            )
        elif actor is not None and not scope.can(actor, scope.Action.MANAGE_TREE, node):
            problems.append(
                Problem(
                    _("You may not change the boundaries of %(unit)s.") % {"unit": node.name},
                    file=filename,
                    label=_("feature %(n)s") % {"n": f.index} + f"，properties.{code_field}",
                    field=f"properties.{code_field}",
                )
            )
        elif f.geometry is not None:
            out.append((f, node))
    if problems:
        problems.sort(key=lambda p: _feature_number(p.label))
        raise ValidationFailed(
            problems,
            _("%(file)s: %(n)s problems, nothing was saved.")
            % {"file": filename, "n": len(problems)},
        )
    return out


def _feature_number(label: str) -> int:
    digits = "".join(c if c.isdigit() else " " for c in label).split()
    return int(digits[0]) if digits else 0


@transaction.atomic
def do_import_boundaries(
    actor,
    plan: list[tuple[geo.Feature, Node]],
    filename: str,
    *,
    fmt: str = BoundarySet.Format.GEOJSON,
    code_field: str = "code",
) -> BoundarySet:
    """Make the planned boundaries current (the ones they replace are kept); audited."""
    nodes = [n for _f, n in plan]
    region = _common_region(nodes)
    for n in nodes:
        require_manage(actor, n)
    bset = BoundarySet.objects.create(
        node=region,
        filename=os.path.basename(filename)[:255],
        format=fmt,
        code_field=code_field[:64],
        features=len(plan),
        imported_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    replaced = Boundary.objects.filter(node__in=nodes, current=True).update(current=False)
    rows = []
    for f, n in plan:
        lon, lat = geo.inner_point(f.geometry)
        rows.append(
            Boundary(
                node=n,
                source=bset,
                geometry=f.geometry,
                display=geo.display_geometry(f.geometry),
                centre_lon=lon,
                centre_lat=lat,
                current=True,
            )
        )
    Boundary.objects.bulk_create(rows, batch_size=500)
    audit.record(
        actor,
        "maps.import_boundaries",
        bset,
        after={
            **audit.snapshot(bset),
            "codes": sorted(n.code for n in nodes)[:2000],
            "replaced": replaced,
        },
    )
    return bset
