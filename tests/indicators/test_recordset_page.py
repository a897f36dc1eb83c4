"""The record set page: its status shown once and kept current, no server paths (issue 8, 8)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from jiceng.indicators.models import RecordSet

from .conftest import make_record_set

pytestmark = pytest.mark.django_db

STATUS_WORDS = ("导入中", "就绪", "失败")


def page(client, rs) -> str:
    return client.get(reverse("indicators:recordset", args=[rs.pk])).content.decode()


def status_words(html: str) -> list[str]:
    main = html.split("<main", 1)[-1].split("</main>", 1)[0]
    return [w for w in re.findall("|".join(STATUS_WORDS), main)]


def test_a_ready_record_set_shows_its_status_once_and_never_loading(personas, client_for):
    rs = make_record_set(
        name="甲县2025",
        node=personas.tree.A,
        progress={"task": "load", "stage": "完成", "percent": 100, "done": True},
    )
    html = page(client_for(personas.county_admin), rs)
    assert status_words(html) == ["就绪"]
    assert "hx-trigger" not in html


def test_the_polled_block_holds_every_place_the_status_appears_and_stops_when_done(
    personas, client_for
):
    rs = make_record_set(
        name="甲县2025",
        node=personas.tree.A,
        status=RecordSet.Status.LOADING,
        progress={"task": "load", "stage": "检查 residents", "percent": 40, "done": False},
        heartbeat_at=timezone.now(),
    )
    client = client_for(personas.county_admin)
    html = page(client, rs)
    assert status_words(html) == ["导入中"]
    block = re.search(r'<section class="card" id="recordset-status".*?</section>', html, re.S)[0]
    assert 'hx-trigger="every 1s"' in block and "导入中" in block
    assert 'id="compute-form"' not in html  # not while loading
    # the load ends: the next poll brings the new status, the compute form, and no more polling
    RecordSet.objects.filter(pk=rs.pk).update(
        status=RecordSet.Status.READY,
        progress={"task": "load", "stage": "完成", "percent": 100, "done": True},
    )
    polled = client.get(reverse("indicators:recordset_status", args=[rs.pk])).content.decode()
    assert status_words(polled) == ["就绪"]
    assert 'id="compute-form"' in polled
    assert "hx-trigger" not in polled


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("/srv/jiceng/var/records/清河县-2025", "清河县-2025"),
        ("C:\\data\\uploads\\甲县.zip", "甲县.zip"),
        ("甲县记录.zip", "甲县记录.zip"),
    ],
)
def test_the_page_never_shows_a_server_file_path(personas, client_for, source, shown):
    rs = make_record_set(name="甲县2025", node=personas.tree.A, source=source)
    html = page(client_for(personas.county_admin), rs)
    assert shown in html
    assert "/srv/" not in html and "\\data\\" not in html and "uploads" not in html


def test_the_upload_help_explains_every_table_in_chinese(personas, client_for):
    html = client_for(personas.county_admin).get(reverse("indicators:recordsets")).content
    html = html.decode()
    help_part = html.split('<section class="card form-card">', 1)[1].split("<form", 1)[0]
    for name, label in (("residents", "居民"), ("population", "人口"), ("contracts", "签约")):
        row = re.search(rf'<tr data-table="{name}">(.*?)</tr>', help_part, re.S)[1]
        assert f"<code>{name}</code>" in row and label in row
    text = re.sub(r"<code>.*?</code>|<[^>]+>", " ", help_part)
    english = set(re.findall(r"[A-Za-z]{3,}", text)) - {"ZIP", "CSV", "csv", "xlsx", "parquet"}
    assert not english, english


def test_the_record_set_pages_cost_the_same_queries_however_big_the_tree(personas, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jiceng.orgs.actions import do_create_node

    t = personas.tree
    rs = make_record_set(name="甲县2025", node=t.A, source="/srv/x/甲县.zip")
    client = client_for(personas.county_admin)
    urls = [
        reverse("indicators:recordsets"),
        reverse("indicators:recordset", args=[rs.pk]),
        reverse("indicators:recordset_status", args=[rs.pk]),
    ]

    def count() -> list[int]:
        out = []
        for u in urls:
            client.get(u)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(u).status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    before = count()
    for n in range(3, 8):
        do_create_node(None, code=f"33010{n}100000", name=f"镇{n}", kind="township_hc", parent=t.A)
    assert count() == before


def test_an_error_naming_a_server_file_shows_only_the_file_name(personas, client_for):
    rs = make_record_set(
        name="甲县2025",
        node=personas.tree.A,
        status=RecordSet.Status.FAILED,
        progress={
            "task": "load",
            "done": True,
            "error": "导入失败：[Errno 2] No such file or directory: "
            "'/srv/jiceng/var/analytics/uploads/7/tables/residents.csv'",
        },
    )
    html = page(client_for(personas.county_admin), rs)
    assert "residents.csv" in html and "/srv/" not in html and "uploads/7" not in html


def test_the_list_refreshes_its_statuses_while_work_runs_and_stops_after(personas, client_for):
    rs = make_record_set(
        name="甲县2025",
        node=personas.tree.A,
        status=RecordSet.Status.LOADING,
        progress={"task": "load", "stage": "检查 residents", "percent": 40, "done": False},
        heartbeat_at=timezone.now(),
    )
    client = client_for(personas.county_admin)
    html = client.get(reverse("indicators:recordsets")).content.decode()
    block = re.search(r'<div class="table-wrap" id="recordsets-list"[^>]*>', html)[0]
    assert 'hx-trigger="every 2s"' in block and 'hx-select="#recordsets-list"' in block
    RecordSet.objects.filter(pk=rs.pk).update(
        status=RecordSet.Status.READY, progress={"task": "load", "percent": 100, "done": True}
    )
    html = client.get(reverse("indicators:recordsets")).content.decode()
    block = re.search(r'<div class="table-wrap" id="recordsets-list"[^>]*>', html)[0]
    assert "hx-trigger" not in block
    assert status_words(html.split('id="recordsets-list"', 1)[1]) == ["就绪"]


def test_a_store_loaded_by_an_older_version_opens_and_asks_for_a_reload_when_computed(
    personas, client_for, tmp_path
):
    import duckdb

    from jiceng.analytics import load_recordset
    from jiceng.indicators import tasks
    from jiceng.indicators.store import platform_tree

    from .test_upload import record_set_dir

    store = tmp_path / "old.duckdb"
    tree = personas.tree
    load_recordset(record_set_dir(tree, tmp_path), store, tree=platform_tree(tree.A), pii_key=b"k")
    con = duckdb.connect(str(store))
    con.execute("DELETE FROM meta WHERE key = 'format'")  # as loaded before format 2
    con.close()
    rs = make_record_set(name="旧记录集", node=personas.tree.A, store_path=str(store))
    assert (
        client_for(personas.county_admin)
        .get(reverse("indicators:recordset", args=[rs.pk]))
        .status_code
        == 200
    )
    result = tasks.run_compute(rs.pk, ["2025"])
    assert result["status"] == "failed"
    assert "由旧版本载入" in result["error"] and "请重新载入该记录集" in result["error"]
    rs.refresh_from_db()
    assert "请重新载入该记录集" in rs.progress["error"]
    assert (
        client_for(personas.county_admin)
        .get(reverse("indicators:recordset", args=[rs.pk]))
        .status_code
        == 200
    )
