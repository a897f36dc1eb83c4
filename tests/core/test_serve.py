"""`jiceng serve` runs the production server: gunicorn workers, hashed and compressed static
files with a long max-age, a supervised task worker, and a clean stop on SIGTERM.

The server runs as a subprocess on a free port of 127.0.0.1 against a migrated database: on
SQLite a fresh file migrated for the test, on PostgreSQL the test database itself.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from migrated import migrated_sqlite

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def server_environment(transactional_db, tmp_path):
    """The environment of a server subprocess whose database is migrated.

    On PostgreSQL the server uses the test database (transactional_db: what a test writes
    is committed, so the server sees it); SQLite's test database lives in memory, so there
    the server gets a copy of a file migrated once per test process (tests/migrated.py).
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JICENG_", "DJANGO_")) and k != "DATABASE_URL"
    }
    env.update(
        PYTHONPATH=str(ROOT / "src"),
        JICENG_VAR_DIR=str(tmp_path / "var"),
        # Collected once per checkout: hashing and compressing takes half a minute.
        JICENG_STATIC_ROOT=str(settings.STATIC_ROOT.parent / "static-collected"),
        JICENG_STOP_TIMEOUT="10",
    )
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        env["DATABASE_URL"] = f"sqlite:///{migrated_sqlite(tmp_path / 'serve.sqlite3')}"
    else:
        url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = urllib.parse.urlunsplit(url._replace(path="/" + db["NAME"]))
    return env


def fetch(opener, url: str, data: dict | None = None, headers: dict | None = None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        return opener.open(request, timeout=30)
    except urllib.error.HTTPError as error:
        return error


def test_serve_runs_gunicorn_with_hashed_static_files_and_stops_cleanly(server_environment):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "jiceng", "serve", f"127.0.0.1:{port}"]
        + ["--workers", "2", "--threads", "2"],
        env=server_environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def answers():
            try:
                return fetch(opener, f"{base}/accounts/login/")
            except OSError:
                return None

        login = wait_for(answers, 180, "the server to answer")
        html = login.read().decode()

        # A page, served by gunicorn with the security headers.
        assert login.status == 200
        assert login.headers["Server"].startswith("gunicorn")
        assert "script-src 'self'" in login.headers["Content-Security-Policy"]
        children = children_of(server.pid)
        web = [pid for pid in children if "gunicorn" in command_line(pid)]
        assert len(web) == 1 and len(children_of(web[0])) == 2  # the master and its 2 workers

        # The database answers: a wrong password re-renders the form with an error.
        csrf = next(c.value for c in jar if c.name == "csrftoken")
        wrong = fetch(
            opener,
            f"{base}/accounts/login/",
            {"username": "nobody", "password": "wrong", "csrfmiddlewaretoken": csrf},
            {"Referer": f"{base}/accounts/login/"},
        )
        assert wrong.status == 200 and "errorlist" in wrong.read().decode()

        # A static file under its hashed name, cached for a year, compressed.
        name = re.search(r'src="(/static/vendor/htmx\.min\.[0-9a-f]{12}\.js)"', html).group(1)
        for encoding in ("br", "gzip"):
            static = fetch(opener, base + name, headers={"Accept-Encoding": encoding})
            assert static.status == 200
            assert static.headers["Content-Encoding"] == encoding
            cache = static.headers["Cache-Control"]
            assert "immutable" in cache
            assert int(re.search(r"max-age=(\d+)", cache).group(1)) >= 365 * 24 * 3600

        # The task worker is supervised: killed, it comes back.
        worker = next(pid for pid in children if "db_worker" in command_line(pid))
        os.kill(worker, signal.SIGKILL)
        wait_for(
            lambda: any(
                "db_worker" in command_line(pid) and pid != worker
                for pid in children_of(server.pid)
            ),
            30,
            "the task worker to be restarted",
        )
        children = children_of(server.pid)
        descendants = children | {p for c in children for p in children_of(c)}

        # SIGTERM stops everything, and the port is free again.
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        assert not [pid for pid in descendants if alive(pid)]
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0
    finally:
        if server.poll() is None:
            server.kill()
        output = server.communicate(timeout=30)[0]
        print(output)
    assert "restarting it" in output
