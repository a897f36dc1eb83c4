"""kill -9 of a real task worker during a load: the next worker fails the job, a retry loads it.

Runs the platform as separate processes on a fresh SQLite deployment (like production:
``jiceng db_worker`` beside the web server), so it needs no test database.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from migrated import migrated_sqlite

pytestmark = pytest.mark.slow

SETUP = """
import io, zipfile, tempfile
from pathlib import Path
from jiceng.analytics import generate_recordset
from jiceng.indicators import actions, tasks, uploads
from jiceng.indicators.store import platform_tree
from jiceng.orgs.actions import do_create_node
province = do_create_node(None, code="330000000000", name="测试省", kind="province", parent=None)
city = do_create_node(None, code="330100000000", name="测试市", kind="city", parent=province)
county = do_create_node(None, code="330101000000", name="甲县", kind="county", parent=city)
for i in range(1, 4):
    t = do_create_node(None, code=f"3301011{i}0000", name=f"甲{i}镇卫生院", kind="township_hc",
                       parent=county)
    do_create_node(None, code=f"3301011{i}0201", name=f"{i}村卫生室", kind="village_clinic",
                   parent=t)
src = Path(tempfile.mkdtemp())
generate_recordset(src, platform_tree(county), [2025], seed=1, residents=20_000)
zpath = src / "records.zip"
with zipfile.ZipFile(zpath, "w") as zf:
    for f in src.glob("*.parquet"):
        zf.write(f, f.name)
rs = actions.do_register_upload(None, name="甲县2025", node=county, source="records.zip")
uploads.adopt(zpath, rs.pk)
tasks.enqueue_load(rs)
print(rs.pk)
"""


def jiceng(env, *args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "jiceng", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


def row(db: Path, pk: int) -> dict:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        cur = con.execute(
            "SELECT status, message, worker, progress FROM indicators_recordset WHERE id = ?",
            (pk,),
        )
        status, message, worker, progress = cur.fetchone()
    finally:
        con.close()
    return {
        "status": status,
        "message": message,
        "worker": worker,
        "progress": json.loads(progress),
    }


def test_a_worker_killed_during_a_load_is_detected_cleaned_up_and_the_load_retried(tmp_path):
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JICENG_TEST_DB_NAME")}
    env.update(
        JICENG_VAR_DIR=str(var),
        JICENG_JOB_LEASE_SECONDS="2",
        JICENG_TASKS_BACKEND="django_tasks_db.DatabaseBackend",
    )
    db, analytics = var / "jiceng.sqlite3", var / "analytics"
    migrated_sqlite(db)
    pk = int(jiceng(env, "shell", "-c", SETUP).stdout.split()[-1])
    upload = analytics / "uploads" / str(pk) / "upload.zip"

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jiceng",
            "db_worker",
            "--no-startup-delay",
            "--interval",
            "0.1",
            "--no-reload",
            "-v",
            "0",
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while not list(analytics.glob(f".recordset-{pk}.duckdb.*.loading")):
            assert worker.poll() is None and time.monotonic() < deadline, row(db, pk)
            time.sleep(0.02)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    stuck = row(db, pk)
    assert stuck["status"] == "loading" and stuck["worker"] and not stuck["progress"]["done"]

    time.sleep(3)  # the lease runs out
    jiceng(env, "db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v", "0")
    failed = row(db, pk)
    assert failed["status"] == "failed" and "后台任务中断" in failed["message"]
    assert not list(analytics.glob(f".recordset-{pk}.duckdb.*"))  # store and spill folder
    assert not [p for p in analytics.iterdir() if p.name.startswith(".")]
    assert not (upload.parent / "tables").exists() and upload.exists()

    jiceng(
        env,
        "shell",
        "-c",
        f"from jiceng.indicators import jobs; from jiceng.indicators.models import RecordSet; "
        f"jobs.retry(None, RecordSet.objects.get(pk={pk}))",
    )
    jiceng(env, "db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v", "0")
    done = row(db, pk)
    assert done["status"] == "ready", done
    assert not upload.exists()
    assert (analytics / f"recordset-{pk}.duckdb").exists()
