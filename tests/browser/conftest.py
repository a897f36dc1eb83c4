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
    ``login(page_or_none, username)`` signs the user in on the server (a session made as
    the login form makes it, put in the page's cookies) and returns the page, now on the home
    page. ``login(page, username, password)`` logs in THROUGH THE LOGIN FORM instead (fills
    用户名/密码 and presses the button) and fails the test with the page's error text when
    the login is refused. With ``None`` for the page it opens a new page first, so one test
    can hold several users' pages.
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

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture
def tree(live_server, tree):
    """The test tree of ``tests/conftest.py``, committed where the live server sees it.

    (It overrides the root ``tree`` and uses it; asking for ``live_server`` first makes
    the database transactional. The root ``personas`` then builds on this tree.)
    """
    return tree
