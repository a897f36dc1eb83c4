"""The commands: jiceng records check|load, jiceng indicators compute."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from jiceng.analytics.definitions import registry
from jiceng.indicators.models import IndicatorValue, RecordSet

from .helpers import write_recordset
from .test_bad_input import edit, good

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, "--no-progress", stdout=out, stderr=err)
        code = 0
    except SystemExit as e:
        code = e.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def analytics_dir(settings, tmp_path):
    settings.JICENG_ANALYTICS_DIR = tmp_path / "analytics"
    return settings.JICENG_ANALYTICS_DIR


@pytest.fixture
def src(tmp_path) -> Path:
    return write_recordset(tmp_path / "rs2025", good())


def test_check_accepts_a_good_record_set(src, analytics_dir):
    code, out, err = run("records_check", str(src))
    assert code == 0, err
    assert "residents：2 行" in out
    assert "记录集检查通过。" in out


def test_check_prints_each_problem_on_its_own_line_and_exits_1(src, analytics_dir):
    edit(src / "residents.csv", 2, "birth_date", "2025-13-01")
    edit(src / "followups.csv", 2, "mode", "visit")
    code, out, err = run("records_check", str(src))
    assert code == 1
    lines = err.splitlines()
    assert "residents.csv，第2行，birth_date列：日期「2025-13-01」无效：月份 13 不存在" in lines
    assert any(
        line.startswith("followups.csv，第2行，mode列：未知的随访方式代码「visit」")
        for line in lines
    )


def test_load_refuses_bad_input_and_creates_nothing(src, analytics_dir):
    edit(src / "residents.csv", 2, "sex", "X")
    code, _out, err = run("records_load", str(src), "--name", "bad")
    assert code == 1
    assert "residents.csv，第2行，sex列" in err
    assert not RecordSet.objects.filter(name="bad").exists()
    assert not list(Path(analytics_dir).glob("*.duckdb"))


def test_load_then_compute_stores_values_with_provenance_and_replaces_them(src, analytics_dir):
    code, out, err = run("records_load", str(src), "--name", "county-2025")
    assert code == 0, err
    rs = RecordSet.objects.get(name="county-2025")
    assert rs.status == RecordSet.Status.READY and Path(rs.store_path).exists()
    assert rs.row_counts["residents"] == 2
    for _ in range(2):
        code, out, err = run(
            "indicators_compute",
            "--record-set",
            "county-2025",
            "--period",
            "2025",
            "--period",
            "2025Q2",
        )
        assert code == 0, err
    values = IndicatorValue.objects.filter(record_set=rs)
    # nodes x indicators x periods, not doubled
    assert values.count() == 8 * len(registry().indicators) * 2
    v = values.get(org_code="A1", period="2025", indicator="elderly_mgmt")
    assert (v.numerator, v.denominator, v.definition_version, v.engine) == (
        1,
        None,
        "2025.1",
        "duckdb",
    )
    v = values.get(org_code="P", period="2025", indicator="hr_coverage")
    assert (int(v.numerator), int(v.denominator), v.value) == (1, 15, 1 / 15)


def test_skip_invalid_writes_a_rejects_file(src, analytics_dir, tmp_path):
    edit(src / "exams.csv", 2, "kind", "dental")
    rejects = tmp_path / "rejects.csv"
    code, out, err = run("records_load", str(src), "--skip-invalid", "--rejects", str(rejects))
    assert code == 0, err
    assert "1" in out and rejects.exists()
    assert RecordSet.objects.get(name="rs2025").rejected_rows == 1


def test_compute_writes_the_contract_csv(src, analytics_dir, tmp_path):
    out_file = tmp_path / "values.csv"
    code, _out, err = run(
        "indicators_compute", "--records", str(src), "--period", "2025", "--out", str(out_file)
    )
    assert code == 0, err
    rows = list(csv.reader(out_file.open(encoding="utf-8")))
    assert rows[0] == ["org_code", "period", "indicator", "numerator", "denominator", "value"]
    assert ["A1", "2025", "hr_coverage", "1", "10", "0.1"] in rows
    assert ["A1", "2025", "elderly_mgmt", "1", "", ""] in rows
    assert not RecordSet.objects.exists()


def test_compute_refuses_a_bad_period(src, analytics_dir):
    code, _out, err = run(
        "indicators_compute", "--records", str(src), "--period", "2025Q5", "--out", "x.csv"
    )
    assert code == 2
    assert "季度只能是 Q1 至 Q4" in err


def test_a_record_set_without_orgs_uses_the_platform_tree(tree, analytics_dir, tmp_path):
    village = tree.VA1.code
    data = {
        "population": [{"org_code": village, "year": 2025, "permanent_residents": 4}],
        "residents": [
            {
                "resident_id": "R1",
                "sex": "F",
                "birth_date": date(1990, 1, 1),
                "org_code": village,
                "record_date": date(2021, 1, 1),
            }
        ],
    }
    src = write_recordset(tmp_path / "platform", data, tree=None)
    code, _out, err = run("indicators_compute", "--records", str(src), "--period", "2025")
    assert code == 0, err
    v = IndicatorValue.objects.get(org_code=village, period="2025", indicator="hr_coverage")
    assert (int(v.numerator), int(v.denominator)) == (1, 4)
    assert v.node == tree.VA1
    # The set belongs to the smallest unit holding its population: nothing is stored above it.
    assert RecordSet.objects.get().node == tree.VA1
    assert not IndicatorValue.objects.filter(org_code=tree.P.code).exists()


def _platform_recordset(tmp_path, villages):
    data = {
        "population": [
            {"org_code": v.code, "year": 2025, "permanent_residents": 4} for v in villages
        ],
        "residents": [
            {
                "resident_id": f"R{i}",
                "sex": "F",
                "birth_date": date(1990, 1, 1),
                "org_code": v.code,
                "record_date": date(2021, 1, 1),
            }
            for i, v in enumerate(villages)
        ],
    }
    return write_recordset(tmp_path / "platform", data, tree=None)


def test_a_loaded_record_set_covers_the_smallest_unit_holding_its_population(
    tree, analytics_dir, tmp_path
):
    src = _platform_recordset(tmp_path, [tree.VA1, tree.VA3])
    code, _out, err = run("records_load", str(src), "--name", "county-a")
    assert code == 0, err
    assert RecordSet.objects.get(name="county-a").node == tree.A


def test_the_region_of_a_load_can_be_named_and_must_exist(tree, analytics_dir, tmp_path):
    src = _platform_recordset(tmp_path, [tree.VA1])
    code, _out, err = run("records_load", str(src), "--name", "r", "--region", tree.C.code)
    assert code == 0, err
    assert RecordSet.objects.get(name="r").node == tree.C
    with pytest.raises(Exception, match="999"):
        run("records_load", str(src), "--name", "r2", "--region", "999")
    assert not RecordSet.objects.filter(name="r2").exists()


def test_the_deployments_own_immunization_schedule_checks_loads_and_counts_due_doses(
    src, analytics_dir, settings, tmp_path
):
    """JICENG_IMMUNIZATION_SCHEDULE: a schedule with HepB only (three doses at 0, 1, 6 months)."""
    data = good()
    data["residents"].append(
        {"resident_id": "K1", "sex": "F", "birth_date": date(2025, 3, 10), "org_code": "A1"}
    )
    data["vaccinations"] = [
        {"resident_id": "K1", "vaccine": "HepB", "dose": 1, "vaccination_date": date(2025, 3, 10)},
        {"resident_id": "K1", "vaccine": "BCG", "dose": 1, "vaccination_date": date(2025, 3, 10)},
    ]
    folder = write_recordset(tmp_path / "vax", data)
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text("HepB: {1: 0, 2: 1, 3: 6}\n", encoding="utf-8")
    settings.JICENG_IMMUNIZATION_SCHEDULE = str(schedule)
    # BCG is not in this province's schedule: the load is refused, naming the row
    code, _out, err = run("records_load", str(folder), "--name", "vax")
    assert code == 1 and "vaccinations.csv" in err and "BCG" in err
    data["vaccinations"] = data["vaccinations"][:1]
    write_recordset(folder, data)
    code, _out, err = run("records_load", str(folder), "--name", "vax")
    assert code == 0, err
    code, _out, err = run("indicators_compute", "--record-set", "vax", "--period", "2025")
    assert code == 0, err
    v = IndicatorValue.objects.get(org_code="A1", period="2025", indicator="imm_coverage")
    # due in 2025: HepB 1 (10 Mar), 2 (10 Apr), 3 (10 Sep) — not the national 14 doses
    assert (v.numerator, v.denominator) == (1, 3)
    # a bad file is refused in Chinese, naming the file
    schedule.write_text("HepB: {1: 0, 3: 6}\n", encoding="utf-8")
    code, _out, err = run("indicators_compute", "--record-set", "vax", "--period", "2025")
    assert code == 2 and "schedule.yaml" in err and "HepB" in err


@pytest.mark.parametrize(
    "command", [["indicators", "compute", "--out", "x.csv"], ["records", "check"]]
)
def test_a_records_folder_that_is_not_there_is_named_on_a_deployment_never_set_up(
    tmp_path, command
):
    """Without an orgs table the platform's tree stands in; a folder that is not there must
    be named, not sent to a database that has no tables yet (it was a traceback)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JICENG_SECRET_KEY")}
    env.update(JICENG_VAR_DIR=str(tmp_path / "var"), JICENG_TEST_DB_NAME="")
    args = [*command[:2], *(["--records"] if command[0] == "indicators" else []), "nonexist"]
    if command[0] == "indicators":
        args += ["--period", "2025", "--no-progress", *command[2:]]
    r = subprocess.run(
        [sys.executable, "-m", "jiceng", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert "记录集目录 nonexist 不存在或不是目录" in r.stdout + r.stderr
