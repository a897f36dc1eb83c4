"""The demo stage "surveys": six quarters of responses for every institution of the county."""

from __future__ import annotations

import random

import pytest
from django.urls import reverse

from jiceng.datasets import parse_period
from jiceng.surveys import satisfaction_rate
from jiceng.surveys.models import Questionnaire, Response
from jiceng.surveys.queries import rate_rows
from jiceng.surveys.rates import quarter_of

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def region():
    from jiceng.demo import region, surveys

    r = region.build(seed=7, scale="county", townships=2)
    surveys.populate(r, random.Random("7:surveys"))
    return r


def test_every_institution_has_six_quarters_and_the_county_shows_changes(region):
    from jiceng.orgs.models import Node

    assert Questionnaire.objects.count() == 4
    institutions = Node.objects.subtree(region.county).grassroots()
    current = parse_period(quarter_of(region.today))
    quarters = {current.previous(n).label for n in range(6)}
    for inst in institutions:
        seen = set(
            Response.objects.filter(institution=inst, questionnaire__kind="outpatient")
            .values_list("quarter", flat=True)
            .distinct()
        )
        assert seen == quarters, inst.code
    last = current.previous()
    (county,) = rate_rows(region.county, "outpatient", last, [])
    assert county.rate is not None and county.change_previous is not None
    assert county.change_last_year is not None
    assert satisfaction_rate(region.county, "签约居民", last.label)[1] > 0


def test_the_demo_administrator_reads_the_county_rates_page(region, client):
    client.force_login(region.users["province_admin"])
    page = client.get(reverse("surveys:rates", args=[region.county.code]))
    assert page.status_code == 200 and "满意度" in page.content.decode()
