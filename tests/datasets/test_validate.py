"""`datavalues validate` on a hand-worked fixture: each missing strategy, divide by zero,
options, a rule without operands, closed units; arithmetic in the comments.

Quarterly data set; U1, U2, U3 township_hc under county C; U4 closed 2024-12-31.
"""

from __future__ import annotations

import pytest

from .helpers import csv_file, validate, write

DATASET = """
code: CHECKS
version: "1"
name: 校验
period_type: quarterly
institution_kinds: [township_hc]
sections:
  - name: 全部
    elements:
      - {code: A, name: 甲, value_type: non_negative_integer, aggregation: sum}
      - {code: B, name: 乙, value_type: non_negative_integer, aggregation: sum, options: [x, y]}
      - {code: C, name: 丙, value_type: non_negative_integer, aggregation: sum}
validation_rules:
  - {code: R_ANY, name: 任一缺失跳过, left: "#{A}", operator: "<=", right: "#{C}", missing: skip_if_any_missing}
  - {code: R_ALL, name: 全部缺失跳过, left: "#{A}", operator: "<=", right: "#{C}", missing: skip_if_all_missing}
  - {code: R_NEVER, name: 从不跳过, left: "#{A}", operator: "<=", right: "#{C}", missing: never_skip}
  - {code: R_DIV, name: 比值, left: "#{A} / #{C}", operator: "<", right: "1", missing: never_skip}
  - {code: R_NE, name: 不相等, left: "#{A}", operator: "!=", right: "#{C}"}
  - {code: R_OPT, name: 分类, left: "#{B.x}", operator: "<=", right: "#{B.y}"}
  - {code: R_TOTAL, name: 合计, left: "#{B}", operator: "==", right: "#{B.x} + #{B.y}", missing: never_skip}
  - {code: R_CONST, name: 常数, left: "1", operator: ">", right: "2", missing: skip_if_all_missing}
"""

ORGS = [
    ["C", "县", "", "county", "", ""],
    ["U1", "甲院", "C", "township_hc", "", ""],
    ["U2", "乙院", "C", "township_hc", "", ""],
    ["U3", "丙院", "C", "township_hc", "", ""],
    ["U4", "丁院", "C", "township_hc", "", "2024-12-31"],
]

VALUES = [
    ["U1", "2025Q1", "A", "", "5"],
    ["U1", "2025Q1", "C", "", "3"],
    ["U2", "2025Q1", "A", "", "2"],
    ["U1", "2025Q2", "B", "x", "3"],
    ["U1", "2025Q2", "B", "y", "2"],
    ["U3", "2025Q2", "A", "", "4"],
    ["U3", "2025Q2", "C", "", "4"],
    ["U4", "2025Q1", "A", "", "9"],  # U4 closed before 2025: never checked
]


@pytest.fixture
def files(tmp_path):
    ds = write(tmp_path / "checks.yaml", DATASET)
    orgs = csv_file(
        tmp_path / "orgs.csv", "org_code,name,parent_code,kind,open_date,close_date", ORGS
    )
    values = csv_file(tmp_path / "values.csv", "org_code,period,element,option,value", VALUES)
    return tmp_path, ds, orgs, values


def test_the_missing_strategies_and_divide_by_zero_in_the_first_quarter(files):
    assert validate(*files, "2025Q1") == [
        # U1: A 5, C 3. 5 <= 3 fails for every strategy; 5/3 = 1.666… < 1 fails; 5 != 3 holds
        ("U1", "2025Q1", "R_ALL", "5", "3"),
        ("U1", "2025Q1", "R_ANY", "5", "3"),
        ("U1", "2025Q1", "R_CONST", "1", "2"),  # no operands: never skipped, 1 > 2 fails
        ("U1", "2025Q1", "R_DIV", "1.6666666667", "1"),
        ("U1", "2025Q1", "R_NEVER", "5", "3"),
        # U2: A 2, C missing. any-missing skips; all-missing does not: C counts 0, 2 <= 0 fails;
        # R_DIV divides by C = 0: skipped, no violation
        ("U2", "2025Q1", "R_ALL", "2", "0"),
        ("U2", "2025Q1", "R_CONST", "1", "2"),
        ("U2", "2025Q1", "R_NEVER", "2", "0"),
        # U3 reported nothing: never_skip gives 0 <= 0 (holds) and 0 / 0 (skipped)
        ("U3", "2025Q1", "R_CONST", "1", "2"),
        # R_TOTAL with nothing reported: 0 == 0 + 0 holds for everyone
    ]


def test_options_and_totals_in_the_second_quarter(files):
    assert validate(*files, "2025Q2") == [
        # U1: B.x 3 <= B.y 2 fails; B = 3 + 2 = 5 == 3 + 2 holds; A, C missing: R_ANY and R_ALL
        # skip; R_NEVER 0 <= 0 holds
        ("U1", "2025Q2", "R_CONST", "1", "2"),
        ("U1", "2025Q2", "R_OPT", "3", "2"),
        ("U2", "2025Q2", "R_CONST", "1", "2"),
        # U3: A 4, C 4: 4 <= 4 holds; 4/4 = 1 < 1 fails; 4 != 4 fails
        ("U3", "2025Q2", "R_CONST", "1", "2"),
        ("U3", "2025Q2", "R_DIV", "1", "1"),
        ("U3", "2025Q2", "R_NE", "4", "4"),
    ]


def test_a_longer_period_checks_each_of_its_quarters_sorted_by_unit_period_rule(files):
    rows = validate(*files, "2025")
    # R_CONST fails for U1, U2, U3 in each of the 4 quarters; the rest as above
    assert len(rows) == 12 + (5 - 1) + (3 - 1) + 1 + 2
    assert rows == sorted(rows)
    assert {r[0] for r in rows} == {"U1", "U2", "U3"}


def test_a_unit_not_yet_open_is_not_checked(files):
    tmp, ds, _orgs, values = files
    later = [row[:] for row in ORGS]
    later[3][4] = "2025-04-01"  # U3 opens in the second quarter
    orgs = csv_file(tmp / "orgs2.csv", "org_code,name,parent_code,kind,open_date,close_date", later)
    assert [r for r in validate(tmp, ds, orgs, values, "2025Q1") if r[0] == "U3"] == []
    assert [r for r in validate(tmp, ds, orgs, values, "2025Q2") if r[0] == "U3"] != []
