"""Browser-test fixtures (Playwright driving Debian's Chromium), loaded once by tests/conftest.py.

See tests/browser/conftest.py for how to use them. Defined once here so that browser
tests in any folder share one Playwright instance and one browser.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULTS_DIR = Path(__file__).resolve().parents[1] / "test-results"
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


@pytest.fixture(scope="session")
def persona_password(request) -> str:
    """``PASSWORD`` of ``tests/conftest.py``: every persona's password."""
    root = Path(__file__).resolve().parent / "conftest.py"
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
def login(new_page, live_server):
    """``login(page_or_none, username, password=None)``: a page signed in as ``username``.

    Without ``password``, the persona is signed in on the server (a session made as the
    login form makes it) and the page opens the home page, where the form would have led:
    the login form costs a page and a post in Chromium each time, and 75 tests sign in. With
    ``password``, the page goes through the login form (the tests of signing in, passwords
    and locks).
    """

    def do_login(page, username: str, password: str | None = None):
        page = page or new_page()
        if password is None:
            from django.conf import settings
            from django.contrib.auth import get_user_model
            from django.test import Client

            client = Client()
            client.force_login(get_user_model().objects.get(username=username))
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            page.context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
            )
            page.goto("/")
            page.wait_for_load_state("domcontentloaded")
            if "/accounts/login/" in page.url:
                pytest.fail(f"the session made for {username} was not accepted: {page.url}")
            return page
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
