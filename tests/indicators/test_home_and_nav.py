"""The home panel of missed targets and the navigation entries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiceng.indicators.actions import do_set_target

pytestmark = pytest.mark.django_db

API_MATRIX = [
    ("clerk", "TA1", 200),
    ("clerk", "A", 404),
    ("village_clerk", "VA2", 404),
    ("county_reviewer", "VA3", 200),
    ("county_reviewer_b", "A", 404),
    ("analyst", "A", 200),
    ("city_reviewer", "TA2", 200),
    ("county_admin", "B", 404),
    ("province_admin", "TA1", 200),
]


def test_the_home_page_lists_indicators_below_their_target(personas, values, client_for, tree):
    do_set_target(None, indicator="htn_std_mgmt", node=tree.A, year=2025, threshold_percent=65)
    html = client_for(personas.county_reviewer).get(reverse("home")).content.decode()
    assert 'data-panel="indicators-below-target"' in html
    assert f'data-node="{tree.TA1.code}" data-indicator="htn_std_mgmt"' in html  # 60% < 65%
    assert f'data-node="{tree.TA2.code}" data-indicator="htn_std_mgmt"' not in html  # 90%


def test_the_clerk_sees_only_their_institution_in_the_panel(personas, values, client_for, tree):
    do_set_target(None, indicator="htn_std_mgmt", node=tree.A, year=2025, threshold_percent=95)
    html = client_for(personas.clerk).get(reverse("home")).content.decode()
    assert f'data-node="{tree.TA1.code}"' in html
    assert f'data-node="{tree.TA2.code}"' not in html and f'data-node="{tree.A.code}"' not in html


def test_the_navigation_offers_indicators_to_all_and_record_sets_to_administrators(
    personas, client_for
):
    html = client_for(personas.analyst).get(reverse("home")).content.decode()
    assert 'href="/indicators/"' in html and 'href="/indicators/recordsets/"' not in html
    html = client_for(personas.county_admin).get(reverse("home")).content.decode()
    assert 'href="/indicators/recordsets/"' in html


@pytest.mark.parametrize("who, code, status", API_MATRIX)
def test_the_api_values_follow_the_same_scope_as_the_pages(
    personas, values, client_for, who, code, status
):
    node = getattr(personas.tree, code)
    client = client_for(getattr(personas, who))
    r = client.get(f"/api/v1/indicators/values/{node.code}?period=2025")
    assert r.status_code == status
    page = client.get(reverse("indicators:node", args=[node.code]) + "?period=2025")
    assert page.status_code == status
