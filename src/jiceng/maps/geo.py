"""Boundary files and map classes, apart from the database.

:func:`read_features` reads a GeoJSON file or a zipped Shapefile into :class:`Feature` rows
and checks each: a code in the named property, a polygon geometry that is valid (shapely),
coordinates in WGS84 longitude/latitude. Every problem is collected with the file, the
feature's position and the field, then raised together (``ValidationFailed``).

:func:`breaks` and :func:`class_of` put values into the classes of a choropleth legend
(equal intervals or quantiles, docs/maps.md). :func:`cells_within` cuts a polygon into
Voronoi cells (the demo's synthetic boundaries).
"""

from __future__ import annotations

import io
import json
import math
import random
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from jiceng.core.errors import Problem, UserError, ValidationFailed

MAX_BYTES = 20 * 1024 * 1024  # default upload limit (settings.JICENG_MAP_MAX_BYTES)
MAX_UNZIPPED = 5  # a zipped Shapefile may hold at most this many times the limit, unpacked
POLYGONS = {"Polygon", "MultiPolygon"}
# Geographic longitude/latitude: WGS84 (EPSG:4326, OGC CRS84) and China's CGCS2000 (EPSG:4490),
# which agrees with WGS84 to a few centimetres.
ACCEPTED_CRS = {
    "EPSG:4326",
    "EPSG::4326",
    "URN:OGC:DEF:CRS:EPSG::4326",
    "URN:OGC:DEF:CRS:OGC:1.3:CRS84",
    "URN:OGC:DEF:CRS:OGC::CRS84",
    "OGC:CRS84",
    "CRS84",
    "EPSG:4490",
    "URN:OGC:DEF:CRS:EPSG::4490",
}
ACCEPTED_DATUMS = ("WGS_1984", "WGS84", "CHINA_2000", "CGCS2000", "CGCS_2000")
DISPLAY_TOLERANCE = 0.0005  # degrees (about 50 m): the simplified geometry the map draws

# GEOS reasons of invalid geometry (shapely.validation.explain_validity), as users read them.
_REASONS = (
    ("Ring Self-intersection", "环自相交"),
    ("Self-intersection", "边界自相交"),
    ("Too few points", "点数太少"),
    ("Hole lies outside shell", "内环（洞）在外环之外"),
    ("Nested shells", "外环相互嵌套"),
    ("Nested holes", "内环相互嵌套"),
    ("Interior is disconnected", "内部不连通"),
    ("Duplicate Rings", "有重复的环"),
    ("Invalid Coordinate", "坐标无效"),
)


@dataclass
class Feature:
    """One feature of a boundary file: its position (1-based), node code and geometry."""

    index: int
    code: str
    geometry: dict | None  # None: the geometry had a problem (see ``_checked``)


def _where(filename: str, index: int | None, field: str = "") -> dict:
    label = _("feature %(n)s") % {"n": index} if index is not None else ""
    if field:
        label = f"{label}，{field}" if label else field
    return {"file": filename, "label": label, "field": field}


def _reason(text: str) -> str:
    """GEOS's reason in Chinese, with the place it names ("Self-intersection[0.5 0.5]")."""
    import re

    place = re.search(r"\[([^\]]*)\]", text)
    for english, chinese in _REASONS:
        if text.startswith(english):
            if place:
                where = _("at %(point)s") % {"point": place.group(1)}
                return f"{chinese}（{where}）"
            return chinese
    return text


def _arrays(geometry: dict) -> list[list[Any]] | None:
    """The polygons of a Polygon or MultiPolygon as lists of (n, 2) float arrays (shell
    first), or None when the coordinates are not nested lists of numbers."""
    import numpy as np

    coords = geometry.get("coordinates")
    if not isinstance(coords, list):
        return None
    polys = [coords] if geometry.get("type") == "Polygon" else coords
    out = []
    for poly in polys:
        if not isinstance(poly, list):
            return None
        rings = []
        for ring in poly:
            try:
                arr = np.asarray(ring)
            except (TypeError, ValueError):  # ragged lists
                return None
            if arr.size == 0:
                continue
            if arr.dtype.kind not in "iuf" or arr.ndim != 2 or arr.shape[1] < 2:
                return None
            rings.append(arr[:, :2].astype(float))
        out.append(rings)
    return out


def _shown(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def check_geometry(geometry: Any, filename: str, index: int) -> list[Problem]:
    """Problems of one feature's geometry: missing, not a polygon, out of range, invalid."""
    import numpy as np
    import shapely
    from shapely.validation import explain_validity

    where = _where(filename, index, "geometry")
    if not isinstance(geometry, dict) or not geometry.get("type"):
        return [Problem(_("The feature has no geometry."), **where)]
    kind = geometry.get("type")
    if kind not in POLYGONS:
        return [
            Problem(
                _("The geometry is a %(type)s; a boundary must be a Polygon or MultiPolygon.")
                % {"type": kind},
                **where,
            )
        ]
    polys = _arrays(geometry)
    if polys is None:
        return [Problem(_("The coordinates are not lists of numbers."), **where)]
    rings = [r for poly in polys for r in poly]
    if not rings:
        return [Problem(_("The geometry is empty."), **where)]
    points = np.concatenate(rings)
    inside = (np.abs(points[:, 0]) <= 180) & (np.abs(points[:, 1]) <= 90)  # NaN: outside
    if not inside.all():
        x, y = points[int(np.argmin(inside))]
        return [
            Problem(
                _(
                    "The point (%(x)s, %(y)s) is not a longitude/latitude: the file seems "
                    "to use a projected coordinate system (metres). Convert it to WGS84 "
                    "longitude/latitude (EPSG:4326) first."
                )
                % {"x": _shown(x), "y": _shown(y)},
                **where,
            )
        ]
    try:
        parts = [shapely.polygons(poly[0], holes=poly[1:] or None) for poly in polys if poly]
        geom = parts[0] if kind == "Polygon" else shapely.multipolygons(parts)
    except (ValueError, TypeError, shapely.errors.GEOSException) as exc:
        return [Problem(_("The geometry cannot be read: %(error)s") % {"error": exc}, **where)]
    if geom.is_empty:
        return [Problem(_("The geometry is empty."), **where)]
    if not geom.is_valid:
        return [
            Problem(
                _("The geometry is invalid: %(reason)s.")
                % {"reason": _reason(explain_validity(geom))},
                **where,
            )
        ]
    return []


def _code_of(props: Any, code_field: str) -> str:
    if not isinstance(props, dict):
        return ""
    value = props.get(code_field)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if value is None or isinstance(value, bool | dict | list):
        return ""
    return str(value).strip()


def _crs_name(crs: Any) -> str:
    if not isinstance(crs, dict):
        return str(crs)
    props = crs.get("properties") or {}
    return str(props.get("name") or props.get("href") or crs)


def _crs_ok(name: str) -> bool:
    return name.strip().upper() in ACCEPTED_CRS


def features_from_geojson(
    data: bytes,
    filename: str,
    code_field: str,
    collect: list[Problem] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Feature]:
    """The features of a GeoJSON FeatureCollection (or single Feature), checked."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(_("%(file)s is not UTF-8 text.") % {"file": filename}) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            [
                Problem(
                    _("The file is not valid JSON (line %(line)s, column %(col)s): %(msg)s.")
                    % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg},
                    file=filename,
                    row=exc.lineno,
                )
            ]
        ) from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc], "crs": doc.get("crs")}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ValidationFailed(
            [
                Problem(
                    _("The file is not a GeoJSON FeatureCollection."),
                    **_where(filename, None, "type"),
                )
            ]
        )
    if doc.get("crs") is not None and not _crs_ok(_crs_name(doc["crs"])):
        raise ValidationFailed(
            [
                Problem(
                    _(
                        "The coordinate reference system %(crs)s is not accepted: boundaries "
                        "must be in WGS84 longitude/latitude (EPSG:4326) or CGCS2000 "
                        "(EPSG:4490)."
                    )
                    % {"crs": _crs_name(doc["crs"])},
                    **_where(filename, None, "crs"),
                )
            ]
        )
    raw = doc.get("features")
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed(
            [Problem(_("The file holds no features."), **_where(filename, None, "features"))]
        )
    return _checked(
        [
            (i, f.get("properties") if isinstance(f, dict) else None, f.get("geometry"))
            if isinstance(f, dict)
            else (i, None, None)
            for i, f in enumerate(raw, start=1)
        ],
        filename,
        code_field,
        collect,
        progress,
    )


def _checked(
    rows,
    filename: str,
    code_field: str,
    collect: list[Problem] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Feature]:
    """Features of ``rows`` checked. Problems are raised together, or, given ``collect``,
    added to it; then features with a code but a bad geometry come back with ``geometry``
    None, so that the caller can check their codes too."""
    problems: list[Problem] = []
    out: list[Feature] = []
    seen: dict[str, int] = {}
    for index, props, geometry in rows:
        code = _code_of(props, code_field)
        field = f"properties.{code_field}"
        ok = True
        if not code:
            problems.append(
                Problem(
                    _("The property %(field)s (the unit's code) is missing or empty.")
                    % {"field": code_field},
                    **_where(filename, index, field),
                )
            )
            ok = False
        elif code in seen:
            problems.append(
                Problem(
                    _("The code %(code)s appears twice: features %(first)s and %(second)s.")
                    % {"code": code, "first": seen[code], "second": index},
                    **_where(filename, index, field),
                )
            )
            ok = False
        else:
            seen[code] = index
        found = check_geometry(geometry, filename, index)
        problems.extend(found)
        if ok and not found:
            out.append(Feature(index, code, rounded(geometry)))
        elif ok and collect is not None:
            out.append(Feature(index, code, None))
        if progress is not None:
            progress(1)
    if collect is not None:
        collect.extend(problems)
        return out
    if problems:
        raise ValidationFailed(
            problems,
            _("%(file)s: %(n)s problems, nothing was saved.")
            % {"file": filename, "n": len(problems)},
        )
    return out


def rounded(geometry: dict, places: int = 6) -> dict:
    """The geometry with coordinates rounded to ``places`` decimals (6: about 0.1 m)."""
    import numpy as np

    def ring(r) -> list:
        return np.round(np.asarray(r, dtype=float)[:, :2], places).tolist()

    coords = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        out = [ring(r) for r in coords]
    else:
        out = [[ring(r) for r in poly] for poly in coords]
    return {"type": geometry["type"], "coordinates": out}


def _prj_problem(wkt: str, filename: str) -> Problem | None:
    head = wkt.strip().upper()
    where = _where(filename, None, ".prj")
    if head.startswith("PROJCS") or head.startswith("PROJCRS"):
        name = wkt.split('"')[1] if '"' in wkt else wkt[:40]
        return Problem(
            _(
                "The Shapefile uses the projected coordinate system %(crs)s; boundaries must be "
                "in WGS84 longitude/latitude (EPSG:4326) or CGCS2000 (EPSG:4490)."
            )
            % {"crs": name},
            **where,
        )
    if not any(d in head for d in ACCEPTED_DATUMS):
        name = wkt.split('"')[1] if '"' in wkt else wkt[:40]
        return Problem(
            _(
                "The coordinate reference system %(crs)s is not accepted: boundaries must be in "
                "WGS84 longitude/latitude (EPSG:4326) or CGCS2000 (EPSG:4490)."
            )
            % {"crs": name},
            **where,
        )
    return None


def features_from_shapefile(
    data: bytes,
    filename: str,
    code_field: str,
    collect: list[Problem] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Feature]:
    """The features of a zipped Shapefile (.shp, .shx, .dbf; .prj and .cpg read if there)."""
    import shapefile  # pyshp

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UserError(_("%(file)s is a damaged ZIP archive.") % {"file": filename}) from None
    with zf:
        if sum(i.file_size for i in zf.infolist()) > MAX_UNZIPPED * max_bytes():
            raise UserError(_("%(file)s is too large once unpacked.") % {"file": filename})
        names = {n.lower(): n for n in zf.namelist() if not n.endswith("/")}
        shps = [n for n in names if n.endswith(".shp")]
        if len(shps) != 1:
            raise UserError(
                _("%(file)s must hold exactly one .shp file (it holds %(n)s).")
                % {"file": filename, "n": len(shps)}
            )
        stem = shps[0][:-4]
        missing = [e for e in (".shx", ".dbf") if stem + e not in names]
        if missing:
            raise UserError(
                _("%(file)s lacks %(parts)s beside the .shp file.")
                % {"file": filename, "parts": "、".join(missing)}
            )
        if stem + ".prj" in names:
            wkt = zf.read(names[stem + ".prj"]).decode("utf-8", "replace")
            if problem := _prj_problem(wkt, filename):
                raise ValidationFailed([problem])
        encoding = "utf-8"
        if stem + ".cpg" in names:
            encoding = zf.read(names[stem + ".cpg"]).decode("ascii", "replace").strip() or encoding
        parts = {e: io.BytesIO(zf.read(names[stem + e])) for e in (".shp", ".shx", ".dbf")}
    rows = []
    for enc in dict.fromkeys([encoding, "utf-8", "gb18030"]):
        try:
            reader = shapefile.Reader(
                shp=parts[".shp"], shx=parts[".shx"], dbf=parts[".dbf"], encoding=enc
            )
            rows = [
                (i, sr.record.as_dict(), sr.shape.__geo_interface__ if sr.shape else None)
                for i, sr in enumerate(reader.iterShapeRecords(), start=1)
            ]
            break
        except UnicodeDecodeError:
            for p in parts.values():
                p.seek(0)
            continue
        except (shapefile.ShapefileException, ValueError, struct.error) as exc:
            raise UserError(
                _("%(file)s cannot be read as a Shapefile: %(error)s")
                % {"file": filename, "error": exc}
            ) from None
    if not rows:
        raise ValidationFailed(
            [Problem(_("The file holds no features."), **_where(filename, None, "features"))]
        )
    return _checked(rows, filename, code_field, collect, progress)


def max_bytes() -> int:
    from django.conf import settings

    return int(getattr(settings, "JICENG_MAP_MAX_BYTES", MAX_BYTES))


def human_size(n: int) -> str:
    """``20 MB``, ``1.5 MB``, ``800 KB``."""
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(n / 1024))} KB"


def read_features(
    data: bytes,
    filename: str,
    code_field: str = "code",
    collect: list[Problem] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Feature]:
    """Read and check a boundary file: GeoJSON, or a Shapefile in a .zip (by content).

    Problems of the features are raised together (``ValidationFailed``), or added to
    ``collect`` when it is given (see ``_checked``); a file that cannot be read at all
    raises in either case."""
    limit = max_bytes()
    if len(data) > limit:
        raise UserError(
            _("%(file)s is %(size)s; the limit is %(limit)s.")
            % {"file": filename, "size": human_size(len(data)), "limit": human_size(limit)}
        )
    code_field = (code_field or "code").strip()
    if data[:4] == b"PK\x03\x04":
        return features_from_shapefile(data, filename, code_field, collect, progress)
    return features_from_geojson(data, filename, code_field, collect, progress)


def to_shape(geometry: dict):
    """The shapely geometry of a checked Polygon or MultiPolygon (built from arrays: fast)."""
    import shapely

    parts = [shapely.polygons(p[0], holes=p[1:] or None) for p in _arrays(geometry) or [] if p]
    return parts[0] if geometry["type"] == "Polygon" else shapely.multipolygons(parts)


def display_geometry(geometry: dict) -> dict:
    """A simplified copy for drawing (topology kept; a few metres matter not on a map)."""
    from shapely.geometry import mapping

    simple = to_shape(geometry).simplify(DISPLAY_TOLERANCE, preserve_topology=True)
    if simple.is_empty:
        return geometry
    return rounded(mapping(simple), 5)


def inner_point(geometry: dict) -> tuple[float, float]:
    """A point surely inside the outline (shapely's representative point), rounded."""
    p = to_shape(geometry).representative_point()
    return round(p.x, 5), round(p.y, 5)


# ---------------------------------------------------------------- classes of a legend


def breaks(values: list[float], method: str = "quantile", n: int = 5) -> list[float]:
    """The class edges of ``values``: ``k + 1`` ascending numbers for ``k <= n`` classes.

    ``equal``: ``n`` intervals of equal width from the smallest to the largest value.
    ``quantile``: with the ``m`` values sorted (``xs``), class ``i`` starts at
    ``xs[ceil(i * m / n)]``, so each holds ``floor(m/n)`` or ``ceil(m/n)`` values when they
    are distinct; equal edges are merged (fewer classes). No values: no edges; all values
    equal: one class.
    """
    xs = sorted(v for v in values if v is not None and not math.isnan(v))
    if not xs:
        return []
    lo, hi = xs[0], xs[-1]
    if lo == hi:
        return [lo, hi]
    n = max(1, n)
    if method == "equal":
        return [lo + (hi - lo) * i / n for i in range(n)] + [hi]
    m = len(xs)
    edges = [lo]
    for i in range(1, n):
        pos = math.ceil(i * m / n)
        if pos < m and xs[pos] > edges[-1]:
            edges.append(xs[pos])
    return edges + [hi]


def class_of(value: float | None, edges: list[float]) -> int | None:
    """The class (0-based) of ``value``: the last class whose lower edge it reaches;
    every class holds its lower edge, the last one holds its upper edge too."""
    if value is None or len(edges) < 2:
        return None
    k = 0
    for i in range(1, len(edges) - 1):
        if value >= edges[i]:
            k = i
    return k


# ---------------------------------------------------------------- synthetic boundaries


def blob(cx: float, cy: float, radius: float, rng: random.Random, vertices: int = 48):
    """A plausible region outline: a circle whose radius wanders smoothly (shapely Polygon)."""
    from shapely.geometry import Polygon

    waves = [(rng.uniform(0.05, 0.14), rng.uniform(0, 2 * math.pi), k) for k in (2, 3, 5, 7)]
    pts = []
    for i in range(vertices):
        a = 2 * math.pi * i / vertices
        r = radius * (1 + sum(amp * math.sin(k * a + ph) for amp, ph, k in waves))
        pts.append((cx + r * math.cos(a) * 1.15, cy + r * math.sin(a)))
    return Polygon(pts)


def _point_inside(poly, rng: random.Random):
    from shapely.geometry import Point

    minx, miny, maxx, maxy = poly.bounds
    for _i in range(1000):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if poly.contains(p):
            return p
    return poly.representative_point()


def cells_within(parent, n: int, rng: random.Random, relax: int = 2) -> list:
    """``n`` Voronoi cells that tile ``parent`` (shapely polygons, in seed order).

    Seeds are random points inside ``parent``, moved ``relax`` times to their cell's centroid
    (Lloyd), which gives the even, compact shapes of real divisions.
    """
    import shapely
    from shapely.geometry import MultiPoint

    if n <= 1:
        return [parent][:n]
    seeds = [_point_inside(parent, rng) for _i in range(n)]
    cells: list = []
    for step in range(relax + 1):
        regions = shapely.voronoi_polygons(
            MultiPoint(seeds), extend_to=parent.envelope.buffer(1), ordered=True
        )
        cells = [g.intersection(parent) for g in regions.geoms]
        if step < relax:
            seeds = [
                c.centroid if not c.is_empty and parent.contains(c.centroid) else s
                for c, s in zip(cells, seeds, strict=True)
            ]
    return [_polygonal(shapely.make_valid(c) if not c.is_valid else c) for c in cells]


def _polygonal(g):
    """Only the polygons of ``g`` (an intersection may leave stray lines or points)."""
    from shapely.geometry import MultiPolygon

    if g.geom_type in POLYGONS:
        return g
    parts = [p for p in getattr(g, "geoms", []) if p.geom_type in POLYGONS]
    polys = [q for p in parts for q in (p.geoms if p.geom_type == "MultiPolygon" else [p])]
    return MultiPolygon(polys) if len(polys) > 1 else (polys[0] if polys else g)
