"""The web shell in a real browser: login, scope of the tree, language, password, users."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def _codes(page) -> set[str]:
    return set(page.locator("[data-code]").evaluate_all("els => els.map(e => e.dataset.code)"))


def test_a_township_clerk_sees_their_institution_and_villages_but_no_other_township(
    personas, login, screenshot
):
    t = personas.tree
    page = login(None, "clerk_ta1")
    screenshot(page, "home-clerk")
    page.goto("/orgs/")
    codes = _codes(page)
    assert {t.TA1.code, t.VA1.code, t.VA2.code} <= codes
    assert not codes & {t.TA2.code, t.VA3.code, t.TB1.code, t.CA1.code, t.B.code}


def test_the_county_reviewer_sees_every_township_of_the_county_but_not_the_other_county(
    personas, login, screenshot
):
    t = personas.tree
    page = login(None, "reviewer_a")
    screenshot(page, "home-county-reviewer")
    page.goto("/orgs/")
    screenshot(page, "tree-county-reviewer")
    codes = _codes(page)
    assert {t.A.code, t.TA1.code, t.TA2.code, t.CA1.code, t.VA3.code} <= codes
    assert not codes & {t.B.code, t.TB1.code, t.VB1.code, t.C.code}
