"""`datavalues aggregate` on a hand-worked fixture; the arithmetic is in the comments.

The tree (monthly data set, reported by township_hc and village_clinic, due 5 days):

    C  county
    ├─ T1 township_hc
    │  ├─ V1 village_clinic
    │  └─ V2 village_clinic   opened 2025-03-15 (expected in March only)
    └─ T2 township_hc         closed 2025-01-31 (expected in January only)
    X  health_commission       another root, no reporting unit below it
"""

from __future__ import annotations

import pytest

from .helpers import aggregate, csv_file, write

DATASET = """
code: SERVICE
version: "1"
name: 服务量
period_type: monthly
institution_kinds: [township_hc, village_clinic]
due_days: 5
sections:
  - code: S1
    name: 服务
    elements:
      - code: VISITS
        name: 门诊人次
        value_type: non_negative_integer
        aggregation: sum
        options: [{code: male, name: 男}, {code: female, name: 女}]
      - {code: STAFF, name: 在岗人数, value_type: non_negative_integer, aggregation: last}
      - {code: BEDS_RATE, name: 病床使用率, value_type: percentage, aggregation: average}
      - {code: WAIT, name: 平均候诊小时, value_type: number, aggregation: average}
      - {code: NOTE, name: 备注, value_type: text, aggregation: none}
      - {code: HALL, name: 有中医阁, value_type: yes_no, aggregation: sum}
indicators:
  - {code: PER_STAFF, name: 人均门诊, numerator: "#{VISITS}", denominator: "#{STAFF}", factor: 1}
  - {code: FEMALE_SHARE, name: 女性占比, numerator: "#{VISITS.female}", denominator: "#{VISITS}", factor: 100}
  - {code: OPS, name: 运算, numerator: "(#{VISITS} - #{STAFF}) * 2", denominator: "#{STAFF} + 1"}
  - {code: ZERO_DEN, name: 除零, numerator: "#{VISITS}", denominator: "#{STAFF} - #{STAFF}"}
  - {code: COUNT, name: 计数, numerator: "#{HALL}", denominator: "1", factor: 1}
"""

ORGS = [
    ["C", "县", "", "county", "", ""],
    ["T1", "乡1", "C", "township_hc", "", ""],
    ["V1", "村1", "T1", "village_clinic", "", ""],
    ["V2", "村2", "T1", "village_clinic", "2025-03-15", ""],
    ["T2", "乡2", "C", "township_hc", "", "2025-01-31"],
    ["X", "卫健委", "", "health_commission", "", ""],
]

VALUES = [
    ["V1", "2025-01", "VISITS", "male", "10"],
    ["V1", "2025-01", "VISITS", "female", "20"],
    ["V1", "2025-02", "VISITS", "female", "5"],
    ["V1", "2025-04", "VISITS", "male", "999"],  # April: outside 2025Q1
    ["V1", "2025-01", "STAFF", "", "3"],
    ["V1", "2025-03", "STAFF", "", "4"],
    ["V1", "2025-04", "STAFF", "", "6"],
    ["V1", "2025-01", "BEDS_RATE", "", "50"],
    ["V1", "2025-02", "BEDS_RATE", "", "70"],
    ["V1", "2025-01", "WAIT", "", "1.5"],
    ["V1", "2025-03", "WAIT", "", "2.5"],
    ["V1", "2025-01", "NOTE", "", "好"],
    ["V1", "2025-01", "HALL", "", "是"],
    ["V1", "2025-02", "HALL", "", "否"],
    ["V2", "2025-03", "VISITS", "male", "7"],
    ["V2", "2025-03", "STAFF", "", "2"],
    ["V2", "2025-03", "BEDS_RATE", "", "90"],
    ["V2", "2025-03", "HALL", "", "yes"],
    ["T1", "2025-02", "VISITS", "male", "1"],
    ["T1", "2025-02", "VISITS", "female", "1"],
    ["T1", "2025-02", "STAFF", "", "10"],
    ["T1", "2025-02", "HALL", "", "0"],
    ["T1", "2025-03", "STAFF", "", ""],  # empty cell: not reported
    ["T2", "2025-01", "VISITS", "male", "100"],
]


@pytest.fixture
def files(tmp_path):
    ds = write(tmp_path / "service.yaml", DATASET)
    orgs = csv_file(
        tmp_path / "orgs.csv", "org_code,name,parent_code,kind,open_date,close_date", ORGS
    )
    values = csv_file(tmp_path / "values.csv", "org_code,period,element,option,value", VALUES)
    return tmp_path, ds, orgs, values


def test_a_quarter_sums_averages_and_takes_the_last_month_of_each_unit(files):
    got = aggregate(*files, "2025Q1")
    # V1: VISITS Jan 10+20=30, Feb 5 -> 35; male 10; female 20+5=25 (April's 999 is outside)
    assert (got["V1", "VISITS"], got["V1", "VISITS.male"], got["V1", "VISITS.female"]) == (
        "35",
        "10",
        "25",
    )
    # STAFF (last): Jan 3, Mar 4 -> 4; BEDS_RATE (average): (50+70)/2 = 60; WAIT (1.5+2.5)/2 = 2
    assert (got["V1", "STAFF"], got["V1", "BEDS_RATE"], got["V1", "WAIT"]) == ("4", "60", "2")
    # HALL (yes_no, sum): 是 1 + 否 0 = 1
    assert got["V1", "HALL"] == "1"
    # T1's own STAFF: only February was reported (March's cell is empty) -> 10
    # T1's own values are a unit's too: STAFF was reported in February only (March's cell
    # is empty) so T1 alone would be 10; see the subtree test for T1 as a node.
    assert got["T2", "STAFF"] == ""


def test_a_node_adds_its_subtree_its_own_values_included(files):
    got = aggregate(*files, "2025Q1")
    # T1 = T1 itself + V1 + V2: VISITS 2 + 35 + 7 = 44; male 1+10+7 = 18; female 1+25 = 26
    assert (got["T1", "VISITS"], got["T1", "VISITS.male"], got["T1", "VISITS.female"]) == (
        "44",
        "18",
        "26",
    )
    # STAFF: each unit's last, then added: 10 + 4 + 2 = 16
    assert got["T1", "STAFF"] == "16"
    # C adds T2 (closed 2025-01-31, but its January value was reported): 44 + 100 = 144
    assert (got["C", "VISITS"], got["C", "VISITS.male"], got["C", "STAFF"]) == ("144", "118", "16")
    # average up the tree is a sum of the units' averages: only V1 reported WAIT -> 2
    assert got["C", "WAIT"] == "2"
    # yes_no: V1 1 + V2 1 + T1 0 = 2 units with a 中医阁
    assert got["C", "HALL"] == "2"


def test_percentages_up_the_tree_are_the_unweighted_mean_of_the_units_that_reported(files):
    got = aggregate(*files, "2025Q1")
    # V1 60 (its own average), V2 90; T1 and T2 did not report: (60 + 90) / 2 = 75
    assert got["T1", "BEDS_RATE"] == got["C", "BEDS_RATE"] == "75"
    assert got["V2", "BEDS_RATE"] == "90"
    assert got["T2", "BEDS_RATE"] == ""


def test_indicators_come_from_the_aggregated_numerator_and_denominator(files):
    got = aggregate(*files, "2025Q1")
    # PER_STAFF at C: 144 / 16 = 9 (not the mean of the units' ratios)
    assert got["C", "PER_STAFF"] == "9"
    # FEMALE_SHARE at C: 26 / 144 × 100 = 18.0555… -> 10 places, half up
    assert got["C", "FEMALE_SHARE"] == "18.0555555556"
    # OPS at C: (144 - 16) × 2 / (16 + 1) = 256 / 17 = 15.05882352941…
    assert got["C", "OPS"] == "15.0588235294"
    # T1: (44 - 16) × 2 / 17 = 56 / 17 = 3.29411764705…
    assert got["T1", "OPS"] == "3.2941176471"
    # a zero denominator leaves the indicator empty
    assert got["C", "ZERO_DEN"] == ""
    # V2 reported no female visits: the numerator is all missing -> empty, not 0
    assert got["V2", "FEMALE_SHARE"] == ""
    # a plain count: denominator 1
    assert got["C", "COUNT"] == "2"


def test_every_node_gets_every_code_and_empty_values_where_nothing_was_reported(files):
    got = aggregate(*files, "2025Q1")
    codes = ["VISITS", "VISITS.male", "VISITS.female", "STAFF", "BEDS_RATE", "WAIT", "NOTE"]
    codes += ["HALL", "PER_STAFF", "FEMALE_SHARE", "OPS", "ZERO_DEN", "COUNT"]
    assert set(got) == {(o[0], c) for o in ORGS for c in codes}
    assert all(got["X", c] == "" for c in codes)


def test_the_rows_are_sorted_by_node_then_in_the_definitions_order(files):
    tmp, ds, orgs, values = files
    aggregate(tmp, ds, orgs, values, "2025Q1")
    lines = (tmp / "out.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "org_code,period,code,value"
    assert lines[1:4] == [
        "C,2025Q1,VISITS,144",
        "C,2025Q1,VISITS.male,118",
        "C,2025Q1,VISITS.female,26",
    ]
    assert [line.split(",")[0] for line in lines[1:]] == sorted(
        line.split(",")[0] for line in lines[1:]
    )


def test_a_year_takes_the_latest_month_reported_and_a_month_is_its_own_values(files):
    year = aggregate(*files, "2025")
    # STAFF (last) for V1 over 2025: April's 6 is the latest; VISITS includes April's 999
    assert (year["V1", "STAFF"], year["V1", "VISITS"]) == ("6", str(35 + 999))
    month = aggregate(*files, "2025-02")
    # February only: V1 female 5, T1 1 + 1
    assert (month["V1", "VISITS"], month["T1", "VISITS"], month["T1", "BEDS_RATE"]) == (
        "5",
        "7",
        "70",
    )


def test_none_is_never_aggregated_over_time_or_up_the_tree(files):
    month = aggregate(*files, "2025-01")
    # the unit's own value for exactly its period
    assert month["V1", "NOTE"] == "好"
    # never up the tree, never over months
    assert month["T1", "NOTE"] == month["C", "NOTE"] == ""
    assert aggregate(*files, "2025Q1")["V1", "NOTE"] == ""


COMPLETIONS = [
    ["V1", "2025-01", "2025-02-05"],  # due 31 Jan + 5 = 5 Feb: on time
    ["V1", "2025-02", "2025-03-06"],  # due 28 Feb + 5 = 5 Mar: late
    ["V2", "2025-02", "2025-03-01"],  # V2 opened 15 Mar: not expected in February, not counted
    ["V2", "2025-03", "2025-04-05"],  # due 5 Apr: on time (the due day itself)
    ["T2", "2025-01", "2025-02-10"],  # late
    ["T1", "2025-03", "2025-04-01"],  # on time
]


def test_completeness_and_timeliness_count_expected_received_and_on_time(files):
    tmp = files[0]
    c = csv_file(tmp / "c.csv", "org_code,period,completed_at", COMPLETIONS)
    got = aggregate(*files, "2025Q1", completions=c)
    # expected: T1 3 months + V1 3 + V2 1 (March) + T2 1 (January) = 8
    # received: V1 Jan, V1 Feb, V2 Mar, T2 Jan, T1 Mar = 5; on time: V1 Jan, V2 Mar, T1 Mar = 3
    assert (got["C", "_completeness"], got["C", "_timeliness"]) == ("0.625", "0.375")
    # T1's subtree: expected 3 + 3 + 1 = 7, received 4, on time 3
    assert (got["T1", "_completeness"], got["T1", "_timeliness"]) == (
        "0.5714285714",
        "0.4285714286",
    )
    assert (got["V2", "_completeness"], got["V2", "_timeliness"]) == ("1", "1")
    assert (got["T2", "_completeness"], got["T2", "_timeliness"]) == ("1", "0")
    # nothing expected: undefined, empty
    assert (got["X", "_completeness"], got["X", "_timeliness"]) == ("", "")


def test_without_completions_there_are_no_completeness_rows(files):
    got = aggregate(*files, "2025Q1")
    assert not any(code.startswith("_") for _org, code in got)
