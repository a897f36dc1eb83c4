"""Run as a script: two writers on one file-based SQLite database, measured.

``python contention.py import N``: a background thread imports a tree of N new units
while the main thread logs in (a write: session and last login); prints JSON timings.
``python contention.py hold SECONDS``: a background thread holds the write lock for
SECONDS while the main thread logs in and calls a writing API endpoint; prints the
answers. The busy timeout is lowered to 1 s (``JICENG_SQLITE_TIMEOUT``) so a lock shows
quickly. ``JICENG_VAR_DIR`` must name an empty directory (the database is created there).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("JICENG_SQLITE_TIMEOUT", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

PASSWORD = "Jiceng-test-2025"


def setup():
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["*"]
    settings.DATABASES["default"]["OPTIONS"]["timeout"] = 1  # also before the fix
    call_command("migrate", verbosity=0)  # the test copied in a migrated file: nothing to do
    from jiceng.accounts.models import User
    from jiceng.orgs.actions import do_create_node

    p = do_create_node(None, code="330000000000", name="测试省", kind="province", parent=None)
    c = do_create_node(None, code="330100000000", name="测试市", kind="city", parent=p)
    do_create_node(None, code="330101000000", name="甲县", kind="county", parent=c)
    User.objects.create_user(username="admin", password=PASSWORD, role="admin", node=p)


def login() -> tuple[int, float, str]:
    client = Client(raise_request_exception=False)
    start = time.monotonic()
    response = client.post(
        "/accounts/login/", {"username": "admin", "password": PASSWORD}, HTTP_HOST="localhost"
    )
    return response.status_code, time.monotonic() - start, response.content.decode()[:2000]


def workbook(n: int) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("机构")
    ws.append(["代码", "名称", "类型", "上级代码", "成立日期", "撤销日期", "地址"])
    for i in range(n):
        ws.append([f"3301011{i:05d}", f"第{i}卫生院", "乡镇卫生院", "330101000000", None, None, ""])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def run_import(n: int) -> dict:
    from jiceng.orgs.actions import do_import_tree
    from jiceng.orgs.importer import plan_import

    plan = plan_import(workbook(n), "big.xlsx")
    started = threading.Event()
    out: dict = {}

    def job():
        begin = time.monotonic()
        try:
            result = do_import_tree(None, plan, progress=lambda _n: started.set())
            out["created"] = result.created
        except Exception as exc:  # reported, not raised: the thread must end
            out["import_error"] = repr(exc)
            started.set()
        finally:
            out["import_seconds"] = time.monotonic() - begin
            out["import_end"] = time.monotonic()
            connection.close()

    worker = threading.Thread(target=job)
    worker.start()
    started.wait()
    time.sleep(0.3)
    status, seconds, _body = login()
    out.update(login_status=status, login_seconds=seconds, login_end=time.monotonic())
    worker.join()
    out["import_still_running_after_login"] = out["import_end"] > out["login_end"]
    from jiceng.orgs.models import Node

    out["nodes"] = Node.objects.count()
    return out


def hold(seconds: float) -> dict:
    from jiceng.accounts.models import User
    from jiceng.core.models import AuditEvent

    api_client = Client(raise_request_exception=False)
    api_client.force_login(User.objects.get(username="admin"))
    holding = threading.Event()

    def job():
        with transaction.atomic():
            AuditEvent.objects.create(actor_name="t", action="hold", object_type="x", object_id="1")
            holding.set()
            time.sleep(seconds)
        connection.close()

    worker = threading.Thread(target=job)
    worker.start()
    holding.wait()
    status, took, body = login()
    api = api_client.post(
        "/api/v1/tokens",
        {"name": "t"},
        content_type="application/json",
        HTTP_HOST="localhost",
    )
    worker.join()
    return {
        "login_status": status,
        "login_seconds": took,
        "login_body": body,
        "api_status": api.status_code,
        "api_type": api.headers.get("Content-Type", ""),
        "api_body": api.content.decode()[:500],
    }


if __name__ == "__main__":
    setup()
    mode, arg = sys.argv[1], sys.argv[2]
    result = run_import(int(arg)) if mode == "import" else hold(float(arg))
    print("RESULT " + json.dumps(result, ensure_ascii=False))
