"""The demo stage "aggregates": every persona sees real aggregate data."""

from __future__ import annotations

import random

import pytest
from django.urls import reverse

from jiceng.aggregates import queries
from jiceng.aggregates.models import DataSetVersion, DataValue, Report

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def region():
    from jiceng.demo import aggregates, region

    r = region.build(seed=7, scale="county", townships=2)
    aggregates.populate(r, random.Random("7:aggregates"))
    return r


def test_the_demo_has_two_years_of_values_with_late_missing_and_violating_forms(region):
    assert DataSetVersion.objects.count() == 5
    assert DataValue.objects.count() > 1000
    reports = Report.objects.all()
    assert reports.filter(completion_reason__gt="").exists()
    assert reports.filter(locked=True).exists()
    service = DataSetVersion.objects.get(code="SERVICE_COOP")
    assert len(set(Report.objects.filter(dataset=service).values_list("period", flat=True))) >= 20
    labels = {p.label for p in queries.periods_ended("monthly", region.today, 24)}
    rep = queries.reporting(
        service, region.county, max(queries.periods_ended("yearly", region.today, 12))
    )
    assert rep.missing and rep.late and rep.total["received"] < rep.total["expected"]
    assert labels


def test_the_clerk_has_forms_to_fill_and_the_county_sees_the_reporting_rate(region, client):
    clerk = region.users["clerk"]
    assert queries.forms_to_fill(clerk)
    client.force_login(clerk)
    assert "待填报" in client.get("/").content.decode()
    client.force_login(region.users["county_reviewer"])
    page = client.get(reverse("aggregates:reporting", args=[region.county.code]))
    assert page.status_code == 200 and page.context["rep"].total["expected"] > 0
