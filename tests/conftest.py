"""Shared fixtures: a small tree with one persona for each role.

The tree (codes are 12-digit division codes or institution codes):

    P  province 330000000000
    └─ C  city 330100000000
       ├─ A  county 330101000000
       │  ├─ TA1 township health centre 330101100000
       │  │  ├─ VA1 village clinic 330101100201
       │  │  └─ VA2 village clinic 330101100202
       │  ├─ TA2 township health centre 330101200000
       │  │  └─ VA3 village clinic 330101200201
       │  └─ CA1 community health service centre 330101300000
       │     └─ SA1 community station 330101300201
       └─ B  county 330102000000
          └─ TB1 township health centre 330102100000
             └─ VB1 village clinic 330102100201
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from browser_support import (  # noqa: F401  (fixtures shared by every browser test)
    browser,
    login,
    new_page,
    page,
    persona_password,
    playwright_instance,
    pytest_runtest_makereport,
    screenshot,
)
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from snapshot import Snapshot

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Property tests check results, never speed: on a shared 2-core machine an example may take
# longer than Hypothesis' default 200 ms deadline, which would fail a correct rule.
hypothesis_settings.register_profile(
    "jiceng", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("jiceng")

PASSWORD = "Jiceng-test-2025"

# Fixtures through which a test reaches the database (directly or through `tree`, `client`...).
_DATABASE_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server"}


def _cost_rank(item) -> int:
    for rank, marker in enumerate(("spark", "slow", "browser")):
        if item.get_closest_marker(marker) is not None:
            return rank
    return 3


def pytest_collection_modifyitems(config, items):
    """Order the long tests first; with JICENG_DATABASE_TESTS_ONLY=1, keep only the tests
    that touch the database.

    The second run of `scripts/test` (on PostgreSQL) repeats what can differ between databases;
    tests of pure functions already ran on SQLite. A test that reaches a database only through a
    process it starts says so with the marker `database`; a test that repeats, at a larger
    size, code that other tests run on both databases, or checks what does not depend on the
    database, says so with `one_database`. Browser tests run on SQLite only, except those marked
    `postgresql_too`.
    """
    # Long tests first: a parallel run then ends with short tests on every worker instead of
    # one worker finishing a long test alone (pytest-xdist's worksteal balances the rest).
    items.sort(key=_cost_rank)
    if os.environ.get("JICENG_DATABASE_TESTS_ONLY") != "1":
        return
    kept, dropped = [], []
    for item in items:
        if item.get_closest_marker("one_database") is not None:
            dropped.append(item)
            continue
        # A browser test checks what the page does in Chromium; what the server does for it is
        # checked on PostgreSQL by the view tests. One whole flow runs on both databases.
        if (
            item.get_closest_marker("browser") is not None
            and item.get_closest_marker("postgresql_too") is None
        ):
            dropped.append(item)
            continue
        uses_db = (
            item.get_closest_marker("django_db") is not None
            or item.get_closest_marker("database") is not None
            or bool(_DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))
        )
        (kept if uses_db else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(autouse=True, scope="session")
def _plain_static_files():
    """Tests serve static files under their own names; hashed names need collectstatic."""
    from django.conf import settings
    from django.test import override_settings

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}):
        yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in Chinese: a request in English leaves its language on the thread."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True, scope="session")
def _no_page_cache():
    """Pages are computed on every view in tests, so that a page's query count does not depend
    on what an earlier request cached; tests/core/test_page_cache.py turns the cache on."""
    from django.test import override_settings

    with override_settings(JICENG_PAGE_CACHE_SECONDS=0):
        yield


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """Hashing with PBKDF2 costs ~0.3 s a user; tests do not need that strength.

    Set once for the session: changing a setting in every test costs more than most tests.
    """
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def build_tree():
    from jiceng.orgs.actions import do_create_node, do_set_year

    def mk(code, name, kind, parent):
        return do_create_node(None, code=code, name=name, kind=kind, parent=parent)

    t = SimpleNamespace()
    t.P = mk("330000000000", "测试省", "province", None)
    t.C = mk("330100000000", "测试市", "city", t.P)
    t.A = mk("330101000000", "甲县", "county", t.C)
    t.B = mk("330102000000", "乙县", "county", t.C)
    t.TA1 = mk("330101100000", "甲一镇卫生院", "township_hc", t.A)
    t.TA2 = mk("330101200000", "甲二镇卫生院", "township_hc", t.A)
    t.CA1 = mk("330101300000", "甲县城关社区卫生服务中心", "community_hc", t.A)
    t.TB1 = mk("330102100000", "乙一镇卫生院", "township_hc", t.B)
    t.VA1 = mk("330101100201", "东村卫生室", "village_clinic", t.TA1)
    t.VA2 = mk("330101100202", "西村卫生室", "village_clinic", t.TA1)
    t.VA3 = mk("330101200201", "南村卫生室", "village_clinic", t.TA2)
    t.SA1 = mk("330101300201", "城关社区卫生服务站", "community_station", t.CA1)
    t.VB1 = mk("330102100201", "北村卫生室", "village_clinic", t.TB1)
    for node, pop in [(t.VA1, 1200), (t.VA2, 900), (t.VA3, 1500), (t.SA1, 3000), (t.VB1, 800)]:
        do_set_year(
            None,
            node,
            2025,
            permanent_residents=pop,
            residents_65_plus=pop // 6,
            children_0_6=pop // 15,
            adults_18_plus=pop * 4 // 5,
            key_population=pop // 3,
        )
    return t


def make_user(username, role, node, institution=None, **extra):
    from jiceng.accounts.models import User

    user = User.objects.create_user(
        username=username, password=PASSWORD, role=role, node=node, institution=institution, **extra
    )
    return user


_TREE = Snapshot(build_tree)


@pytest.fixture
def tree(db):
    return _TREE.load()


def build_personas(tree):
    p = SimpleNamespace(tree=tree)
    p.clerk = make_user("clerk_ta1", "institution_staff", tree.TA1)
    p.village_clerk = make_user("clerk_va1", "institution_staff", tree.VA1)
    p.county_reviewer = make_user("reviewer_a", "county_reviewer", tree.A, institution=tree.TA2)
    p.county_reviewer_b = make_user("reviewer_b", "county_reviewer", tree.B)
    p.city_reviewer = make_user("reviewer_city", "city_reviewer", tree.C)
    p.province_reviewer = make_user("reviewer_prov", "province_reviewer", tree.P)
    p.analyst = make_user("analyst_a", "analyst", tree.A)
    p.county_admin = make_user("admin_a", "admin", tree.A)
    p.province_admin = make_user("admin_p", "admin", tree.P)
    return p


_PERSONAS = Snapshot(build_personas)


@pytest.fixture
def personas(tree):
    """One user per role. The county reviewer of county A works at TA2."""
    return _PERSONAS.load(tree=tree)


@pytest.fixture
def client_for(client):
    """Log the Django test client in as a given user."""

    def log_in(user):
        client.force_login(user)
        return client

    return log_in


_TIMELINE = os.environ.get("JICENG_TEST_TIMELINE")


if _TIMELINE:
    # Diagnostics (docs/testing.md): each test's start, wall and CPU seconds (the worker's and
    # its finished children's), one JSON line a test, per worker.

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item, nextitem):
        import json
        import time

        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        t0, c0 = time.time(), sum(os.times()[:4])
        yield
        t1, c1 = time.time(), sum(os.times()[:4])
        with open(f"{_TIMELINE}-{worker}.jsonl", "a", encoding="utf-8") as f:
            f.write(
                json.dumps({"id": item.nodeid, "start": t0, "wall": t1 - t0, "cpu": c1 - c0}) + "\n"
            )
