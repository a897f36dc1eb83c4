"""Writing the command's input files and reading its output, for the tests."""

from __future__ import annotations

import csv
import io
import textwrap
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from jiceng.datasets.commands import main


def write(path: Path, text: str) -> str:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return str(path)


def csv_file(path: Path, header: str, rows: list) -> str:
    lines = [header] + [",".join("" if c is None else str(c) for c in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def aggregate(tmp: Path, ds: str, orgs: str, values: str, period: str, completions=None):
    """{(org, code): value text} written by `datavalues aggregate` (asserting it succeeded)."""
    out = tmp / "out.csv"
    args = ["datavalues", "aggregate", "--dataset", ds, "--orgs", orgs, "--values", values]
    args += ["--period", period, "--out", str(out)]
    if completions:
        args += ["--completions", completions]
    code, _out, err = run(*args)
    assert code == 0, err
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert all(r["period"] == period for r in rows)
    table = {(r["org_code"], r["code"]): r["value"] for r in rows}
    assert len(table) == len(rows), "one row per node and code"
    return table


def validate(tmp: Path, ds: str, orgs: str, values: str, period: str) -> list[tuple]:
    out = tmp / "violations.csv"
    code, _out, err = run(
        "datavalues", "validate", "--dataset", ds, "--orgs", orgs, "--values", values,
        "--period", period, "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    with out.open(encoding="utf-8") as f:
        reader = csv.reader(f)
        assert next(reader) == ["org_code", "period", "rule", "left", "right"]
        return [tuple(r) for r in reader]


def same_number(text: str, expected: Fraction | None) -> bool:
    """The written value stands for ``expected``: exactly when its decimal terminates,
    else rounded to 10 places."""
    if expected is None:
        return text == ""
    if text == "":
        return False
    got = Fraction(Decimal(text))
    return abs(got - expected) <= Fraction(1, 2 * 10**10)
