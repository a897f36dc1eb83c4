"""Targets: nearest-ancestor lookup, validation, the page, audit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from jiceng.core.errors import ValidationFailed
from jiceng.core.models import AuditEvent
from jiceng.indicators import queries
from jiceng.indicators.actions import check_target, do_set_target
from jiceng.indicators.models import Target

pytestmark = pytest.mark.django_db


def test_the_most_specific_target_wins_then_the_nearest_ancestor(tree):
    do_set_target(None, indicator="htn_std_mgmt", node=tree.P, year=2025, threshold_percent=50)
    do_set_target(None, indicator="htn_std_mgmt", node=tree.A, year=2025, threshold_percent=60)
    do_set_target(None, indicator="htn_std_mgmt", node=tree.TA1, year=2025, threshold_percent=70)
    assert queries.target_for(tree.VA1, "htn_std_mgmt", 2025).threshold == Decimal("0.7")
    assert queries.target_for(tree.VA3, "htn_std_mgmt", 2025).threshold == Decimal("0.6")
    assert queries.target_for(tree.VB1, "htn_std_mgmt", 2025).threshold == Decimal("0.5")
    assert queries.target_for(tree.VA1, "htn_std_mgmt", 2024) is None
    assert queries.target_for(tree.VA1, "fd_sign_rate", 2025) is None


def test_setting_a_target_again_replaces_it_and_both_writes_are_audited(tree):
    do_set_target(None, indicator="fd_sign_rate", node=tree.A, year=2025, threshold_percent=60)
    t = do_set_target(
        None, indicator="fd_sign_rate", node=tree.A, year=2025, threshold_percent=65.5
    )
    assert Target.objects.count() == 1 and t.threshold == Decimal("0.655")
    events = AuditEvent.objects.filter(action="indicators.target_set")
    assert events.count() == 2
    assert events.order_by("id").last().before["threshold"] == "0.6000"


def test_an_at_most_target_is_met_below_the_threshold(tree):
    t = do_set_target(
        None, indicator="hr_usage", node=tree.A, year=2025, threshold_percent=5, comparison="le"
    )
    assert t.met_by(0.04) is True and t.met_by(0.06) is False and t.met_by(None) is None


@settings(max_examples=60, deadline=None)
@given(st.decimals(allow_nan=True, allow_infinity=True, places=3))
def test_thresholds_are_accepted_exactly_from_0_to_100_percent(pct):
    ok = pct.is_finite() and 0 <= pct <= 100
    try:
        fraction = check_target("htn_std_mgmt", 2025, pct, "ge")
    except ValidationFailed as e:
        assert not ok
        assert [p.field for p in e.problems] == ["threshold"]
    else:
        assert ok
        assert fraction == (pct / 100).quantize(Decimal("0.0001"))


def test_the_targets_page_sets_a_target_for_a_region(personas, client_for):
    t = personas.tree
    client = client_for(personas.county_admin)
    url = reverse("indicators:targets")
    assert client.get(url).status_code == 200
    r = client.post(
        url,
        {
            "indicator": "htn_std_mgmt",
            "node": t.TA1.code,
            "year": 2025,
            "comparison": "ge",
            "threshold": "60",
            "note": "县目标",
        },
    )
    assert r.status_code == 302
    target = Target.objects.get()
    assert (target.node, target.threshold) == (t.TA1, Decimal("0.6"))
    html = client.get(url).content.decode()
    assert "高血压患者规范管理率" in html and "≥ 60.00%" in html


def test_the_page_refuses_a_node_outside_the_administrators_region(personas, client_for):
    client = client_for(personas.county_admin)
    r = client.post(
        reverse("indicators:targets"),
        {
            "indicator": "htn_std_mgmt",
            "node": personas.tree.B.code,
            "year": 2025,
            "comparison": "ge",
            "threshold": "60",
        },
    )
    assert r.status_code == 200
    assert not Target.objects.exists()
    assert personas.tree.B.code in r.content.decode()


def test_the_page_refuses_a_threshold_above_100(personas, client_for):
    client = client_for(personas.county_admin)
    r = client.post(
        reverse("indicators:targets"),
        {
            "indicator": "htn_std_mgmt",
            "node": personas.tree.A.code,
            "year": 2025,
            "comparison": "ge",
            "threshold": "101",
        },
    )
    assert r.status_code == 200 and not Target.objects.exists()


@pytest.mark.parametrize("who", ["clerk", "county_reviewer", "analyst", "city_reviewer"])
def test_non_administrators_may_not_open_the_targets_page(personas, client_for, who):
    r = client_for(getattr(personas, who)).get(reverse("indicators:targets"))
    assert r.status_code == 403


def test_a_target_is_deleted_only_within_the_administrators_region(personas, client_for):
    t = personas.tree
    mine = do_set_target(None, indicator="htn_std_mgmt", node=t.A, year=2025, threshold_percent=60)
    other = do_set_target(None, indicator="htn_std_mgmt", node=t.B, year=2025, threshold_percent=60)
    client = client_for(personas.county_admin)
    assert client.post(reverse("indicators:target_delete", args=[other.pk])).status_code == 404
    assert client.post(reverse("indicators:target_delete", args=[mine.pk])).status_code == 302
    assert list(Target.objects.all()) == [other]
    assert AuditEvent.objects.filter(action="indicators.target_deleted").count() == 1


def test_the_page_shows_targets_set_above_the_region_without_a_delete_button(personas, client_for):
    t = personas.tree
    above = do_set_target(None, indicator="fd_sign_rate", node=t.C, year=2025, threshold_percent=45)
    html = client_for(personas.county_admin).get(reverse("indicators:targets")).content.decode()
    section = html[html.index('id="inherited-targets"') :]
    assert f'data-node="{t.C.code}"' in section and "≥ 45.00%" in section
    assert reverse("indicators:target_delete", args=[above.pk]) not in html
