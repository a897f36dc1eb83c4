"""Demo stage "maps": synthetic boundaries and locations, since the demo has no internet.

The province is a wandering circle (``geo.blob``) around a fixed point; it is cut into
Voronoi cells (``geo.cells_within``) for a fixed number of city places, each city into
places for its counties, each county into the service areas of its township and community
health centres, and each of those into the areas of its village clinics or stations. A
unit takes the place its code numbers (the demo's 2nd city, 3rd county), so the outlines of
the province and its cities stay the same whatever number of counties is built. Each
institution gets a location inside its area (the county hospital near the county's
centre). Boundaries are written through ``do_import_boundaries`` (audited, as the system);
locations in bulk, like the other stages' history.
"""

from __future__ import annotations

import random
from decimal import Decimal

from shapely.geometry import mapping, shape

from jiceng.demo.region import Region
from jiceng.maps import geo
from jiceng.maps.actions import do_import_boundaries
from jiceng.maps.models import Boundary, BoundarySet
from jiceng.orgs.models import Node

CENTRE = (112.6, 27.6)  # longitude, latitude of the demo province's middle
RADIUS = 2.0  # degrees
CITY_PLACES = 4
COUNTY_PLACES = 6
AREA_KINDS = {"township_hc", "community_hc"}


def _outline(node: Node):
    b = Boundary.objects.filter(node=node, current=True).only("geometry").first()
    return shape(b.geometry) if b else None


def _save(items: list[tuple[Node, object]], name: str) -> None:
    plan = [
        (geo.Feature(i, n.code, geo.rounded(mapping(poly), 5)), n)
        for i, (n, poly) in enumerate(items, start=1)
        if not poly.is_empty
    ]
    if plan:
        do_import_boundaries(None, plan, name, fmt=BoundarySet.Format.DEMO)


def _place(code: str, start: int, places: int) -> int:
    """The place a demo code numbers (digits ``start``..``start+2``, from 1), within range."""
    return (int(code[start : start + 2]) - 1) % places


def _ensure_division(parent: Node, parent_shape, node: Node, places: int, start: int):
    """The outline of ``node`` (a city or county): its numbered place among ``places``
    fixed cells of the parent, drawn once."""
    found = _outline(node)
    if found is not None:
        return found
    cells = geo.cells_within(parent_shape, places, random.Random(f"maps:{parent.code}"))
    poly = cells[_place(node.code, start, len(cells))]
    _save([(node, poly)], f"demo-{node.code}.geojson")
    return poly


def _locate(points: dict[int, tuple[float, float]]) -> None:
    for pk, (lon, lat) in points.items():
        Node.objects.filter(pk=pk).update(
            longitude=Decimal(f"{lon:.6f}"), latitude=Decimal(f"{lat:.6f}")
        )


def populate(region: Region, rng: random.Random) -> None:
    """Boundaries of the province, the county's city, the county and its institutions'
    areas, and a location for each institution of the county."""
    province = region.province
    prov_shape = _outline(province)
    if prov_shape is None:
        prov_shape = geo.blob(*CENTRE, RADIUS, random.Random(f"maps:{province.code}:outline"))
        _save([(province, prov_shape)], f"demo-{province.code}.geojson")
    county = Node.objects.get(pk=region.county.pk)
    city = county.parent
    city_shape = _ensure_division(province, prov_shape, city, CITY_PLACES, 2)
    county_shape = _ensure_division(city, city_shape, county, COUNTY_PLACES, 4)

    children = list(county.children.filter(closed__isnull=True).order_by("code"))
    areas = [c for c in children if c.kind in AREA_KINDS]
    cells = geo.cells_within(county_shape, len(areas), rng)
    items: list[tuple[Node, object]] = list(zip(areas, cells, strict=True))
    points: dict[int, tuple[float, float]] = {}
    below = {}
    for n in Node.objects.filter(parent__in=areas, closed__isnull=True).order_by("code"):
        below.setdefault(n.parent_id, []).append(n)
    for area, cell in zip(areas, cells, strict=True):
        p = cell.representative_point()
        points[area.pk] = (p.x, p.y)
        kids = below.get(area.pk, [])
        for kid, sub in zip(kids, geo.cells_within(cell, len(kids), rng), strict=True):
            items.append((kid, sub))
            q = sub.representative_point()
            points[kid.pk] = (q.x, q.y)
    centre = county_shape.representative_point()
    for other in children:
        if other.kind not in AREA_KINDS and other.kind != "health_commission":
            # beside the county's label point, not on it
            points[other.pk] = (centre.x + rng.uniform(0.02, 0.04), centre.y - 0.02)
    _save(items, f"demo-{county.code}-institutions.geojson")
    _locate(points)
