"""Two writers on one file-based SQLite database (the test database is in memory, so the
scenarios run in a subprocess: ``tests/core/contention.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from migrated import migrated_sqlite

SCRIPT = Path(__file__).with_name("contention.py")

ON_SQLITE = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
sqlite_only = pytest.mark.skipif(not ON_SQLITE, reason="the write lock is SQLite's")


def run(tmp_path: Path, *args: str) -> dict:
    migrated_sqlite(tmp_path / "jiceng.sqlite3")
    env = {
        **os.environ,
        "JICENG_VAR_DIR": str(tmp_path),
        "JICENG_SQLITE_TIMEOUT": "1",
        "PYTHONPATH": str(Path(__file__).parents[2] / "src"),
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("RESULT "))


@pytest.mark.slow
@sqlite_only
def test_a_login_during_a_long_tree_import_gets_in_between_its_batches(tmp_path):
    out = run(tmp_path, "import", "600")
    assert out.get("import_error") is None
    assert out["created"] == 600 and out["nodes"] == 603
    # Logged in: none of its writes waited past the 1 s busy timeout (that would be a 503;
    # before the fix it was a 500 "database is locked").
    assert out["login_status"] == 302
    assert out["login_seconds"] < 5
    assert out["import_still_running_after_login"]


@pytest.mark.slow
@sqlite_only
def test_a_lock_held_past_the_busy_timeout_answers_503_with_a_chinese_message(tmp_path):
    out = run(tmp_path, "hold", "4")
    assert out["login_status"] == 503
    assert "数据库繁忙，请稍后重试" in out["login_body"]
    assert out["api_status"] == 503
    assert out["api_type"].startswith("application/json")
    assert json.loads(out["api_body"])["detail"].startswith("数据库繁忙，请稍后重试")


@pytest.mark.skipif(ON_SQLITE, reason="PostgreSQL's lock_timeout")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_row_locked_past_the_lock_timeout_answers_503(personas):
    from django.test import Client
    from django.utils import translation

    from jiceng.accounts.models import User

    clerk = personas.clerk
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        with transaction.atomic():
            User.objects.select_for_update().get(pk=clerk.pk)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    locked.wait(10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        client = Client(raise_request_exception=False)
        with translation.override("zh-hans"):
            response = client.post(
                "/accounts/login/", {"username": clerk.username, "password": "Jiceng-test-2025"}
            )
    finally:
        release.set()
        holder.join()
    assert response.status_code == 503
    assert "数据库繁忙，请稍后重试" in response.content.decode()
