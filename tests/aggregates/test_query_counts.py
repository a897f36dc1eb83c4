"""The aggregate pages cost the same number of queries on one county as on two, and a form
the same with few values as with many (no query per row)."""

from datetime import UTC, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiceng.aggregates import actions

from .helpers import load_sample


def queries_of(client, url: str) -> int:
    client.get(url)  # the first request of a session also writes the session
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_the_reporting_rate_and_the_rule_analysis_cost_the_same_on_one_county_and_on_two(
    personas, client_for
):
    t = personas.tree
    sat = load_sample("satisfaction", t.P)
    for unit in (t.TA1, t.TA2, t.TB1):
        actions.do_save_values(None, sat, unit, "2025Q1", {"OUT_SURVEYED": "3"})
        actions.do_complete(None, sat, unit, "2025Q1", at=datetime(2025, 4, 2, tzinfo=UTC))
    client = client_for(personas.province_admin)
    query = f"?dataset={sat.pk}&period=2025"
    for page in ("aggregates:reporting", "aggregates:validation", "aggregates:values"):
        one = queries_of(client, reverse(page, args=[t.A.code]) + query)
        two = queries_of(client, reverse(page, args=[t.C.code]) + query)
        assert one == two, page


def test_a_form_costs_the_same_with_few_and_many_values(personas, client_for):
    t = personas.tree
    edu = load_sample("health_education", t.P)
    actions.do_save_values(None, edu, t.TA1, "2025Q1", {"LECTURES": "2"})
    actions.do_save_values(None, edu, t.TA2, "2025Q1", {"LECTURES": "2", "BOARD_UPDATES": "3"})
    for q in ("2024Q1", "2024Q2", "2024Q3", "2024Q4"):
        actions.do_save_values(None, edu, t.TA2, q, {"LECTURES": "1", "MATERIALS.leaflet": "9"})
    client = client_for(personas.county_admin)
    few = queries_of(client, reverse("aggregates:form", args=[edu.pk, t.TA1.code, "2025Q1"]))
    many = queries_of(client, reverse("aggregates:form", args=[edu.pk, t.TA2.code, "2025Q1"]))
    assert few == many
