"""The one request layer: measures × units × periods → figures, changes, totals, scope."""

from __future__ import annotations

import pytest
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core.errors import UserError
from jiceng.insights.request import parse_query, run, validate


def _q(**kw):
    return parse_query({k: v for k, v in kw.items()})


def _cell(result, code, measure, period):
    line = next(ln for ln in [*result.lines, result.total] if ln.node.code == code)
    return result.cell(line, measure, period).value


def test_each_unit_below_gets_its_stored_rate_and_the_total_is_the_whole_region(figures):
    t = figures.tree
    req = validate({"measures": ["ind:htn_std_mgmt"], "root": t.A.code, "year": 2025})
    r = run(figures.province_admin, req)
    assert [ln.node.code for ln in r.lines] == [t.TA1.code, t.TA2.code, t.CA1.code]
    assert _cell(r, t.TA1.code, "ind:htn_std_mgmt", "2025") == pytest.approx(0.6)  # 60/100
    assert _cell(r, t.TA2.code, "ind:htn_std_mgmt", "2025") == pytest.approx(0.9)  # 45/50
    assert _cell(r, t.CA1.code, "ind:htn_std_mgmt", "2025") is None
    assert _cell(r, t.A.code, "ind:htn_std_mgmt", "2025") == pytest.approx(0.7)  # 105/150


def test_changes_are_percentage_points_against_the_previous_period_and_last_year(figures):
    t = figures.tree
    r = run(figures.province_admin, validate(
        {"measures": ["ind:htn_std_mgmt"], "root": t.A.code, "year": 2025}))
    m = r.measures[0]
    ta1 = next(ln for ln in r.lines if ln.node.code == t.TA1.code)
    # years 2021..2025: 2025 is index 4; 0.60 - 0.50 = +10 pp, both against 2024
    assert r.change(ta1, m, 4, "previous") == pytest.approx(10.0)
    assert r.change(ta1, m, 4, "year") == pytest.approx(10.0)
    # the whole region: 105/150 - 90/150 = 0.1 → +10 pp
    assert r.change(r.total, m, 4, "year") == pytest.approx(10.0)
    q = run(figures.province_admin, validate({"measures": ["ind:htn_std_mgmt"], "root": t.A.code,
                                              "year": 2025, "period_type": "quarter"}))
    ta1 = next(ln for ln in q.lines if ln.node.code == t.TA1.code)
    # 2025Q2 (index 1): 0.20 against 2024Q2 0.25 = -5 pp; no 2025Q1 value: no change
    assert q.change(ta1, q.measures[0], 1, "year") == pytest.approx(-5.0)
    assert q.change(ta1, q.measures[0], 1, "previous") is None


def test_the_target_of_the_region_is_carried_for_drawing(figures):
    t = figures.tree
    r = run(figures.province_admin, validate(
        {"measures": ["ind:htn_std_mgmt"], "root": t.A.code, "year": 2025}))
    assert r.measures[0].targets[t.A.pk] == pytest.approx(0.65)
    assert r.measures[0].targets[t.TA1.pk] == pytest.approx(0.65)  # inherited from A


def test_sorting_by_value_puts_units_without_a_value_last(figures):
    t = figures.tree
    base = {"measures": ["ind:htn_std_mgmt"], "root": t.A.code, "year": 2025}
    low = run(figures.province_admin, validate({**base, "sort": "value"}))
    high = run(figures.province_admin, validate({**base, "sort": "-value"}))
    assert [ln.node.code for ln in low.lines] == [t.TA1.code, t.TA2.code, t.CA1.code]
    assert [ln.node.code for ln in high.lines] == [t.TA2.code, t.TA1.code, t.CA1.code]


def test_ledger_measures_count_entries_at_and_within_each_quarter(figures):
    t = figures.tree
    req = validate({"measures": ["ledger:open", "ledger:overdue", "ledger:opened",
                                 "ledger:closed"], "root": t.C.code, "period_type": "quarter",
                    "year": 2025})
    r = run(figures.province_admin, req)

    def at(code, m, q):
        return _cell(r, code, f"ledger:{m}", f"2025Q{q}")

    # Q1 ends 03-31: e1 open (deadline 03-31 is not past), e2 open and overdue (02-01)
    assert (at(t.A.code, "open", 1), at(t.A.code, "overdue", 1)) == (2, 1)
    assert at(t.A.code, "opened", 1) == 2
    # Q2 ends 06-30: e1 open and overdue; e2 closed 04-15 within Q2
    assert (at(t.A.code, "open", 2), at(t.A.code, "overdue", 2)) == (1, 1)
    assert at(t.A.code, "closed", 2) == 1
    # county B: e3 found 05-01, deadline 12-31
    assert (at(t.B.code, "open", 1), at(t.B.code, "open", 2), at(t.B.code, "overdue", 2)) == (
        0, 1, 0)
    assert at(t.C.code, "open", 2) == 2  # the whole city


def test_units_out_of_the_users_sight_are_not_found_never_figures(figures):
    t = figures.tree
    user = figures.county_reviewer_b  # county B
    with pytest.raises(Http404):
        run(user, validate({"measures": ["ind:htn_std_mgmt"], "root": t.A.code}))
    with pytest.raises(Http404):
        run(user, validate({"measures": ["ledger:open"], "level": "units",
                            "units": [t.TB1.code, t.TA1.code]}))
    with pytest.raises(Http404):
        run(user, validate({"measures": ["ledger:open"], "root": "999999999999"}))


@pytest.mark.parametrize(
    "params, words",
    [
        ({"m": ["nonsense"]}, "参数 m"),
        ({"m": ["ledger:open"], "year": "二〇二五"}, "参数 year"),
        ({"m": ["ledger:open"], "pt": "week"}, "参数 pt"),
        ({"m": ["ledger:open"], "level": "street"}, "参数 level"),
    ],
)
def test_a_malformed_request_is_refused_in_chinese_naming_the_parameter(db, params, words):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(UserError) as e:
        parse_query(params)
    assert words in str(e.value)


def test_an_unknown_indicator_is_named_in_the_message(figures):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(UserError) as e:
        run(figures.province_admin, validate({"measures": ["ind:no_such"]}))
    assert "no_such" in str(e.value) and "参数 m" in str(e.value)


def test_the_query_string_opens_the_same_view(db):
    req = validate({"measures": ["ind:htn_std_mgmt", "ledger:open"], "root": "330101000000",
                    "level": "township", "period_type": "ytd", "year": 2025, "chart": "line",
                    "sort": "-value"})
    from django.http import QueryDict

    assert parse_query(QueryDict(req.query())) == req


def _reference(entries, start, end):
    """The ledger measures of a list of (opened, deadline, closed) by the plain rule."""
    out = {"open": 0, "overdue": 0, "opened": 0, "closed": 0}
    for opened, deadline, closed in entries:
        is_open = opened <= end and (closed is None or closed > end)
        out["open"] += is_open
        out["overdue"] += is_open and deadline < end
        out["opened"] += start <= opened <= end
        out["closed"] += closed is not None and start <= closed <= end
    return out


_day = st.integers(min_value=0, max_value=729)  # 2024-01-01 + n days


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.booleans(), _day, st.integers(0, 200),
                          st.one_of(st.none(), st.integers(0, 300))), max_size=6))
def test_ledger_measures_match_the_plain_rule_for_any_entries(figures, drawn):
    import datetime as dt

    from jiceng.rectification.models import LedgerEntry

    from .conftest import entry

    t = figures.tree
    LedgerEntry.objects.all().delete()
    base = dt.date(2024, 1, 1)
    by_county = {t.A.code: [], t.B.code: []}
    for in_a, opened, late, closed in drawn:
        o = base + dt.timedelta(days=opened)
        d = o + dt.timedelta(days=late)
        c = None if closed is None else o + dt.timedelta(days=closed)
        c = c if c is None or c <= dt.date(2025, 12, 31) else None
        entry(t.TA1 if in_a else t.TB1, o, d, closed=c)
        by_county[t.A.code if in_a else t.B.code].append((o, d, c))
    r = run(figures.province_admin, validate(
        {"measures": [f"ledger:{k}" for k in ("open", "overdue", "opened", "closed")],
         "root": t.C.code, "period_type": "quarter", "year": 2025}))
    for code, entries in by_county.items():
        for s in r.periods:
            want = _reference(entries, s.start, s.end)
            got = {k: _cell(r, code, f"ledger:{k}", s.label) for k in want}
            assert got == want, (code, s.label)


def test_data_set_elements_and_reporting_rates_come_from_the_aggregation(figures):
    from aggregates.helpers import load_sample

    from jiceng.aggregates import actions

    t = figures.tree
    sat = load_sample("satisfaction", t.P)
    # TA1 surveys 40 then 30 patients, TA2 50 in Q1 only; TA1 and TA2 complete Q1
    actions.do_save_values(None, sat, t.TA1, "2025Q1", {"OUT_SURVEYED": "40", "OUT_SATISFIED": "36"})
    actions.do_save_values(None, sat, t.TA1, "2025Q2", {"OUT_SURVEYED": "30", "OUT_SATISFIED": "30"})
    actions.do_save_values(None, sat, t.TA2, "2025Q1", {"OUT_SURVEYED": "50", "OUT_SATISFIED": "45"})
    actions.do_complete(None, sat, t.TA1, "2025Q1")
    actions.do_complete(None, sat, t.TA2, "2025Q1")
    r = run(figures.province_admin, validate(
        {"measures": ["ds:SATISFACTION:OUT_SURVEYED", "ds:SATISFACTION:_completeness"],
         "root": t.A.code, "period_type": "quarter", "year": 2025}))
    assert _cell(r, t.TA1.code, "ds:SATISFACTION:OUT_SURVEYED", "2025Q1") == 40
    assert _cell(r, t.A.code, "ds:SATISFACTION:OUT_SURVEYED", "2025Q1") == 90  # 40 + 50
    assert _cell(r, t.A.code, "ds:SATISFACTION:OUT_SURVEYED", "2025Q2") == 30
    year = run(figures.province_admin, validate(
        {"measures": ["ds:SATISFACTION:OUT_SURVEYED"], "root": t.A.code, "year": 2025}))
    assert _cell(year, t.A.code, "ds:SATISFACTION:OUT_SURVEYED", "2025") == 120  # 40+30+50
    rate = _cell(r, t.TA1.code, "ds:SATISFACTION:_completeness", "2025Q1")
    assert rate == 1  # TA1 expected once in Q1, completed once


def test_a_region_above_the_record_sets_owner_gets_the_sums_of_the_regions_below(figures):
    t = figures.tree
    r = run(figures.province_admin, validate(
        {"measures": ["ind:htn_std_mgmt"], "root": t.C.code, "year": 2025}))
    # only A's record set has values: the city is A's sums, 105/150 = 0.7; B has none
    assert _cell(r, t.C.code, "ind:htn_std_mgmt", "2025") == pytest.approx(0.7)
    assert _cell(r, t.A.code, "ind:htn_std_mgmt", "2025") == pytest.approx(0.7)
    assert _cell(r, t.B.code, "ind:htn_std_mgmt", "2025") is None
    assert r.change(r.total, r.measures[0], 4, "year") == pytest.approx(10.0)  # 90/150 → 105/150


def test_a_slice_of_the_flat_rows_is_the_same_slice_of_all_rows(figures):
    t = figures.tree
    r = run(figures.province_admin, validate(
        {"measures": ["ind:htn_std_mgmt", "ledger:open"], "root": t.A.code,
         "period_type": "quarter", "year": 2025}))
    rows = r.rows()
    everything = list(rows)
    # 3 units and the total × 2 measures × 4 quarters = 32 rows, 8 a unit
    assert len(rows) == len(everything) == 32
    for a, b in [(0, 5), (3, 13), (7, 9), (8, 16), (30, 40), (31, 32), (5, 5), (0, 100)]:
        assert rows[a:b] == everything[a:b], (a, b)
    assert rows[2:20:3] == everything[2:20:3] and rows[::-5] == everything[::-5]
    assert rows[-1] == everything[-1] and rows[-1]["total"] is True
    assert rows[10] == everything[10]
    ta1 = next(ln for ln in r.lines if ln.node.code == t.TA1.code)
    m = r.measures[0]
    for i, s in enumerate(r.periods):
        row = next(x for x in everything
                   if x["org_code"] == t.TA1.code and x["measure"] == m.code
                   and x["period"] == s.label)
        for field, against in (("change_previous", "previous"), ("change_last_year", "year")):
            want = r.change(ta1, m, i, against)
            assert row[field] == (None if want is None else round(want, 4))
