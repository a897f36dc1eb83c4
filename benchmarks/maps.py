"""Time, peak memory and features/s of reading and checking a boundary file, and the time of
the map page on a demo database.

    python benchmarks/maps.py [--features 2000] [--vertices 200]
    JICENG_VAR_DIR=/tmp/city python benchmarks/maps.py --pages

The file: ``--features`` Voronoi cells of a synthetic province (``geo.cells_within``), each
outline densified to about ``--vertices`` points, written as one GeoJSON FeatureCollection;
then ``geo.read_features`` (parse, code checks, shapely validity) and ``geo.display_geometry``
(the simplified copy the map draws) on every feature, as an import does before it writes.
``--pages`` also asks, on the database of ``JICENG_VAR_DIR`` (a demo, e.g.
``jiceng demo --scale city --townships 2 --skip records``), for the province administrator's
map of the province's counties and of every institution, twice, and measures the second.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _file(features: int, vertices: int) -> bytes:
    from shapely.geometry import mapping

    from jiceng.maps import geo

    rng = random.Random(1)
    province = geo.blob(112.6, 27.6, 2.0, rng)
    cells = geo.cells_within(province, features, rng, relax=1)
    out = []
    for i, cell in enumerate(cells):
        step = max(cell.length / vertices, 1e-5)
        dense = cell.segmentize(step)
        out.append(
            {
                "type": "Feature",
                "properties": {"code": f"99{i:010d}"},
                "geometry": geo.rounded(mapping(dense), 6),
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": out}).encode()


def bench_file(features: int, vertices: int) -> None:
    from jiceng.maps import geo

    data = _file(features, vertices)
    points = data.count(b"], [") + features
    print(
        f"file: {features} features, about {points // features} points each, "
        f"{len(data) / 1024 / 1024:.1f} MB"
    )
    start = time.perf_counter()
    read = geo.read_features(data, "bench.geojson")
    checked = time.perf_counter() - start
    for f in read:
        geo.display_geometry(f.geometry)
        geo.inner_point(f.geometry)
    total = time.perf_counter() - start
    print(f"read and check: {checked:.2f} s ({features / checked:,.0f} features/s)")
    print(f"+ simplify and label points: {total:.2f} s ({features / total:,.0f} features/s)")
    print(f"peak memory: {_peak_mb():.0f} MB")


def bench_pages() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from jiceng.accounts.models import User
    from jiceng.maps.models import Boundary
    from jiceng.orgs.models import Node

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": plain}, ALLOWED_HOSTS=["*"]
    ).enable()
    province = Node.objects.get(kind="province")
    print(
        f"{connection.vendor}: {Boundary.objects.filter(current=True).count()} boundaries, "
        f"{Node.objects.exclude(longitude=None).count()} located units"
    )
    client = Client()
    client.force_login(User.objects.get(username="province_admin"))
    for name, query in (
        ("counties", "level=county"),
        ("institutions", "level=institution"),
        (
            "institutions, a data-set figure",
            "level=institution&indicator=ds:SATISFACTION:OUT_SATISFACTION_RATE",
        ),
    ):
        url = f"/maps/?node={province.code}&{query}"
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            ms = (time.perf_counter() - start) * 1000
        print(
            f"map of {name}: {response.status_code}, {len(queries)} queries, {ms:.0f} ms, "
            f"{len(response.content) / 1024:.0f} KB"
        )
    print(f"peak memory: {_peak_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=2000)
    parser.add_argument("--vertices", type=int, default=200)
    parser.add_argument("--pages", action="store_true")
    args = parser.parse_args()
    if args.pages:
        bench_pages()
        return
    import django

    django.setup()
    bench_file(args.features, args.vertices)


if __name__ == "__main__":
    main()
