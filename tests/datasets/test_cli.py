"""The real console command (`python -m jiceng`, as the `jiceng` script runs it) on files,
with no database and no Django settings to reach."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import jiceng
from jiceng.datasets.definition import sample_dataset_paths

from .helpers import csv_file

SRC = str(Path(jiceng.__file__).parent.parent)


def jiceng_command(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": SRC}
    # a database URL nobody can reach: the commands must not need one
    env["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none"
    env["JICENG_VAR_DIR"] = str(cwd / "var")
    return subprocess.run(
        [sys.executable, "-m", "jiceng", *args], capture_output=True, text=True, cwd=cwd, env=env
    )


def test_datasets_check_accepts_every_shipped_sample(tmp_path):
    paths = sample_dataset_paths()
    assert len(paths) == 5
    for path in paths:
        proc = jiceng_command("datasets", "check", str(path), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("数据集定义有效：")
        assert proc.stderr == ""


def test_aggregate_and_validate_run_on_a_sample_through_the_console_command(tmp_path):
    [satisfaction] = [p for p in sample_dataset_paths() if p.stem == "satisfaction"]
    orgs = csv_file(
        tmp_path / "orgs.csv",
        "org_code,name,parent_code,kind",
        [["C", "县", "", "county"], ["T1", "甲乡卫生院", "C", "township_hc"],
         ["T2", "乙社区卫生服务中心", "C", "community_hc"]],
    )  # fmt: skip
    values = csv_file(
        tmp_path / "values.csv",
        "org_code,period,element,option,value",
        [
            ["T1", "2025Q1", "OUT_SURVEYED", "", "40"],
            ["T1", "2025Q1", "OUT_SATISFIED", "", "36"],
            ["T2", "2025Q1", "OUT_SURVEYED", "", "60"],
            ["T2", "2025Q1", "OUT_SATISFIED", "", "61"],  # more satisfied than surveyed
        ],
    )
    completions = csv_file(
        tmp_path / "c.csv", "org_code,period,completed_at", [["T1", "2025Q1", "2025-04-08"]]
    )
    out = tmp_path / "out.csv"
    proc = jiceng_command(
        "datavalues", "aggregate", "--dataset", str(satisfaction), "--orgs", orgs,
        "--values", values, "--period", "2025Q1", "--completions", completions, "--out", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = {(r["org_code"], r["code"]): r["value"] for r in csv.DictReader(out.open())}
    # county: (36 + 61) / (40 + 60) × 100 = 97; expected 2 units, 1 completed on time
    assert rows["C", "OUT_SATISFACTION_RATE"] == "97"
    assert rows["C", "IN_SATISFACTION_RATE"] == ""
    assert (rows["C", "_completeness"], rows["C", "_timeliness"]) == ("0.5", "0.5")
    violations = tmp_path / "violations.csv"
    proc = jiceng_command(
        "datavalues", "validate", "--dataset", str(satisfaction), "--orgs", orgs,
        "--values", values, "--period", "2025Q1", "--out", str(violations), cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert violations.read_text(encoding="utf-8").splitlines() == [
        "org_code,period,rule,left,right",
        "T2,2025Q1,OUT_SATISFIED_WITHIN,61,60",
    ]


def test_bad_input_exits_non_zero_with_chinese_on_stderr_and_no_output(tmp_path):
    [staff] = [p for p in sample_dataset_paths() if p.stem == "staff_training"]
    orgs = csv_file(
        tmp_path / "orgs.csv", "org_code,name,parent_code,kind", [["T", "院", "", "township_hc"]]
    )
    values = csv_file(
        tmp_path / "values.csv",
        "org_code,period,element,option,value",
        [["T", "2025Q1", "TRAINED", "", "-3"]],
    )
    out = tmp_path / "out.csv"
    proc = jiceng_command(
        "datavalues", "aggregate", "--dataset", str(staff), "--orgs", orgs, "--values", values,
        "--period", "2025", "--out", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "values.csv，第2行，value列：「-3」是负数" in proc.stderr
    assert not out.exists()
