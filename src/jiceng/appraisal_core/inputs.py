"""The stateless command's CSV inputs: ``unit_code,item_code,value`` and
``unit_code,population``. Every problem names file, row, column and reason."""

from __future__ import annotations

import csv
from pathlib import Path

from jiceng.core.errors import Problem, ValidationFailed

from .numbers import to_fraction
from .scheme import Scheme
from .scoring import Value, parse_value

INPUT_COLUMNS = ("unit_code", "item_code", "value")
POP_COLUMNS = ("unit_code", "population")
MAX_PROBLEMS = 200  # beyond this, one more line says how many were left out


def _rows(path: str, columns: tuple[str, ...]) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    name = Path(path).name
    if not Path(path).is_file():
        raise ValidationFailed([Problem("文件不存在", file=path)])
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise ValidationFailed([Problem("文件是空的：第 1 行应为表头", file=name, row=1)])
            header = [h.strip().lower() for h in header]
            absent = [c for c in columns if c not in header]
            if absent:
                raise ValidationFailed(
                    [
                        Problem(
                            f"表头缺少列：{'、'.join(absent)}（应为 {','.join(columns)}）",
                            file=name,
                            row=1,
                        )
                    ]
                )
            where = {c: header.index(c) for c in columns}
            rows = []
            for n, row in enumerate(reader, 2):
                if not any(cell.strip() for cell in row):
                    continue
                rows.append(
                    (n, {c: (row[i].strip() if i < len(row) else "") for c, i in where.items()})
                )
    except UnicodeDecodeError:
        raise ValidationFailed([Problem("文件不是 UTF-8 编码的 CSV", file=name)]) from None
    except csv.Error as exc:
        raise ValidationFailed([Problem(f"不是有效的 CSV：{exc}", file=name)]) from None
    return name, rows


def _fail(problems: list[Problem]) -> None:
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems = problems[:MAX_PROBLEMS] + [
            Problem(f"另有 {more} 个问题未列出", file=problems[0].file)
        ]
    raise ValidationFailed(problems)


def read_inputs(path: str, scheme: Scheme) -> dict[str, dict[str, Value]]:
    """{unit: {item: value}}: every unit of the file, values checked against the items."""
    name, rows = _rows(path, INPUT_COLUMNS)
    items = {i.code: i for i in scheme.items}
    values: dict[str, dict[str, Value]] = {}
    seen: dict[tuple[str, str], int] = {}
    problems: list[Problem] = []
    for n, row in rows:
        unit, code, raw = row["unit_code"], row["item_code"], row["value"]
        if not unit:
            problems.append(Problem("单位编码为空", file=name, row=n, column="unit_code"))
            continue
        units = values.setdefault(unit, {})
        if not code and not raw:
            continue  # the unit is appraised, with no value for any item
        item = items.get(code)
        if item is None:
            problems.append(
                Problem(f"方案 {scheme.code} 没有考核项目「{code}」", file=name, row=n,
                        column="item_code")
            )  # fmt: skip
            continue
        if (unit, code) in seen:
            problems.append(
                Problem(
                    f"单位 {unit} 的项目 {code} 写了两次（另见第 {seen[unit, code]} 行）",
                    file=name,
                    row=n,
                    column="item_code",
                )
            )
            continue
        seen[unit, code] = n
        try:
            units[code] = parse_value(item, raw)
        except ValueError as exc:
            problems.append(
                Problem(f"项目 {code}（{item.name}）：{exc}", file=name, row=n, column="value")
            )
    if problems:
        _fail(problems)
    if not values:
        raise ValidationFailed([Problem("没有任何单位的数据", file=name)])
    return values


def read_population(path: str) -> dict[str, int]:
    """{unit: permanent residents}; each a whole number not below 0, each unit once."""
    name, rows = _rows(path, POP_COLUMNS)
    out: dict[str, int] = {}
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for n, row in rows:
        unit, raw = row["unit_code"], row["population"]
        if not unit:
            problems.append(Problem("单位编码为空", file=name, row=n, column="unit_code"))
            continue
        if unit in first:
            problems.append(
                Problem(f"单位 {unit} 写了两次（另见第 {first[unit]} 行）", file=name, row=n,
                        column="unit_code")
            )  # fmt: skip
            continue
        first[unit] = n
        if not raw:
            continue  # no population: the unit gets no amount (a warning says so)
        v = to_fraction(raw)
        if v is None or v.denominator != 1 or v < 0:
            problems.append(
                Problem(f"常住人口应为不小于 0 的整数，而不是「{raw}」", file=name, row=n,
                        column="population")
            )  # fmt: skip
            continue
        out[unit] = int(v)
    if problems:
        _fail(problems)
    return out
