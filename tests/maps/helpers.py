"""Boundary files for the tests, written by hand: rectangles in WGS84 degrees."""

from __future__ import annotations

import json


def rect(x0: float, y0: float, x1: float, y1: float) -> dict:
    """A Polygon: the rectangle from (x0, y0) to (x1, y1), counter-clockwise, closed."""
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


def feature(code, geometry, field: str = "code") -> dict:
    return {"type": "Feature", "properties": {field: code, "名称": "x"}, "geometry": geometry}


def collection(*features, crs: str | None = None) -> bytes:
    doc: dict = {"type": "FeatureCollection", "features": list(features)}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(doc, ensure_ascii=False).encode()


def tree_boundaries(t) -> bytes:
    """City C is the square 120–122°E × 30–32°N; county A its west half, B its east half;
    TA1 the south half of A, TA2 the north half. CA1 has none."""
    return collection(
        feature(t.C.code, rect(120, 30, 122, 32)),
        feature(t.A.code, rect(120, 30, 121, 32)),
        feature(t.B.code, rect(121, 30, 122, 32)),
        feature(t.TA1.code, rect(120, 30, 121, 31)),
        feature(t.TA2.code, rect(120, 31, 121, 32)),
    )


def import_tree_boundaries(t, actor=None):
    from jiceng.maps.actions import do_import_boundaries, plan_import

    data = tree_boundaries(t)
    return do_import_boundaries(actor, plan_import(actor, data, "tree.geojson"), "tree.geojson")
