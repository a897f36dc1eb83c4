"""Queries, time and size of the pages that grow with the province, on a demo database.

    JICENG_VAR_DIR=/tmp/prov jiceng demo --scale province --townships 2 --skip records
    JICENG_VAR_DIR=/tmp/prov python benchmarks/page_queries.py [--province-cycle 2027]

For the province administrator and the city reviewer: the home page, the progress board,
consistency (this year and last year), the ledger and its summary, the tree, and the page of a
province-wide cycle. ``--province-cycle YEAR`` first opens a cycle of the whole province for
that year (the demo's cycles are per county) if there is none; it writes to the database.
Each page is asked for twice and the second answer measured. The test that the number of
queries does not grow with the tree is ``tests/test_query_counts.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--province-cycle", type=int, default=None, metavar="YEAR")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from jiceng.accounts.models import User
    from jiceng.assessments.actions import do_open_cycle
    from jiceng.assessments.models import Cycle
    from jiceng.orgs.models import GRASSROOTS_KINDS, Node

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": plain}, ALLOWED_HOSTS=["*"]
    ).enable()
    province = Node.objects.get(kind="province")
    if args.province_cycle and not Cycle.objects.filter(region=province).exists():
        do_open_cycle(None, province, args.province_cycle)
    cycle = Cycle.objects.filter(region=province).order_by("-year").first()
    first_year = Cycle.objects.order_by("year").values_list("year", flat=True).first()
    pages = [
        ("home", "/"),
        ("progress board", "/evaluation/progress/"),
        ("consistency", "/evaluation/consistency/"),
        ("consistency, first year", f"/evaluation/consistency/?year={first_year}"),
        ("ledger", "/rectification/"),
        ("ledger summary", "/rectification/summary/"),
        ("tree", "/orgs/"),
    ]
    if cycle is not None:
        pages.append(("province-wide cycle", f"/evaluation/cycles/{cycle.pk}/"))
    n = Node.objects.filter(kind__in=GRASSROOTS_KINDS).count()
    print(f"{connection.vendor}, {n} grassroots institutions")
    print(f"{'who':<16}{'page':<26}{'status':>7}{'queries':>9}{'ms':>8}{'KB':>6}")
    for who in ("province_admin", "city_reviewer"):
        client = Client()
        client.force_login(User.objects.get(username=who))
        for name, url in pages:
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                ms = (time.perf_counter() - start) * 1000
            size = len(response.content) // 1024
            print(
                f"{who:<16}{name:<26}{response.status_code:>7}{len(queries):>9}{ms:>8.0f}{size:>6}"
            )


if __name__ == "__main__":
    main()
