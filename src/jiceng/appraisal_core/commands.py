"""``jiceng appraisal check SCHEME`` and ``jiceng appraisal compute SCHEME --inputs INPUTS.csv
[--population POP.csv] --out RESULT.json``.

Stateless: files in, JSON out, no database and no Django. Any problem in any input is
printed (file, row or line, column or field, reason) and the command exits 1 without
writing the output; 2 for wrong arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from jiceng.core.errors import Problem, ValidationFailed

from .inputs import read_inputs, read_population
from .numbers import half_up_float, plain
from .scheme import SOURCE_NAMES, Scheme, load_scheme_file
from .scoring import Appraisal, compute

USAGE_ERROR = 2
BAD_INPUT = 1
FUND_NAMES = {"score_population": "按得分和常住人口分配", "grade_per_capita": "按等级人均"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors, with our exit code
        self.print_usage(sys.stderr)
        sys.stderr.write(f"参数错误：{message}\n")
        raise SystemExit(USAGE_ERROR)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="jiceng", description="绩效考核方案与计分（无需数据库）")
    groups = p.add_subparsers(dest="group", required=True, parser_class=_Parser)
    verbs = groups.add_parser("appraisal").add_subparsers(
        dest="verb", required=True, parser_class=_Parser
    )
    check = verbs.add_parser("check", help="校验考核方案（YAML、JSON 或 Excel）")
    check.add_argument("scheme")
    run = verbs.add_parser("compute", help="按方案计分、排名、定级并分配资金")
    run.add_argument("scheme")
    run.add_argument("--inputs", required=True)
    run.add_argument("--population")
    run.add_argument("--out", required=True)
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
        scheme = load_scheme_file(args.scheme)
        for w in scheme.warnings:
            err.write(f"提示：{w}\n")
        if args.verb == "check":
            out.write(describe(scheme))
            return 0
        return _compute(scheme, args, out, err)
    except ValidationFailed as exc:
        for p in exc.problems:
            err.write(f"{p}\n")
        err.write(f"共 {len(exc.problems)} 个问题；未写出任何结果。\n")
        return BAD_INPUT


def describe(scheme: Scheme) -> str:
    """What ``check`` prints for a valid scheme, in Chinese."""
    sources: dict[str, int] = {}
    for i in scheme.items:
        sources[i.source.kind] = sources.get(i.source.kind, 0) + 1
    grades = "，".join(
        f"{g.label} ≥ {plain(g.minimum)}" if g.minimum else f"{g.label} 其余" for g in scheme.grades
    )
    lines = [
        f"考核方案有效：{scheme.title}（编码 {scheme.code}，版本 {scheme.version}，"
        f"{scheme.year} 年度）",
        f"被考核单位类型：{'、'.join(scheme.unit_kinds)}；排名范围："
        f"{'同一上级内' if scheme.peer_group == 'parent' else '全部单位'}",
        f"模块 {len(scheme.modules)} 个，考核项目 {len(scheme.items)} 个，满分合计 "
        f"{plain(scheme.total_points)} 分；来源："
        + "、".join(f"{SOURCE_NAMES[k]} {n} 项" for k, n in sources.items()),
        f"等级：{grades}",
    ]
    if scheme.fund is not None:
        f = scheme.fund
        if f.rule == "score_population":
            lines.append(f"资金：{FUND_NAMES[f.rule]}，总额 {plain(f.pool)} 元")
        else:
            rates = "，".join(f"{g} {plain(r)} 元/人" for g, r in f.rates)
            lines.append(f"资金：{FUND_NAMES[f.rule]}（{rates}）")
    return "\n".join(lines) + "\n"


def _compute(scheme: Scheme, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    problems: list[Problem] = []
    values = population = None
    try:
        values = read_inputs(args.inputs, scheme)
    except ValidationFailed as exc:
        problems.extend(exc.problems)
    if args.population:
        try:
            population = read_population(args.population)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    if problems:
        raise ValidationFailed(problems)
    result = compute(scheme, values, population)
    if population:
        for unit in sorted(set(population) - set(values)):
            result.warnings.append(f"常住人口文件中的单位 {unit} 不在考核数据中，已忽略")
    try:
        _write_json(Path(args.out), result_json(result))
    except OSError as exc:
        raise ValidationFailed(
            [Problem(f"无法写出结果文件：{exc.strerror or exc}", file=args.out)]
        ) from None
    for w in result.warnings:
        err.write(f"提示：{w}\n")
    out.write(f"已计算 {len(result.units)} 个单位，结果写入 {args.out}\n")
    return 0


def result_json(result: Appraisal) -> dict:
    """The contract's RESULT.json: points and score rounded half-up to 4 decimals."""

    def four(x):
        return None if x is None else half_up_float(x, 4)

    return {
        "units": [
            {
                "unit": u.unit,
                "items": {code: four(s.points) for code, s in u.items.items()},
                "score": four(u.score),
                "rank": u.rank,
                "grade": u.grade,
                "amount": None if u.amount is None else float(u.amount),
            }
            for u in result.units
        ]
    }


def _write_json(path: Path, data: dict) -> None:
    """Write the whole file under a temporary name, then rename: never half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
