"""The values page: changes against the previous period and last year, year to date,
targets with ✓/✗, and the same in the Excel export."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.aggregates import actions
from jiceng.aggregates.queries import span_of
from jiceng.datasets import parse_dataset, parse_period
from jiceng.datasets.periods import year_to_date

from .helpers import load_sample


@pytest.fixture
def sat(personas):
    version = load_sample("satisfaction", personas.tree.P)
    ta1 = personas.tree.TA1
    # TA1's outpatients, surveyed / satisfied (rate):
    #   2024Q1 50/40 (80)   2024Q4 40/30 (75)   2025Q1 40/36 (90)   2025Q2 50/45 (90)
    for period, surveyed, satisfied in (
        ("2024Q1", "50", "40"),
        ("2024Q4", "40", "30"),
        ("2025Q1", "40", "36"),
        ("2025Q2", "50", "45"),
    ):
        actions.do_save_values(
            None, version, ta1, period, {"OUT_SURVEYED": surveyed, "OUT_SATISFIED": satisfied}
        )
    return version


def _rows(client, node, version, query):
    url = reverse("aggregates:values", args=[node.code]) + f"?dataset={version.pk}&{query}"
    response = client.get(url)
    assert response.status_code == 200
    return {r["code"]: r for r in response.context["table"]["rows"]}, response


def test_a_quarter_is_compared_with_the_quarter_before_and_the_same_quarter_last_year(
    personas, client_for, sat
):
    client = client_for(personas.county_reviewer)
    rows, response = _rows(client, personas.tree.A, sat, "period=2025Q1")
    surveyed, rate = rows["OUT_SURVEYED"], rows["OUT_SATISFACTION_RATE"]
    assert (surveyed["values"][0], surveyed["previous"], surveyed["last_year"]) == (
        "40",
        "40",
        "50",
    )
    # a count changes in per cent: (40 − 40) / 40 = 0; (40 − 50) / 50 × 100 = −20
    assert surveyed["change_previous"] == Decimal("0.0")
    assert surveyed["change_last_year"] == Decimal("-20.0")
    # a rate changes in percentage points: 90 − 75 = +15, 90 − 80 = +10
    assert (rate["values"][0], rate["previous"], rate["last_year"]) == ("90", "75", "80")
    assert rate["change_previous"] == Decimal("15.0")
    assert rate["change_last_year"] == Decimal("10.0")
    # target ≥ 90 (satisfaction.yaml): 90 meets it
    assert rate["target"].text == "≥ 90" and rate["met"][0] is True
    assert surveyed["target"] is None and surveyed["met"][0] is None
    html = response.content.decode()
    assert "+15.0 个百分点" in html and "-20.0%" in html and "✓" in html


def test_a_rate_below_its_target_is_marked_as_missing_it(personas, client_for, sat):
    client = client_for(personas.county_reviewer)
    rows, response = _rows(client, personas.tree.A, sat, "period=2024Q4")
    # 30 / 40 × 100 = 75 < 90
    assert rows["OUT_SATISFACTION_RATE"]["values"][0] == "75"
    assert rows["OUT_SATISFACTION_RATE"]["met"][0] is False
    assert "✗" in response.content.decode()


def test_the_year_to_date_adds_up_january_to_the_period_and_compares_like_with_like(
    personas, client_for, sat
):
    client = client_for(personas.county_reviewer)
    rows, response = _rows(client, personas.tree.A, sat, "period=2025Q2&span=ytd")
    assert response.context["table"]["span"].shown.label == "2025-01~2025-06"
    surveyed, rate = rows["OUT_SURVEYED"], rows["OUT_SATISFACTION_RATE"]
    # 2025 to June: 40 + 50 = 90 surveyed, 36 + 45 = 81 satisfied, 90 %
    # the year to date a quarter earlier (2025Q1): 40; last year to June: 50 (Q2 not reported)
    assert (surveyed["values"][0], surveyed["previous"], surveyed["last_year"]) == (
        "90",
        "40",
        "50",
    )
    assert surveyed["change_previous"] == Decimal("125.0")  # (90 − 40) / 40
    assert surveyed["change_last_year"] == Decimal("80.0")  # (90 − 50) / 50
    # rate: 90 against 90 (2025Q1) and 80 (2024 to June: 40 / 50)
    assert rate["change_previous"] == Decimal("0.0")
    assert rate["change_last_year"] == Decimal("10.0")


def test_the_excel_export_has_the_changes_and_targets(personas, client_for, sat):
    client = client_for(personas.county_reviewer)
    url = reverse("aggregates:values_export", args=[personas.tree.A.code])
    response = client.get(url + f"?dataset={sat.pk}&period=2025Q1")
    book = load_workbook(io.BytesIO(response.content))
    ws = book.worksheets[1]
    rows = {r[0]: r[1:] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert rows["OUT_SURVEYED"][1:7] == (40, 40, 0, 50, -20, "%")
    assert rows["OUT_SATISFACTION_RATE"][1:] == (90, 75, 15, 80, 10, "百分点", "≥ 90", "✓")


def test_the_year_to_date_runs_from_january_to_the_end_of_the_period():
    assert year_to_date(parse_period("2025-04")).label == "2025-01~2025-04"
    assert year_to_date(parse_period("2025Q3")).periods("quarterly") == [
        parse_period(q) for q in ("2025Q1", "2025Q2", "2025Q3")
    ]
    # January to date is January itself; its previous year to date is last year's whole year
    span = span_of(parse_period("2025-01"), ytd=True)
    assert (span.shown.label, span.previous.label, span.last_year.label) == (
        "2025-01",
        "2024",
        "2024-01",
    )
    assert span_of(parse_period("2025"), ytd=True).shown.label == "2025"


DEFINITION = """
code: T
version: "1"
name: 目标
period_type: yearly
institution_kinds: [township_hc]
sections: [{elements: [{code: A, name: 甲, value_type: number, aggregation: sum}]}]
indicators:
  - {code: LOW, name: 低, numerator: "#{A}", target: "<= 5"}
  - {code: HIGH, name: 高, numerator: "#{A}", target: 60}
  - {code: BAD, name: 坏, numerator: "#{A}", target: "about 5"}
"""


def test_an_indicator_target_is_at_least_a_number_or_at_most_and_a_bad_one_is_named():
    from jiceng.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        parse_dataset(DEFINITION, "t.yaml")
    (problem,) = caught.value.problems
    assert "indicators[BAD].target" in str(problem) and "about 5" in str(problem)
    ds = parse_dataset(DEFINITION.replace('target: "about 5"', 'target: "≥ 7.5"'), "t.yaml")
    low, high, bad = ds.indicators
    assert (low.target.operator, high.target.operator, bad.target.operator) == ("<=", ">=", ">=")
    assert low.target.met_by(5) is True and low.target.met_by(6) is False
    assert high.target.met_by(59) is False and bad.target.text == "≥ 7.5"
