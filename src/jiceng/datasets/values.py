"""The CSV inputs of the stateless commands: the org tree, data values and completions.

Each reader checks every row and raises :class:`ValidationFailed` with every problem,
each naming the file, the row (the header is row 1) and the column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

from jiceng.core.errors import Problem, ValidationFailed

from .definition import DataSet
from .periods import TYPE_NAMES, Period, parse_period

MAX_PROBLEMS = 200  # listed per file; the rest are counted
_ISO_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_INTEGER = re.compile(r"^[+-]?\d+$")
_YES = {"yes", "true", "1", "是", "y"}
_NO = {"no", "false", "0", "否", "n"}

Value = Fraction | str  # numbers exactly; text for `text` elements


@dataclass(frozen=True)
class Org:
    code: str
    name: str
    parent: str | None
    kind: str
    open_date: date | None = None
    close_date: date | None = None

    def open_during(self, period: Period) -> bool:
        """Opened on or before the period's end and not closed before its start."""
        if self.open_date is not None and self.open_date > period.end:
            return False
        return not (self.close_date is not None and self.close_date < period.start)


class _Rows:
    """Rows of one CSV file as dicts, with the problems of the file collected on the way."""

    def __init__(self, path: Path, expected: str, required: list[str], optional: list[str] = ()):
        self.name = path.name
        self.problems: list[Problem] = []
        self.extra = 0
        self.rows: list[tuple[int, dict[str, str]]] = []
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ValidationFailed([Problem("文件不存在", file=str(path))]) from None
        text = _decode(data)
        if text is None:
            raise ValidationFailed(
                [Problem("文件既不是 UTF-8 也不是 GBK 编码的 CSV", file=self.name)]
            )
        try:
            records = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise ValidationFailed([Problem(f"CSV 格式错误：{exc}", file=self.name)]) from None
        if not records or not any(c.strip() for c in records[0]):
            raise ValidationFailed([Problem("文件是空的：第 1 行应为表头", file=self.name, row=1)])
        header = [c.strip() for c in records[0]]
        missing = [c for c in required if c not in header]
        dup = sorted({c for c in header if c and header.count(c) > 1})
        problems = [
            Problem(f"缺少列「{c}」；表头应为 {expected}", file=self.name, row=1) for c in missing
        ] + [Problem(f"列「{c}」出现了两次", file=self.name, row=1, column=c) for c in dup]
        if problems:
            raise ValidationFailed(problems)
        known = set(required) | set(optional)
        defaults = {c: "" for c in optional}
        index = {c: header.index(c) for c in known if c in header}
        for n, record in enumerate(records[1:], start=2):
            if not any(c.strip() for c in record):
                continue  # blank line
            if len(record) > len(header) and any(c.strip() for c in record[len(header) :]):
                self.add(n, "", f"这一行有 {len(record)} 列，比表头多（表头 {len(header)} 列）")
                continue
            if len(record) < len(header):
                # trailing optional cells may be left out (`C,县,,county` under open/close dates)
                if any(c in required for c in header[len(record) :]):
                    self.add(
                        n, "", f"这一行只有 {len(record)} 列，比表头少（表头 {len(header)} 列）"
                    )
                    continue
                record = record + [""] * (len(header) - len(record))
            self.rows.append((n, {**defaults, **{c: record[i].strip() for c, i in index.items()}}))

    def add(self, row: int, column: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(message, file=self.name, row=row, column=column))
        else:
            self.extra += 1

    def all_problems(self) -> list[Problem]:
        if self.extra:
            return [*self.problems, Problem(f"另有 {self.extra} 个问题未列出", file=self.name)]
        return self.problems


def _decode(data: bytes) -> str | None:
    """UTF-8 (with or without BOM), else GBK (GB 18030), as Excel saves CSV in China."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _date(text: str) -> date | None:
    m = _ISO_DATE.match(text)
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def read_orgs(path: str | Path) -> list[Org]:
    """``org_code,name,parent_code,kind[,open_date,close_date]``."""
    rows = _Rows(
        Path(path),
        "org_code,name,parent_code,kind[,open_date,close_date]",
        ["org_code", "parent_code", "kind"],
        ["name", "open_date", "close_date"],
    )
    orgs: list[Org] = []
    seen: dict[str, int] = {}
    for n, r in rows.rows:
        code = r["org_code"]
        if not code:
            rows.add(n, "org_code", "机构编码为空")
            continue
        if code in seen:
            rows.add(n, "org_code", f"机构编码「{code}」重复（另见第 {seen[code]} 行）")
            continue
        seen[code] = n
        dates: dict[str, date | None] = {}
        for col in ("open_date", "close_date"):
            raw = r.get(col, "")
            dates[col] = _date(raw) if raw else None
            if raw and dates[col] is None:
                rows.add(n, col, f"日期「{raw}」无效：应写作 YYYY-MM-DD")
        o, c = dates["open_date"], dates["close_date"]
        if o and c and c < o:
            rows.add(n, "close_date", f"撤销日期 {c} 早于成立日期 {o}")
        orgs.append(Org(code, r["name"], r["parent_code"] or None, r["kind"], o, c))
    parents = {o.code: o.parent for o in orgs}
    for o in orgs:
        if o.parent and o.parent not in parents:
            rows.add(seen[o.code], "parent_code", f"上级编码「{o.parent}」不在机构表中")
    for o in orgs:
        node, steps = o.code, 0
        while node is not None and steps <= len(orgs):
            node = parents.get(node)
            steps += 1
        if steps > len(orgs):
            rows.add(seen[o.code], "parent_code", f"机构「{o.code}」的上级关系形成了环")
            break
    if rows.problems:
        raise ValidationFailed(rows.all_problems())
    return orgs


def _period(rows: _Rows, n: int, raw: str, ds: DataSet) -> Period | None:
    try:
        p = parse_period(raw)
    except ValueError as exc:
        rows.add(n, "period", str(exc))
        return None
    if p.type != ds.period_type:
        rows.add(
            n,
            "period",
            f"统计期「{raw}」是{TYPE_NAMES[p.type]}，而数据集「{ds.code}」按{TYPE_NAMES[ds.period_type]}填报",
        )
        return None
    return p


def _unit(rows: _Rows, n: int, code: str, ds: DataSet, orgs: dict[str, Org]) -> bool:
    org = orgs.get(code)
    if org is None:
        rows.add(n, "org_code", f"机构编码「{code}」不在机构表中")
        return False
    if org.kind not in ds.institution_kinds:
        rows.add(
            n,
            "org_code",
            f"机构「{code}」的类型「{org.kind}」不填报数据集「{ds.code}」（填报类型：{'、'.join(ds.institution_kinds)}）",
        )
        return False
    return True


def parse_value(raw: str, value_type: str) -> Value:
    """The stored value of a cell; ValueError with a Chinese reason when it does not fit."""
    if value_type == "text":
        return raw
    if value_type == "yes_no":
        low = raw.lower()
        if low in _YES:
            return Fraction(1)
        if low in _NO:
            return Fraction(0)
        raise ValueError(f"「{raw}」不是是/否值：应为 yes/no、true/false、1/0 或 是/否")
    if value_type in ("integer", "non_negative_integer"):
        if not _INTEGER.match(raw):
            raise ValueError(f"「{raw}」不是整数")
        v = Fraction(int(raw))
        if value_type == "non_negative_integer" and v < 0:
            raise ValueError(f"「{raw}」是负数：此数据元只接受不小于 0 的整数")
        return v
    try:
        d = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"「{raw}」不是数字") from None
    if not d.is_finite() or "e" in raw.lower():
        raise ValueError(f"「{raw}」不是数字")
    v = Fraction(d)
    if value_type == "percentage" and not 0 <= v <= 100:
        raise ValueError(f"百分比「{raw}」超出 0–100")
    return v


# (org_code, period, element, option or "") -> value
Values = dict[tuple[str, Period, str, str], Value]


def read_values(path: str | Path, ds: DataSet, orgs: list[Org]) -> Values:
    """``org_code,period,element,option,value``; an empty value is "not reported" and skipped."""
    # `option` may be left out when no element of the file has options
    rows = _Rows(
        Path(path),
        "org_code,period,element,option,value",
        ["org_code", "period", "element", "value"],
        ["option"],
    )
    by_code = {o.code: o for o in orgs}
    out: Values = {}
    seen: dict[tuple, int] = {}
    for n, r in rows.rows:
        ok = _unit(rows, n, r["org_code"], ds, by_code) if r["org_code"] else False
        if not r["org_code"]:
            rows.add(n, "org_code", "机构编码为空")
        period = _period(rows, n, r["period"], ds)
        el = ds.elements.get(r["element"])
        option = r["option"]
        if el is None:
            rows.add(n, "element", f"数据集「{ds.code}」没有数据元「{r['element']}」")
            ok = False
        elif el.options and not option:
            rows.add(
                n,
                "option",
                f"数据元「{el.code}」按分类填报，须填写分类（{'、'.join(el.option_codes)}）",
            )
            ok = False
        elif el.options and option not in el.option_codes:
            rows.add(
                n,
                "option",
                f"数据元「{el.code}」没有分类「{option}」（分类：{'、'.join(el.option_codes)}）",
            )
            ok = False
        elif not el.options and option:
            rows.add(n, "option", f"数据元「{el.code}」没有分类，分类列应为空，而不是「{option}」")
            ok = False
        raw = r["value"]
        value = None
        if el is not None and raw:
            try:
                value = parse_value(raw, el.value_type)
            except ValueError as exc:
                rows.add(n, "value", f"{exc}（数据元「{el.code}」，类型 {el.value_type}）")
                ok = False
        if not ok or period is None or not raw:
            continue
        key = (r["org_code"], period, el.code, option)
        if key in seen:
            rows.add(n, "value", f"同一机构、统计期、数据元和分类的值重复（另见第 {seen[key]} 行）")
            continue
        seen[key] = n
        out[key] = value
    if rows.problems:
        raise ValidationFailed(rows.all_problems())
    return out


def read_completions(
    path: str | Path, ds: DataSet, orgs: list[Org]
) -> dict[tuple[str, Period], date]:
    """``org_code,period,completed_at``: when each unit completed the form of a period."""
    rows = _Rows(Path(path), "org_code,period,completed_at", ["org_code", "period", "completed_at"])
    by_code = {o.code: o for o in orgs}
    out: dict[tuple[str, Period], date] = {}
    seen: dict[tuple, int] = {}
    for n, r in rows.rows:
        ok = _unit(rows, n, r["org_code"], ds, by_code)
        period = _period(rows, n, r["period"], ds)
        at = _date(r["completed_at"])
        if at is None:
            rows.add(n, "completed_at", f"完成日期「{r['completed_at']}」无效：应写作 YYYY-MM-DD")
        if not ok or period is None or at is None:
            continue
        key = (r["org_code"], period)
        if key in seen:
            rows.add(n, "period", f"同一机构同一统计期的完成记录重复（另见第 {seen[key]} 行）")
            continue
        seen[key] = n
        out[key] = at
    if rows.problems:
        raise ValidationFailed(rows.all_problems())
    return out
