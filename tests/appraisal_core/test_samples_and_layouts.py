"""The shipped sample schemes, the Excel layout, the real console command and the pieces
the pages build on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from openpyxl import load_workbook

import jiceng
from jiceng.appraisal_core import (
    LEFT_OUT,
    NO_DATA,
    VETO,
    Catalog,
    default_catalog,
    largest_remainder,
    load_scheme_file,
    parse_scheme,
    parse_value,
    read_scheme_excel,
    sample_scheme_paths,
    score_item,
    write_scheme_excel,
)
from jiceng.appraisal_core.catalog import UNIT_KINDS
from jiceng.core import xlsx
from jiceng.core.errors import ValidationFailed

from .helpers import csv_file, run, write
from .test_hand_worked import INPUTS, POPULATION, SCHEME

SRC = str(Path(jiceng.__file__).parent.parent)


def jiceng_command(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": SRC}
    # a database URL nobody can reach: the commands must not need one
    env["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none"
    env["JICENG_VAR_DIR"] = str(cwd / "var")
    return subprocess.run(
        [sys.executable, "-m", "jiceng", *args], capture_output=True, text=True, cwd=cwd, env=env
    )


def test_appraisal_check_accepts_every_shipped_sample_without_a_database(tmp_path):
    paths = sample_scheme_paths()
    assert [p.stem for p in paths] == ["bphs_township", "integrity", "quality_county"]
    for path in paths:
        code, out, err = run("appraisal", "check", str(path))
        assert code == 0, err
        assert out.startswith("考核方案有效：")
        assert err == ""
    proc = jiceng_command("appraisal", "check", str(paths[0]), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("考核方案有效：2025年度基本公共卫生服务项目绩效评价")


def test_appraisal_compute_runs_through_the_console_command(tmp_path):
    scheme = write(tmp_path / "hand.yaml", SCHEME)
    inputs = csv_file(tmp_path / "inputs.csv", "unit_code,item_code,value", INPUTS)
    pop = csv_file(tmp_path / "pop.csv", "unit_code,population", POPULATION)
    proc = jiceng_command(
        "appraisal", "compute", scheme, "--inputs", inputs, "--population", pop,
        "--out", str(tmp_path / "r.json"), cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    units = json.loads((tmp_path / "r.json").read_text("utf-8"))["units"]
    assert [u["amount"] for u in units] == [150.83, 465.30, 11.63, 186.12, 186.12, None]
    bad = jiceng_command("appraisal", "compute", scheme, "--inputs", "nope.csv", "--out", "x.json",
                         cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 1
    assert "nope.csv：文件不存在" in bad.stderr


def test_the_samples_use_real_indicator_and_data_set_codes():
    catalog = default_catalog()
    kinds = {}
    for path in sample_scheme_paths():
        for item in load_scheme_file(path).items:
            kinds.setdefault(item.source.kind, set()).add(item.source.code)
    assert kinds["indicator"] <= catalog.indicators and len(kinds["indicator"]) >= 10
    assert kinds["data"] <= catalog.data and len(kinds["data"]) >= 3
    assert {"manual", "verdict", "ledger_closed_rate", "ledger_overdue", "satisfaction"} <= set(
        kinds
    )


def test_a_catalog_with_questionnaires_checks_satisfaction_codes():
    catalog = Catalog(
        default_catalog().indicators, default_catalog().data, satisfaction=frozenset({"OPD"})
    )
    [path] = [p for p in sample_scheme_paths() if p.stem == "bphs_township"]
    with pytest.raises(ValidationFailed) as exc:
        load_scheme_file(path, catalog)
    [p] = exc.value.problems
    assert p.message == "未知的满意度编码「public_health」：在已有的定义中找不到"


def test_the_unit_kinds_agree_with_the_organisation_tree():
    from jiceng.orgs.models import Kind

    assert set(UNIT_KINDS) == set(Kind.values)


@pytest.mark.parametrize("stem", ["bphs_township", "integrity", "quality_county"])
def test_a_sample_written_to_excel_reads_back_the_same(stem):
    [path] = [p for p in sample_scheme_paths() if p.stem == stem]
    scheme = load_scheme_file(path)
    again = read_scheme_excel(write_scheme_excel(scheme), f"{stem}.xlsx")
    assert again == scheme


def test_a_bad_excel_cell_is_named_by_sheet_row_and_column():
    [path] = [p for p in sample_scheme_paths() if p.stem == "quality_county"]
    book = load_workbook(__import__("io").BytesIO(write_scheme_excel(load_scheme_file(path))))
    ws = book["考核项目"]
    ws["E3"] = -5  # the second item's points
    ws["H4"] = ws["I4"].value  # the third item: floor = target
    with pytest.raises(ValidationFailed) as exc:
        read_scheme_excel(xlsx.to_bytes(book), "county.xlsx")
    assert [str(p) for p in exc.value.problems] == [
        "county.xlsx，第3行，考核项目表E列，字段 modules[Q1].items[Q1.2].points：分值应大于 0，而不是 -5",
        "county.xlsx，第4行，考核项目表G列，字段 modules[Q2].items[Q2.1].rule："
        "线性规则的起点与目标相同（95）：无法在两者之间计分",
    ]


def test_score_item_flags_missing_left_out_and_veto():
    scheme = parse_scheme(SCHEME, "hand.yaml")
    a, c, f = scheme.item("A"), scheme.item("C"), scheme.item("F")
    assert score_item(a, None).points == 0 and score_item(a, None).flags == (NO_DATA,)
    assert score_item(c, None).left_out and score_item(c, None).flags == (NO_DATA, LEFT_OUT)
    assert score_item(f, Fraction(0)).flags == (VETO,)
    assert score_item(f, None).flags == (NO_DATA, VETO)
    # 10 × (72.5 − 60) / 30 = 25/6
    assert score_item(a, parse_value(a, "72.5")).points == Fraction(25, 6)


def test_parse_value_refuses_a_manual_score_above_the_points_and_reads_chinese_verdicts():
    scheme = parse_scheme(SCHEME, "hand.yaml")
    with pytest.raises(ValueError, match="人工评分 11 应在 0 到项目分值 10 之间"):
        parse_value(scheme.item("F"), "11")
    assert parse_value(scheme.item("D"), "推荐标准") == "recommended"
    assert parse_value(scheme.item("A"), "  ") is None


def test_largest_remainder_gives_the_tied_last_fen_to_the_lower_unit_code():
    # 100 yuan = 10000 fen in three equal shares: 3333.33… each, floors add to 9999,
    # the one fen left is tied three ways → the lowest code, A
    amounts = largest_remainder(
        Fraction(100), {"C": Fraction(1), "A": Fraction(1), "B": Fraction(1)}
    )
    assert amounts == {"A": Decimal("33.34"), "B": Decimal("33.33"), "C": Decimal("33.33")}


def test_numbers_are_read_exactly_and_rounded_half_up():
    from jiceng.appraisal_core import half_up, to_fraction

    assert to_fraction("0.1") == Fraction(1, 10)
    assert to_fraction("+3") == 3 and to_fraction("-3.25") == Fraction(-13, 4)
    assert to_fraction("95%") == 95 and to_fraction("1e3") == 1000
    assert to_fraction("abc") is None and to_fraction(True) is None
    # 0.125 is exactly half-way: half-up gives 0.13 (Python's round() would give 0.12)
    assert half_up(Fraction(1, 8), 2) == Decimal("0.13")
    assert half_up(Fraction(2, 3), 4) == Decimal("0.6667")


def test_the_core_and_its_command_never_import_django(tmp_path):
    code = (
        "import sys\n"
        "from jiceng.appraisal_core.commands import main\n"
        "from jiceng.appraisal_core import sample_scheme_paths\n"
        "assert main(['appraisal', 'check', str(sample_scheme_paths()[0])]) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))\n"
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": SRC}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_compute_shows_the_funds_arithmetic_and_ranks_within_peer_groups():
    from jiceng.appraisal_core import compute

    scheme = parse_scheme(SCHEME, "hand.yaml")
    values = {}
    for unit, code, text in INPUTS:
        values.setdefault(unit, {})[code] = parse_value(scheme.item(code), text)
    result = compute(scheme, values, dict(POPULATION), peers={"U1": "X", "U6": "X"})
    u1 = result.unit("U1")
    # weight 100 × 389/6 = 19450/3 of Σ 128950/3; share 1000 × 19450/128950 = 150.8336… yuan
    assert u1.weight == Fraction(19450, 3) and result.weight_total == Fraction(128950, 3)
    assert u1.share == Fraction(1000 * 19450, 128950) and u1.amount == Decimal("150.83")
    assert u1.display == Decimal("64.83")
    # U1 (64.83) and U6 (64) form their own group; the other four rank among themselves
    assert {u.unit: u.rank for u in result.units} == {
        "U1": 1, "U6": 2, "U2": 1, "U4": 2, "U5": 2, "U3": 4
    }  # fmt: skip


def test_check_reads_the_excel_layout_too(tmp_path):
    [path] = [p for p in sample_scheme_paths() if p.stem == "integrity"]
    book = tmp_path / "integrity.xlsx"
    book.write_bytes(write_scheme_excel(load_scheme_file(path)))
    code, out, err = run("appraisal", "check", str(book))
    assert code == 0, err
    assert "等级：A类 ≥ 90，B类 ≥ 75，C类 其余" in out
