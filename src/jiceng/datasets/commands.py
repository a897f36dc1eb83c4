"""``jiceng datasets check`` and ``jiceng datavalues aggregate|validate``.

Stateless: files in, a CSV out, no database and no Django. Any problem in any input is
printed (file, row, column, reason) and the command exits 1 without writing the output.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from jiceng.core.errors import Problem, ValidationFailed
from jiceng.core.exports import csv_writer

from .definition import DataSet, load_dataset_file
from .engine import aggregate, format_value, validate
from .periods import TYPE_NAMES, Period, parse_period
from .values import read_completions, read_orgs, read_values

USAGE_ERROR = 2
BAD_INPUT = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors, with our exit code
        self.print_usage(sys.stderr)
        sys.stderr.write(f"参数错误：{message}\n")
        raise SystemExit(USAGE_ERROR)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="jiceng", description="数据集与汇总数据（无需数据库）")
    groups = p.add_subparsers(dest="group", required=True, parser_class=_Parser)
    ds = groups.add_parser("datasets").add_subparsers(
        dest="verb", required=True, parser_class=_Parser
    )
    check = ds.add_parser("check", help="校验数据集定义文件（YAML、JSON 或 Excel）")
    check.add_argument("file")
    dv = groups.add_parser("datavalues").add_subparsers(
        dest="verb", required=True, parser_class=_Parser
    )
    for verb, helptext in (("aggregate", "汇总数据值与指标"), ("validate", "按校验规则检查数据值")):
        sub = dv.add_parser(verb, help=helptext)
        sub.add_argument("--dataset", required=True)
        sub.add_argument("--orgs", required=True)
        sub.add_argument("--values", required=True)
        sub.add_argument("--period", required=True)
        if verb == "aggregate":
            sub.add_argument("--completions")
        sub.add_argument("--out", required=True)
    return p


def main(argv: list[str], stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run one command; the exit code (0 done, 1 bad input, 2 bad arguments)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        if args.group == "datasets":
            return _check(args.file, out, err)
        return _datavalues(args, out, err)
    except ValidationFailed as exc:
        for p in exc.problems:
            err.write(f"{p}\n")
        err.write(f"共 {len(exc.problems)} 个问题；未写出任何结果。\n")
        return BAD_INPUT


def _load(path: str) -> DataSet:
    if not Path(path).is_file():
        raise ValidationFailed([Problem("文件不存在", file=path)])
    return load_dataset_file(path)


def _check(path: str, out: TextIO, err: TextIO) -> int:
    ds = _load(path)
    for w in ds.warnings:
        err.write(f"提示：{w}\n")
    options = sum(len(e.options) for e in ds.elements.values())
    out.write(
        f"数据集定义有效：{ds.name}（编码 {ds.code}，版本 {ds.version}），"
        f"按{TYPE_NAMES[ds.period_type]}填报，期末后 {ds.due_days} 天内完成。\n"
        f"填报机构类型：{'、'.join(ds.institution_kinds)}\n"
        f"分组 {len(ds.sections)} 个，数据元 {len(ds.elements)} 个（分类 {options} 个），"
        f"指标 {len(ds.indicators)} 个，校验规则 {len(ds.rules)} 条。\n"
    )
    return 0


def _period(text: str, ds: DataSet) -> Period:
    try:
        p = parse_period(text)
        p.periods(ds.period_type)
    except ValueError as exc:
        raise ValidationFailed([Problem(str(exc), column="--period")]) from None
    return p


def _datavalues(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    ds = _load(args.dataset)
    period = _period(args.period, ds)
    problems: list[Problem] = []
    orgs = values = completions = None
    try:
        orgs = read_orgs(args.orgs)
    except ValidationFailed as exc:
        problems.extend(exc.problems)
    if orgs is not None:
        try:
            values = read_values(args.values, ds, orgs)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
        if args.verb == "aggregate" and args.completions:
            try:
                completions = read_completions(args.completions, ds, orgs)
            except ValidationFailed as exc:
                problems.extend(exc.problems)
    if problems:
        raise ValidationFailed(problems)
    if args.verb == "aggregate":
        rows = aggregate(ds, orgs, values, period, completions if args.completions else None)
        header = ["org_code", "period", "code", "value"]
        body = [[r.org_code, r.period, r.code, r.value] for r in rows]
    else:
        violations = validate(ds, orgs, values, period)
        header = ["org_code", "period", "rule", "left", "right"]
        body = [
            [v.org_code, v.period.label, v.rule.code, format_value(v.left), format_value(v.right)]
            for v in violations
        ]
    try:
        _write(Path(args.out), header, body)
    except OSError as exc:
        raise ValidationFailed(
            [Problem(f"无法写出结果文件：{exc.strerror or exc}", file=args.out)]
        ) from None
    out.write(f"已写出 {len(body)} 行到 {args.out}\n")
    return 0


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write the whole file under a temporary name, then rename: never half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            w = csv_writer(f)
            w.writerow(header)
            w.writerows(rows)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
