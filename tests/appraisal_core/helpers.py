"""Writing the appraisal command's input files and reading its output, for the tests."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

from jiceng.appraisal_core.commands import main


def write(path: Path, text: str) -> str:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return str(path)


def csv_file(path: Path, header: str, rows: list) -> str:
    lines = [header] + [",".join("" if c is None else str(c) for c in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def run(*argv: str) -> tuple[int, str, str]:
    """The command as `jiceng appraisal …` runs it, in this process: (exit code, out, err)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def compute(tmp: Path, scheme: str, inputs: str, population: str | None = None):
    """(RESULT.json's units by unit code, stderr) of a successful `appraisal compute`."""
    out = tmp / "result.json"
    args = ["appraisal", "compute", scheme, "--inputs", inputs, "--out", str(out)]
    if population:
        args += ["--population", population]
    code, _out, err = run(*args)
    assert code == 0, err
    units = json.loads(out.read_text(encoding="utf-8"))["units"]
    return {u["unit"]: u for u in units}, err
