"""Data-set indicators next to the resident-record indicators: on a unit's indicators page,
in the region table, and through ``indicator_value`` for other apps."""

from fractions import Fraction

import pytest
from django.urls import reverse

from jiceng.aggregates import actions
from jiceng.aggregates.indicators import indicator_value, range_of

from .helpers import load_sample


@pytest.fixture
def sat(personas):
    t = personas.tree
    version = load_sample("satisfaction", t.P)
    # outpatients surveyed / satisfied:
    #   TA1 2025Q1 40/36, 2025Q2 60/54     TA2 2025Q1 50/40     TA1 2024Q1 20/19
    for unit, period, surveyed, satisfied in (
        (t.TA1, "2025Q1", "40", "36"),
        (t.TA1, "2025Q2", "60", "54"),
        (t.TA2, "2025Q1", "50", "40"),
        (t.TA1, "2024Q1", "20", "19"),
    ):
        actions.do_save_values(
            None, version, unit, period, {"OUT_SURVEYED": surveyed, "OUT_SATISFIED": satisfied}
        )
    return version


def test_indicator_value_gives_a_data_set_indicator_at_any_node_year_to_date(personas, sat):
    t = personas.tree
    # county A, 2025Q2 = January to June: (36 + 54 + 40) / (40 + 60 + 50) × 100 = 130/150 × 100
    assert indicator_value(t.A, "SATISFACTION", "OUT_SATISFACTION_RATE", "2025Q2") == Fraction(
        260, 3
    )
    # TA1 alone in 2025Q1: 36 / 40 × 100 = 90; TA2 in the whole of 2025: 40 / 50 × 100 = 80
    assert indicator_value(t.TA1, "SATISFACTION", "OUT_SATISFACTION_RATE", "2025Q1") == 90
    assert indicator_value(t.TA2, "SATISFACTION", "OUT_SATISFACTION_RATE", "2025") == 80
    # nothing reported, no such indicator, a month that is not whole quarters, a bad period
    assert indicator_value(t.B, "SATISFACTION", "OUT_SATISFACTION_RATE", "2025") is None
    assert indicator_value(t.A, "SATISFACTION", "NO_SUCH", "2025") is None
    assert indicator_value(t.A, "SATISFACTION", "OUT_SATISFACTION_RATE", "2025-05") is None
    assert indicator_value(t.A, "SATISFACTION", "OUT_SATISFACTION_RATE", "soon") is None


def test_a_period_is_read_year_to_date_in_whole_periods_of_the_data_set():
    assert range_of("2025-06", "quarterly").label == "2025-01~2025-06"
    assert range_of("2025-05", "quarterly") is None
    assert range_of("2025Q3", "yearly") is None
    assert range_of("2025", "yearly").label == "2025"


def test_a_units_indicators_page_shows_the_data_set_indicators_with_last_year_and_target(
    personas, client_for, sat
):
    t = personas.tree
    client = client_for(personas.county_reviewer)
    response = client.get(reverse("indicators:node", args=[t.TA1.code]) + "?period=2025Q1")
    lines = {line.indicator.key: line for line in response.context["dataset_lines"]}
    line = lines["SATISFACTION.OUT_SATISFACTION_RATE"]
    # 90 now, 19 / 20 × 100 = 95 a year before: −5 percentage points; target ≥ 90 met
    assert (line.shown, line.previous_shown, line.change, line.met) == ("90", "95", "-5.0", True)
    assert lines["SATISFACTION.IN_SATISFACTION_RATE"].value is None
    html = response.content.decode()
    assert 'data-testid="dataset-indicators"' in html and "门诊患者满意率" in html


def test_the_region_table_lists_the_data_set_indicators_of_each_unit_and_the_region(
    personas, client_for, sat
):
    t = personas.tree
    client = client_for(personas.county_reviewer)
    url = reverse("indicators:table", args=[t.A.code]) + "?period=2025Q1&level=children"
    response = client.get(url)
    assert response.status_code == 200
    rows = {
        n.code: {line.indicator.key: line.shown for line in lines}
        for n, lines in response.context["dataset_rows"]
    }
    key = "SATISFACTION.OUT_SATISFACTION_RATE"
    # TA1 36/40 = 90, TA2 40/50 = 80, county (36 + 40) / (40 + 50) × 100 = 84.44…
    assert rows[t.TA1.code][key] == "90"
    assert rows[t.TA2.code][key] == "80"
    assert rows[t.A.code][key] == "84.44"
    assert "84.44 ✗" in response.content.decode()
