"""Reading boundary files and classing values, without the database."""

from __future__ import annotations

import io
import json
import math
import random
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiceng.core.errors import UserError, ValidationFailed
from jiceng.maps import geo

from .helpers import collection, feature, rect

# ---------------------------------------------------------------- reading


def test_a_good_file_gives_each_feature_with_its_code_and_position():
    data = collection(feature("A1", rect(120, 30, 121, 31)), feature(42, rect(121, 30, 122, 31)))
    got = geo.read_features(data, "ok.geojson")
    assert [(f.index, f.code) for f in got] == [(1, "A1"), (2, "42")]
    assert got[0].geometry["coordinates"][0][2] == [121.0, 31.0]


def test_every_problem_is_named_with_the_file_the_feature_and_the_field():
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    data = collection(
        feature("", rect(0, 0, 1, 1)),  # 1: no code
        feature("B", bowtie),  # 2: self-intersection
        feature("C", {"type": "Point", "coordinates": [1, 1]}),  # 3: not a polygon
        feature("B", rect(0, 0, 1, 1)),  # 4: B again
    )
    with pytest.raises(ValidationFailed) as exc:
        geo.read_features(data, "bad.geojson")
    lines = [str(p) for p in exc.value.problems]
    assert lines[0].startswith("bad.geojson，第 1 个要素，properties.code：")
    assert "自相交" in lines[1] and "第 2 个要素，geometry" in lines[1]
    assert "Point" in lines[2] and "第 3 个要素" in lines[2]
    assert "出现了两次" in lines[3] and "第 2 个和第 4 个要素" in lines[3]
    assert len(lines) == 4


def test_projected_coordinates_are_refused_as_not_longitude_latitude():
    metres = rect(500000, 3300000, 501000, 3301000)  # UTM-like metres
    with pytest.raises(ValidationFailed) as exc:
        geo.read_features(collection(feature("A", metres)), "utm.geojson")
    assert "投影坐标系" in str(exc.value) and "EPSG:4326" in str(exc.value)


@pytest.mark.parametrize("crs", ["EPSG:3857", "urn:ogc:def:crs:EPSG::32650"])
def test_a_declared_projected_crs_is_refused_by_name(crs):
    data = collection(feature("A", rect(120, 30, 121, 31)), crs=crs)
    with pytest.raises(ValidationFailed) as exc:
        geo.read_features(data, "x.geojson")
    assert crs in str(exc.value) and "crs" in str(exc.value)


@pytest.mark.parametrize("crs", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "EPSG:4490"])
def test_wgs84_and_cgcs2000_are_accepted(crs):
    data = collection(feature("A", rect(120, 30, 121, 31)), crs=crs)
    assert len(geo.read_features(data, "x.geojson")) == 1


def test_a_file_over_the_limit_is_refused_before_it_is_read(settings):
    settings.JICENG_MAP_MAX_BYTES = 1000
    data = collection(*[feature(f"C{i}", rect(120, 30, 121, 31)) for i in range(20)])
    assert len(data) > 1000
    with pytest.raises(UserError, match="上限为 1 KB"):
        geo.read_features(data, "big.geojson")


def test_broken_json_is_named_by_line_and_column():
    with pytest.raises(ValidationFailed) as exc:
        geo.read_features(b'{"type": "FeatureCollection",\n "features": [}', "broken.geojson")
    assert exc.value.problems[0].row == 2 and "第2行" in str(exc.value)


def _zipped_shapefile(polygons: dict[str, list], prj: str | None) -> bytes:
    import shapefile

    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON) as w:
        w.field("code", "C", size=20)
        for code, ring in polygons.items():
            w.poly([ring])
            w.record(code)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("b.shp", shp.getvalue())
        z.writestr("b.shx", shx.getvalue())
        z.writestr("b.dbf", dbf.getvalue())
        if prj:
            z.writestr("b.prj", prj)
    return out.getvalue()


WGS84_PRJ = 'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137,298.257223563]]]'
MERCATOR_PRJ = 'PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984"]]'


def test_a_zipped_shapefile_is_read_with_its_codes():
    ring = [[120, 30], [120, 31], [121, 31], [121, 30], [120, 30]]  # clockwise: an outer ring
    got = geo.read_features(_zipped_shapefile({"A1": ring}, WGS84_PRJ), "b.zip")
    assert [(f.index, f.code, f.geometry["type"]) for f in got] == [(1, "A1", "Polygon")]


def test_a_shapefile_in_a_projected_crs_is_refused_by_its_prj():
    ring = [[120, 30], [120, 31], [121, 31], [121, 30], [120, 30]]
    with pytest.raises(ValidationFailed) as exc:
        geo.read_features(_zipped_shapefile({"A1": ring}, MERCATOR_PRJ), "merc.zip")
    assert "WGS_1984_Web_Mercator_Auxiliary_Sphere" in str(exc.value)


def test_a_zip_without_its_dbf_says_what_is_missing():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("b.shp", b"x")
        z.writestr("b.shx", b"x")
    with pytest.raises(UserError, match=r"\.dbf"):
        geo.read_features(out.getvalue(), "half.zip")


# ---------------------------------------------------------------- classes


def test_quantiles_of_ten_values_in_five_classes_hold_two_each():
    # sorted 1..10, m=10, n=5: class i starts at xs[ceil(i*10/5)] = xs[2i] → 1, 3, 5, 7, 9
    edges = geo.breaks([float(v) for v in range(10, 0, -1)], "quantile", 5)
    assert edges == [1, 3, 5, 7, 9, 10]
    assert [geo.class_of(v, edges) for v in (1, 2, 3, 8, 9, 10)] == [0, 0, 1, 3, 4, 4]


def test_equal_intervals_cut_the_range_into_equal_widths():
    # 0..100 in 4 classes: width 25 → edges 0, 25, 50, 75, 100; 25 starts class 1
    edges = geo.breaks([0, 10, 25, 99, 100], "equal", 4)
    assert edges == [0, 25, 50, 75, 100]
    assert [geo.class_of(v, edges) for v in (0, 24.9, 25, 75, 100)] == [0, 0, 1, 3, 3]


def test_no_values_give_no_classes_and_equal_values_one():
    assert geo.breaks([], "quantile", 5) == [] and geo.class_of(3, []) is None
    assert geo.breaks([7, 7, 7], "equal", 5) == [7, 7]
    assert geo.class_of(7, [7, 7]) == 0


def _reference_quantile_classes(values: list[float], n: int) -> dict[float, int]:
    """Obviously correct: rank the distinct sorted values; the value at position j (0-based)
    falls in class c where c is the largest i with ceil(i*m/n) <= j."""
    xs = sorted(values)
    m = len(xs)
    out = {}
    for j, v in enumerate(xs):
        out[v] = max(i for i in range(n) if math.ceil(i * m / n) <= j)
    return out


@given(
    st.lists(st.integers(-10_000, 10_000), min_size=1, max_size=60, unique=True),
    st.integers(2, 7),
)
def test_quantile_classes_match_the_reference_and_hold_nearly_equal_counts(ints, n):
    values = [v / 10 for v in ints]
    edges = geo.breaks(values, "quantile", n)
    ref = _reference_quantile_classes(values, n)
    # the classes used are numbered without gaps (merged edges renumber them)
    used = sorted(set(ref.values()))
    renumber = {c: k for k, c in enumerate(used)}
    assert {v: geo.class_of(v, edges) for v in values} == {v: renumber[c] for v, c in ref.items()}
    counts = [list(ref.values()).count(c) for c in used]
    assert max(counts) - min(counts) <= 1


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=40), st.integers(2, 7))
def test_equal_interval_classes_are_the_floor_of_the_position_in_the_range(values, n):
    edges = geo.breaks(values, "equal", n)
    lo, hi = min(values), max(values)
    for v in values:
        if hi == lo:
            assert geo.class_of(v, edges) == 0
            continue
        ref = min(n - 1, math.floor((v - lo) / (hi - lo) * n))
        got = geo.class_of(v, edges)
        # a value on an edge computed in floating point may land on either side of it
        assert got == ref or abs(v - edges[max(got, ref)]) < 1e-6 * max(1, abs(hi - lo))


# ---------------------------------------------------------------- synthetic boundaries


def test_voronoi_cells_tile_the_parent_without_overlaps():
    parent = geo.blob(112.0, 27.0, 1.0, random.Random(1))
    cells = geo.cells_within(parent, 6, random.Random(2))
    assert len(cells) == 6 and all(c.is_valid and c.area > 0 for c in cells)
    assert abs(sum(c.area for c in cells) - parent.area) < 1e-9 * 1e3
    for i, a in enumerate(cells):
        for b in cells[i + 1 :]:
            assert a.intersection(b).area < 1e-9


def test_a_feature_geojson_is_read_like_a_collection_of_one():
    doc = json.dumps(feature("X", rect(1, 1, 2, 2))).encode()
    assert [f.code for f in geo.read_features(doc, "one.geojson")] == ["X"]


@pytest.mark.parametrize(
    "geometry, words",
    [
        (
            {"type": "Polygon", "coordinates": [[["120", "30"], [121, 30], [121, 31], [120, 30]]]},
            "不是数值列表",
        ),
        (
            {"type": "Polygon", "coordinates": [[[120, 30], [121, 30, 5], [120, 30]]]},
            "不是数值列表",
        ),
        (
            {"type": "Polygon", "coordinates": [[[120, 30], [121, 30], [120, 30]]]},
            "点数太少（位置 120 30）",
        ),
        ({"type": "Polygon", "coordinates": []}, "为空"),
        (
            {
                "type": "MultiPolygon",
                "coordinates": [
                    [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]],
                    [[[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]]],
                ],
            },
            "几何图形无效",
        ),
    ],
)
def test_malformed_coordinates_are_named(geometry, words):
    problems = geo.check_geometry(geometry, "f.geojson", 7)
    assert len(problems) == 1 and words in problems[0].message, problems
    assert problems[0].label == "第 7 个要素，geometry"
