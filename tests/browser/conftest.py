"""Shared fixtures for browser tests: a real Chromium driving the real pages.

How to write a browser test (see ``tests/browser/test_shell.py`` for examples)::

    import pytest

    pytestmark = pytest.mark.browser

    def test_the_clerk_sees_their_villages(personas, login):
        page = login(None, "clerk_ta1")            # logs in through the login form
        page.goto("/orgs/")                        # relative to the live server
        assert page.locator("[data-code='330101100201']").count() == 1

Fixtures
--------
``browser`` (session)
    Playwright's Chromium, the Debian binary at ``/usr/bin/chromium``, headless, with
    ``--no-sandbox --disable-gpu --disable-background-networking --disable-component-update
    --disable-sync --no-first-run``. Started once per test session (per xdist worker).
``live_server`` (pytest-django)
    Django served on 127.0.0.1 in a thread. Requesting it (``page`` and ``login`` do) makes
    the test's database *transactional*: data created in the test is committed, so the
    server thread sees it, and the tables are flushed afterwards.
``tree`` / ``personas``
    The same small tree and one user per role as in ``tests/conftest.py`` (see its
    docstring), built in the live server's database. Every persona's password is
    ``PASSWORD`` of tests/conftest.py (fixture ``persona_password``); usernames: clerk_ta1, clerk_va1, reviewer_a, reviewer_b,
    reviewer_city, reviewer_prov, analyst_a, admin_a, admin_p.
``new_page``
    ``new_page(locale="zh-CN")`` opens a fresh browser context (own cookies) and returns
    its page, whose ``goto("/path")`` is relative to the live server. The default locale is
    a Chinese browser's; pass ``locale="en-US"`` to see what an English browser gets.
``page``
    ``new_page()`` for tests that need one anonymous page.
``login``
    ``login(page_or_none, username, password=PASSWORD)`` logs in THROUGH THE LOGIN FORM
    (fills 用户名/密码 and presses the button) and returns the page, now on the home page.
    With ``None`` it opens a new page first, so one test can hold several users' pages.
    It fails the test with the page's error text when the login is refused.
``screenshot``
    ``screenshot(page, "name")`` saves ``test-results/<name>.png`` (full page).

On failure every page the test opened is saved as ``test-results/<test name>-<n>.png``,
so the state the browser was in can be looked at afterwards.

The Playwright sync API runs an event loop in the test thread, so the test's own ORM calls
need ``DJANGO_ALLOW_ASYNC_UNSAFE=true`` (set here). Mark every browser test with
``@pytest.mark.browser`` (or ``pytestmark``); run them with ``pytest -m browser``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
DEFAULT_TIMEOUT_MS = 15_000


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the test item, so fixtures can see a failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def tree(live_server, tree):
    """The test tree of ``tests/conftest.py``, committed where the live server sees it.

    (It overrides the root ``tree`` and uses it; asking for ``live_server`` first makes
    the database transactional. The root ``personas`` then builds on this tree.)
    """
    return tree


@pytest.fixture(scope="session")
def persona_password(request) -> str:
    """``PASSWORD`` of ``tests/conftest.py``: every persona's password."""
    root = Path(__file__).resolve().parents[1] / "conftest.py"
    for plugin in request.config.pluginmanager.get_plugins():
        file = getattr(plugin, "__file__", None)
        if file and Path(file).resolve() == root:
            return plugin.PASSWORD
    raise RuntimeError("tests/conftest.py is not loaded")


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:150]


@pytest.fixture
def new_page(browser, live_server, request):
    """Open pages in fresh browser contexts; closes them and screenshots them on failure."""
    contexts = []
    pages = []

    def open_page(locale: str = "zh-CN", viewport: dict | None = None):
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            viewport=viewport or {"width": 1280, "height": 800},
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page

    yield open_page

    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        RESULTS_DIR.mkdir(exist_ok=True)
        for n, page in enumerate(pages, start=1):
            try:
                page.screenshot(
                    path=str(RESULTS_DIR / f"{_safe_name(request.node.name)}-{n}.png"),
                    full_page=True,
                )
            except Exception:  # noqa: BLE001 - a closed page must not hide the real failure
                pass
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def login(new_page, persona_password):
    """``login(page_or_none, username, password=PASSWORD)``: log in through the login form."""

    def do_login(page, username: str, password: str | None = None):
        password = persona_password if password is None else password
        page = page or new_page()
        page.goto("/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("[data-testid=login-submit]")
        page.wait_for_load_state("domcontentloaded")
        if "/accounts/login/" in page.url:
            errors = page.locator(".form-errors, .errorlist").all_inner_texts()
            pytest.fail(f"login as {username} was refused: {' '.join(errors) or page.url}")
        return page

    return do_login


@pytest.fixture
def screenshot():
    """``screenshot(page, name)``: save ``test-results/<name>.png`` and return its path."""

    def take(page, name: str) -> Path:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"{_safe_name(name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
