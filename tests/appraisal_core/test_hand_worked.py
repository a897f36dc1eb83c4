"""The stateless command on a scheme worked out by hand (arithmetic in the comments)."""

from __future__ import annotations

import json

import pytest

from .helpers import compute, csv_file, run, write

# Six items, 50 points in all.
SCHEME = """
code: HAND
version: "1"
title: 手算样例
year: 2025
unit_kinds: [township_hc]
peer_group: all
grades:
  - {label: 优秀, min: 90}
  - {label: 良好, min: 80}
  - {label: 合格, min: 60}
  - {label: 不合格}
fund: {pool: 1000, rule: score_population}
modules:
  - code: M
    name: 全部
    items:
      - {code: A, name: 越高越好, points: 10, source: "indicator:ehr_coverage",
         rule: {linear: {floor: 60, target: 90}}}
      - {code: B, name: 越低越好, points: 10, source: "data:OUT_SATISFACTION_RATE",
         rule: {linear: {floor: 20, target: 5}}}
      - {code: C, name: 比例可免考, points: 5, source: "indicator:hr_usage",
         rule: {ratio: {target: 80}}, missing: exempt}
      - {code: D, name: 评价结论, points: 10, source: verdict,
         rule: {map: {recommended: 10, basic: 6, none: 0}}}
      - {code: E, name: 逾期扣分, points: 5, source: ledger_overdue, rule: {deduct: {per: 2}}}
      - {code: F, name: 现场核查否决, points: 10, source: manual, rule: manual, veto: true}
"""

INPUTS = [
    # U1, between floor and target everywhere:
    #   A 75: 10 × (75 − 60) / (90 − 60) = 5
    #   B 10: 10 × (10 − 20) / (5 − 20) = 20/3 (lower is better)
    #   C 60: 5 × min(1, 60/80) = 3.75;  D basic: 6;  E 1: max(0, 5 − 2×1) = 3;  F 8: 8
    #   earned 5 + 20/3 + 3.75 + 6 + 3 + 8 = 389/12; score 100 × (389/12) / 50 = 389/6
    #   = 64.8333… → 合格
    ["U1", "A", "75"], ["U1", "B", "10"], ["U1", "C", "60"], ["U1", "D", "basic"],
    ["U1", "E", "1"], ["U1", "F", "8"],
    # U2, beyond the target everywhere; C has no value and is exempt, so it is left out:
    #   A 95 ≥ 90: 10;  B 3 ≤ 5: 10;  D recommended 10;  E 0: 5;  F 10
    #   45 of the 45 points kept → score 100 → 优秀
    ["U2", "A", "95"], ["U2", "B", "3"], ["U2", "C", ""], ["U2", "D", "recommended"],
    ["U2", "E", "0"], ["U2", "F", "10"],
    # U3, beyond the floor everywhere:
    #   A 50 ≤ 60: 0;  B 25 ≥ 20: 0;  C 100: 5 × min(1, 100/80) = 5;  D none: 0;
    #   E 5: max(0, 5 − 10) = 0;  F 0 (veto)  → 5 of 50 → score 10 → 不合格
    ["U3", "A", "50"], ["U3", "B", "25"], ["U3", "C", "100"], ["U3", "D", "none"],
    ["U3", "E", "5"], ["U3", "F", "0"],
    # U4: 10 + 10 + 5 + 10 + 5 + 0 = 40 of 50 → 80 would be 良好, but the veto item F earned
    #   0 → the lowest grade, 不合格
    ["U4", "A", "90"], ["U4", "B", "5"], ["U4", "C", "80"], ["U4", "D", "recommended"],
    ["U4", "E", "0"], ["U4", "F", "0"],
    # U5: C exempt and missing (no row at all) → left out; 10 + 10 + 10 + 5 + 1 = 36 of 45
    #   → 80, equal to U4 → both rank 2 and the next rank is 4 → 良好
    ["U5", "A", "90"], ["U5", "B", "5"], ["U5", "D", "recommended"], ["U5", "E", "0"],
    ["U5", "F", "1"],
    # U6: A has no row and is not exempt → 0 (无数据), not full marks:
    #   0 + 10 + 5 + 6 + max(0, 5 − 4) + 10 = 32 of 50 → 64 → 合格
    ["U6", "B", "5"], ["U6", "C", "80"], ["U6", "D", "basic"], ["U6", "E", "2"],
    ["U6", "F", "10"],
]  # fmt: skip

POPULATION = [["U1", 100], ["U2", 200], ["U3", 50], ["U4", 100], ["U5", 100]]  # U6: none
# Fund 1000 yuan = 100000 fen by population × score:
#   U1 100 × 389/6 = 19450/3;  U2 200 × 100 = 20000;  U3 50 × 10 = 500;
#   U4 100 × 80 = 8000;  U5 100 × 80 = 8000;  Σ = 128950/3
#   exact fen: U1 15083.366, U2 46529.663, U3 1163.242, U4 18611.865, U5 18611.865
#   floors add to 99997; the 3 fen left go to the largest remainders: U4 and U5 (.865, tie:
#   lower code first, both get one), then U2 (.663)
#   → U1 150.83, U2 465.30, U3 11.63, U4 186.12, U5 186.12; sum 1000.00


@pytest.fixture
def result(tmp_path):
    scheme = write(tmp_path / "hand.yaml", SCHEME)
    inputs = csv_file(tmp_path / "inputs.csv", "unit_code,item_code,value", INPUTS)
    pop = csv_file(tmp_path / "pop.csv", "unit_code,population", POPULATION)
    return compute(tmp_path, scheme, inputs, pop)


def test_linear_between_floor_and_target_earns_a_share_both_ways(result):
    units, _err = result
    assert units["U1"]["items"] == {
        "A": 5.0, "B": 6.6667, "C": 3.75, "D": 6.0, "E": 3.0, "F": 8.0
    }  # fmt: skip
    assert units["U1"]["score"] == 64.8333
    assert units["U1"]["grade"] == "合格"


def test_beyond_the_target_earns_full_points_and_beyond_the_floor_none(result):
    units, _err = result
    assert units["U2"]["items"] == {
        "A": 10.0, "B": 10.0, "C": None, "D": 10.0, "E": 5.0, "F": 10.0
    }  # fmt: skip
    assert units["U3"]["items"] == {"A": 0.0, "B": 0.0, "C": 5.0, "D": 0.0, "E": 0.0, "F": 0.0}


def test_an_exempt_missing_item_is_left_out_and_the_score_rescaled(result):
    units, _err = result
    assert units["U2"]["score"] == 100.0
    assert units["U5"]["items"]["C"] is None
    assert units["U5"]["score"] == 80.0  # 36 / 45, not 36 / 50


def test_a_missing_value_that_is_not_exempt_earns_zero(result):
    units, _err = result
    assert units["U6"]["items"]["A"] == 0.0
    assert units["U6"]["score"] == 64.0


def test_a_veto_item_at_zero_puts_the_unit_in_the_lowest_grade_whatever_its_score(result):
    units, _err = result
    assert units["U4"]["score"] == 80.0
    assert units["U4"]["grade"] == "不合格"
    assert units["U5"]["grade"] == "良好"  # the same score without the veto


def test_equal_scores_share_a_rank_and_the_next_rank_skips(result):
    units, _err = result
    ranks = {u: units[u]["rank"] for u in units}
    assert ranks == {"U2": 1, "U4": 2, "U5": 2, "U1": 4, "U6": 5, "U3": 6}


def test_the_pool_is_shared_by_largest_remainder_and_adds_up_exactly(result):
    units, err = result
    amounts = {u: units[u]["amount"] for u in units}
    assert amounts == {
        "U1": 150.83, "U2": 465.30, "U3": 11.63, "U4": 186.12, "U5": 186.12, "U6": None
    }  # fmt: skip
    assert sum(round(a * 100) for a in amounts.values() if a is not None) == 100000
    assert "单位 U6 没有常住人口数，不分配资金" in err


def test_units_come_out_in_unit_code_order_with_exactly_the_contract_keys(tmp_path, result):
    data = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert [u["unit"] for u in data["units"]] == ["U1", "U2", "U3", "U4", "U5", "U6"]
    assert list(data) == ["units"]
    assert all(
        set(u) == {"unit", "items", "score", "rank", "grade", "amount"} for u in data["units"]
    )


def test_grade_per_capita_pays_each_grade_its_rate_per_resident(tmp_path):
    text = SCHEME.replace(
        "fund: {pool: 1000, rule: score_population}",
        "fund: {rule: {grade_per_capita: {优秀: 3, 良好: 2.5, 合格: 1.25, 不合格: 0}}}",
    )
    scheme = write(tmp_path / "hand.yaml", text)
    inputs = csv_file(tmp_path / "inputs.csv", "unit_code,item_code,value", INPUTS)
    pop = csv_file(tmp_path / "pop.csv", "unit_code,population", POPULATION)
    units, _err = compute(tmp_path, scheme, inputs, pop)
    # U1 合格 100 × 1.25 = 125;  U2 优秀 200 × 3 = 600;  U3 不合格 50 × 0 = 0;
    # U4 vetoed → 不合格 0;  U5 良好 100 × 2.5 = 250;  U6 no population → none
    amounts = {u: units[u]["amount"] for u in units}
    assert amounts == {"U1": 125.0, "U2": 600.0, "U3": 0.0, "U4": 0.0, "U5": 250.0, "U6": None}


def test_a_unit_with_every_item_left_out_has_no_score_and_a_message(tmp_path):
    text = SCHEME.replace("fund: {pool: 1000, rule: score_population}\n", "")
    text = text.replace("source: manual, rule: manual, veto: true", "source: manual, rule: manual")
    for code in "ABDEF":
        text = text.replace(f"{{code: {code}, ", f"{{code: {code}, missing: exempt, ")
    scheme = write(tmp_path / "hand.yaml", text)
    inputs = csv_file(
        tmp_path / "inputs.csv", "unit_code,item_code,value", [["U1", "A", "90"], ["U9", "A", ""]]
    )
    units, err = compute(tmp_path, scheme, inputs)
    assert units["U9"] == {
        "unit": "U9",
        "items": dict.fromkeys("ABCDEF"),
        "score": None,
        "rank": None,
        "grade": None,
        "amount": None,
    }
    assert units["U1"]["score"] == 100.0 and units["U1"]["rank"] == 1
    assert "单位 U9 的考核项目全部不参与计分" in err


def test_a_score_just_below_a_band_that_displays_at_its_minimum_reaches_it(tmp_path):
    # one item of 300 points, ratio target 100: 300 × 89.995/100 = 269.985 of 300
    # → score 89.995, displayed half-up as 90.00 → reaches 优秀 (≥ 90)
    scheme = write(
        tmp_path / "s.yaml",
        SCHEME.split("modules:")[0].replace("fund: {pool: 1000, rule: score_population}\n", "")
        + """modules:
  - code: M
    name: 一项
    items:
      - {code: R, name: 比例, points: 300, source: "indicator:hr_usage", rule: {ratio: {target: 100}}}
""",
    )
    inputs = csv_file(tmp_path / "i.csv", "unit_code,item_code,value", [["X", "R", "89.995"]])
    units, _err = compute(tmp_path, scheme, inputs)
    assert units["X"]["score"] == 89.995
    assert units["X"]["grade"] == "优秀"


def test_check_describes_a_valid_scheme(tmp_path):
    code, out, err = run("appraisal", "check", write(tmp_path / "hand.yaml", SCHEME))
    assert code == 0, err
    assert out.startswith("考核方案有效：手算样例（编码 HAND，版本 1，2025 年度）")
    assert "考核项目 6 个，满分合计 50 分" in out
