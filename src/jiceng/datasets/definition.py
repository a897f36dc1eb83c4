"""Data set definitions: one YAML or JSON file per data set version (``docs/aggregate-data.md``).

:func:`parse_dataset` reads the file into a frozen :class:`DataSet` or raises
:class:`ValidationFailed` with *every* problem found, each naming the file, the line and
the field. Keys the format does not know are reported as warnings, never as errors, so
that a file written for a later version still loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any

from jiceng.core.errors import Problem, ValidationFailed
from jiceng.core.fieldcheck import FieldChecker
from jiceng.core.yamllines import Locator, Path_, line_locator, line_map, load_with_lines

from .expressions import Expression, ExpressionError, Ref, parse_expression
from .periods import PERIOD_TYPES

VALUE_TYPES = ("integer", "non_negative_integer", "number", "percentage", "yes_no", "text")
AGGREGATIONS = ("sum", "average", "last", "none")
OPERATORS = ("==", "!=", ">", ">=", "<", "<=")
IMPORTANCE = ("high", "medium", "low")
MISSING = ("skip_if_any_missing", "skip_if_all_missing", "never_skip")
DEFAULT_DUE_DAYS = 10
# Codes starting with "_" name the computed rows of the aggregate output (_completeness…).
RESERVED_PREFIX = "_"
_TARGET = re.compile(r"^(>=|<=|≥|≤|＞＝|＜＝)?\s*(-?\d+(?:\.\d+)?)\s*%?$")
_BAD_CODE_CHARS = set(".{}#,\"' \t\n")


_KNOWN_KEYS = {
    "dataset": {
        "code",
        "version",
        "name",
        "period_type",
        "institution_kinds",
        "due_days",
        "sections",
        "data_elements",
        "elements",
        "indicators",
        "validation_rules",
        "description",
    },
    "section": {"code", "name", "title", "elements", "data_elements", "description"},
    "element": {
        "code",
        "name",
        "value_type",
        "aggregation",
        "options",
        "zero_is_significant",
        "description",
        "short_name",
    },
    "option": {"code", "name"},
    "indicator": {"code", "name", "numerator", "denominator", "factor", "target", "description"},
    "rule": {
        "code",
        "name",
        "left",
        "operator",
        "right",
        "importance",
        "missing",
        "message",
        "description",
    },
}


@dataclass(frozen=True)
class Option:
    code: str
    name: str


@dataclass(frozen=True)
class Element:
    """A data element; ``options`` empty when it has no disaggregation."""

    code: str
    name: str
    value_type: str
    aggregation: str
    options: tuple[Option, ...] = ()
    zero_is_significant: bool = False
    section: str = ""

    @property
    def option_codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)


@dataclass(frozen=True)
class Section:
    code: str
    name: str
    elements: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    """An indicator's optional target: ``>=`` (at least, the default) or ``<=`` a value."""

    operator: str
    value: Fraction

    def met_by(self, value: Fraction | None) -> bool | None:
        """Whether ``value`` meets the target (None when there is no value)."""
        if value is None:
            return None
        return value >= self.value if self.operator == ">=" else value <= self.value

    @property
    def text(self) -> str:
        from .engine import format_value

        return f"{'≥' if self.operator == '>=' else '≤'} {format_value(self.value)}"


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    numerator: Expression
    denominator: Expression
    factor: Fraction
    target: Target | None = None


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    left: Expression
    operator: str
    right: Expression
    importance: str = "medium"
    missing: str = "skip_if_any_missing"
    message: str = ""

    @property
    def refs(self) -> list[Ref]:
        return list(self._refs)

    @cached_property
    def _refs(self) -> tuple[Ref, ...]:  # both sides are frozen: found once
        return tuple(dict.fromkeys([*self.left.refs, *self.right.refs]))


@dataclass(frozen=True)
class DataSet:
    code: str
    version: str
    name: str
    period_type: str
    institution_kinds: tuple[str, ...]
    due_days: int
    sections: tuple[Section, ...]
    elements: dict[str, Element]
    indicators: tuple[Indicator, ...] = ()
    rules: tuple[Rule, ...] = ()
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    def element_list(self) -> list[Element]:
        """The elements in form order."""
        return list(self.elements.values())


# ---------------------------------------------------------------- reading the file


# Keys whose number-looking values are text as written ("1.10", "2025", "100").
RAW_TEXT_KEYS = {"code", "version", "numerator", "denominator", "left", "right", "name", "target"}


def parse_dataset(text: str, filename: str) -> DataSet:
    """Parse and validate a YAML or JSON data set definition."""
    data, node = load_with_lines(
        text,
        filename,
        RAW_TEXT_KEYS,
        bad_json=lambda reason: f"不是有效的 JSON：{reason}",
        bad_yaml=lambda reason: f"不是有效的 YAML：{reason}",
    )
    if node is None:
        raise ValidationFailed([Problem("数据集定义文件是空的", file=filename)])
    lines: dict[Path_, int] = {}
    dups: list = []
    line_map(node, (), lines, dups)
    checker = _Checker(data, filename, line_locator(lines))
    for path, first, _row in dups:
        checker.problem(path, f"字段「{path[-1]}」写了两次（另见第 {first} 行）")
    return checker.dataset()


def load_dataset_file(path: str | Path) -> DataSet:
    """Read a definition from disk: .xlsx through the Excel layout, else YAML/JSON."""
    path = Path(path)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        from .excel import read_dataset_excel

        return read_dataset_excel(path.read_bytes(), path.name)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed([Problem("文件不是 UTF-8 编码的文本", file=path.name)]) from None
    return parse_dataset(text, path.name)


def sample_dataset_paths() -> list[Path]:
    """The sample data set definitions shipped with jiceng."""
    return sorted((Path(__file__).parent / "definitions").glob("*.yaml"))


# ---------------------------------------------------------------- validation


class _Checker(FieldChecker):
    """Walks the parsed data, collecting every problem with its line and field."""

    known_keys = _KNOWN_KEYS
    bad_code_chars = _BAD_CODE_CHARS

    def __init__(self, data: Any, filename: str, locate: Locator):
        super().__init__(data, filename, locate)
        self.element_codes: dict[str, Path_] = {}

    def code_problem(self, value: str, what: str) -> str | None:
        if value.startswith(RESERVED_PREFIX):
            return f"{what}编码「{value}」不能以「_」开头（留给完整率等计算行）"
        return None

    def choice(
        self, obj: dict, key: str, path: Path_, allowed: tuple[str, ...], what: str, default=None
    ) -> str | None:
        value = obj.get(key)
        if value is None:
            if default is None:
                self.problem(path + (key,), "必填字段缺失或为空")
            return default
        text = str(value).strip()
        if text not in allowed:
            self.problem(path + (key,), f"未知的{what}「{text}」：应为 {'、'.join(allowed)} 之一")
            return None
        return text

    def expression(self, obj: dict, key: str, path: Path_, default: str | None = None):
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if default is not None:
                return parse_expression(default)
            self.problem(path + (key,), "必填字段缺失或为空")
            return None
        try:
            return parse_expression(value)
        except ExpressionError as exc:
            self.problem(path + (key,), str(exc))
            return None

    # -- the whole data set

    def dataset(self) -> DataSet:
        data = self.data
        top = self.mapping(data, (), "dataset")
        if top is None:
            raise ValidationFailed(self.problems)
        code = self.code(top, "code", (), "数据集")
        version = self.text(top, "version", ())
        name = self.text(top, "name", ())
        period_type = self.choice(top, "period_type", (), PERIOD_TYPES, "报告周期")
        kinds = self.kinds(top)
        due_days = self.due_days(top)
        elements, sections = self.elements(top)
        element_paths = {code_: path for code_, (_e, path) in elements.items()}
        element_map = {c: e for c, (e, _p) in elements.items()}
        indicators = self.indicators(top, element_map, element_paths)
        rules = self.rules(top, element_map)
        if self.problems:
            self.problems.sort(key=lambda p: (p.row is None, p.row or 0))
            raise ValidationFailed(self.problems)
        return DataSet(
            code=code,
            version=version,
            name=name,
            period_type=period_type,
            institution_kinds=tuple(kinds),
            due_days=due_days,
            sections=tuple(sections),
            elements=element_map,
            indicators=tuple(indicators),
            rules=tuple(rules),
            warnings=tuple(self.warnings),
        )

    def kinds(self, top: dict) -> list[str]:
        value = top.get("institution_kinds")
        path = ("institution_kinds",)
        if isinstance(value, str):
            value = [p for p in value.replace("、", ",").replace("，", ",").split(",") if p.strip()]
        if value is None or value == []:
            self.problem(path, "必填字段缺失或为空：请列出填报此数据集的机构类型")
            return []
        if not isinstance(value, list):
            self.problem(path, "应为机构类型列表")
            return []
        out = []
        for i, k in enumerate(value):
            if not isinstance(k, str) or not k.strip():
                self.problem(path + (i,), "机构类型应为非空文本")
                continue
            if k.strip() in out:
                self.problem(path + (i,), f"机构类型「{k.strip()}」重复")
                continue
            out.append(k.strip())
        return out

    def due_days(self, top: dict) -> int:
        value = top.get("due_days", DEFAULT_DUE_DAYS)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(("due_days",), f"截止天数应为不小于 0 的整数，而不是「{value}」")
            return DEFAULT_DUE_DAYS
        return value

    def elements(self, top: dict):
        """{code: (Element, path)} and the sections, in form order."""
        found: dict[str, tuple[Element, Path_]] = {}
        loose: list[tuple[Any, Path_]] = []
        for key in ("data_elements", "elements"):
            value = top.get(key)
            if value is None:
                continue
            if not isinstance(value, list):
                self.problem((key,), "应为数据元列表")
                continue
            loose.extend((e, (key, i)) for i, e in enumerate(value))
        by_code_loose = {}
        for entry, path in loose:
            el = self.element(entry, path, "")
            if el is not None:
                found[el.code] = (el, path)
                by_code_loose[el.code] = el
        sections: list[Section] = []
        raw_sections = top.get("sections")
        if raw_sections is None and not loose:
            self.problem(("sections",), "必填字段缺失或为空：数据集至少要有一个分组（sections）")
        elif raw_sections is not None and not isinstance(raw_sections, list):
            self.problem(("sections",), "应为分组列表")
            raw_sections = []
        placed: set[str] = set()
        for si, sec in enumerate(raw_sections or []):
            spath: Path_ = ("sections", si)
            sec_map = self.mapping(sec, spath, "section")
            if sec_map is None:
                continue
            scode = self.text(sec_map, "code", spath, required=False) or str(si + 1)
            sname = (
                self.text(sec_map, "name", spath, required=False)
                or self.text(sec_map, "title", spath, required=False)
                or scode
            )
            key = "elements" if "elements" in sec_map else "data_elements"
            entries = sec_map.get(key)
            if not isinstance(entries, list) or not entries:
                self.problem(spath + (key,), "分组至少要有一个数据元")
                continue
            codes: list[str] = []
            for ei, entry in enumerate(entries):
                epath = spath + (key, ei)
                if isinstance(entry, str | int) and not isinstance(entry, bool):
                    ref = str(entry).strip()
                    if ref not in by_code_loose and ref in self.element_codes:
                        continue  # defined with problems of its own, reported there
                    if ref not in by_code_loose:
                        self.problem(epath, f"分组引用了未定义的数据元「{ref}」")
                        continue
                    if ref in placed:
                        self.problem(epath, f"数据元「{ref}」已放在另一个分组里")
                        continue
                    found[ref] = (
                        replace(by_code_loose[ref], section=scode),
                        found[ref][1],
                    )
                    codes.append(ref)
                    placed.add(ref)
                    continue
                el = self.element(entry, epath, scode)
                if el is not None:
                    found[el.code] = (el, epath)
                    codes.append(el.code)
                    placed.add(el.code)
            sections.append(Section(scode, sname, tuple(codes)))
        unplaced = [c for c in by_code_loose if c not in placed]
        if unplaced:
            sections.append(Section("", "", tuple(unplaced)))
        if not found and not self.problems:
            self.problem(("sections",), "数据集没有任何数据元")
        in_form_order = {code: found[code] for sec in sections for code in sec.elements}
        return in_form_order, sections

    def element(self, entry: Any, path: Path_, section: str) -> Element | None:
        obj = self.mapping(entry, path, "element")
        if obj is None:
            return None
        code = self.code(obj, "code", path, "数据元")
        if code is not None:
            if code in self.element_codes:
                first = self.locate(self.element_codes[code])[0]
                self.problem(path + ("code",), f"数据元编码「{code}」重复（另见第 {first} 行）")
                code = None
            else:
                self.element_codes[code] = path + ("code",)
        name = self.text(obj, "name", path)
        value_type = self.choice(obj, "value_type", path, VALUE_TYPES, "值类型")
        aggregation = self.choice(obj, "aggregation", path, AGGREGATIONS, "汇总方式")
        if value_type == "text" and aggregation not in (None, "none"):
            self.problem(
                path + ("aggregation",),
                f"文本（text）数据元不能汇总：汇总方式应为 none，而不是「{aggregation}」",
            )
            aggregation = None
        options = self.options(obj.get("options"), path + ("options",))
        zero = obj.get("zero_is_significant", False)
        if not isinstance(zero, bool):
            self.problem(path + ("zero_is_significant",), "应为 true 或 false")
            zero = False
        if None in (code, name, value_type, aggregation) or options is None:
            return None
        return Element(code, name, value_type, aggregation, tuple(options), zero, section)

    def options(self, value: Any, path: Path_) -> list[Option] | None:
        if value is None:
            return []
        if isinstance(value, dict) and value:  # {code: name, ...}
            value = [
                {"code": k, "name": v if isinstance(v, str) else str(k)} for k, v in value.items()
            ]
        if not isinstance(value, list) or not value:
            self.problem(path, "分类（options）应为非空列表，每项有 code 和 name")
            return None
        out: list[Option] = []
        ok = True
        seen: dict[str, int] = {}
        for i, entry in enumerate(value):
            opath = path + (i,)
            if isinstance(entry, str | int) and not isinstance(entry, bool):
                code = name = str(entry).strip()
            else:
                obj = self.mapping(entry, opath, "option")
                if obj is None:
                    ok = False
                    continue
                code = self.code(obj, "code", opath, "分类")
                name = self.text(obj, "name", opath, required=False) or code
            if not code:
                ok = False
                continue
            if any(c in _BAD_CODE_CHARS or c.isspace() for c in code):
                self.problem(opath, f"分类编码「{code}」含有不允许的字符")
                ok = False
                continue
            if code in seen:
                self.problem(opath, f"分类编码「{code}」重复（另见第 {seen[code]} 行）")
                ok = False
                continue
            seen[code] = self.locate(opath)[0]
            out.append(Option(code, name))
        return out if ok else None

    def check_refs(
        self, expr: Expression | None, path: Path_, elements: dict[str, Element]
    ) -> bool:
        if expr is None:
            return False
        ok = True
        for ref in expr.refs:
            el = elements.get(ref.element)
            if el is None and ref.element in self.element_codes:
                ok = False  # defined, but with problems of its own (reported there)
            elif el is None:
                self.problem(path, f"表达式引用了未定义的数据元「{ref.element}」（{ref}）")
                ok = False
            elif ref.option is not None and ref.option not in el.option_codes:
                known = "、".join(el.option_codes) or "无分类"
                self.problem(
                    path, f"数据元「{el.code}」没有分类「{ref.option}」（{ref}）；它的分类：{known}"
                )
                ok = False
            elif el.value_type == "text":
                self.problem(path, f"文本数据元「{el.code}」不能用于计算（{ref}）")
                ok = False
        return ok

    def indicators(self, top: dict, elements: dict[str, Element], element_paths) -> list[Indicator]:
        value = top.get("indicators")
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(("indicators",), "应为指标列表")
            return []
        out: list[Indicator] = []
        seen: dict[str, int | None] = {}
        for i, entry in enumerate(value):
            path: Path_ = ("indicators", i)
            obj = self.mapping(entry, path, "indicator")
            if obj is None:
                continue
            code = self.code(obj, "code", path, "指标")
            name = self.text(obj, "name", path)
            num = self.expression(obj, "numerator", path)
            den = self.expression(obj, "denominator", path, default="1")
            ok = self.check_refs(num, path + ("numerator",), elements)
            ok = self.check_refs(den, path + ("denominator",), elements) and ok
            factor = self.factor(obj, path)
            target = self.target(obj, path)
            if code is not None:
                if code in elements:
                    first = self.locate(element_paths[code])[0]
                    self.problem(
                        path + ("code",), f"指标编码「{code}」与数据元编码重复（另见第 {first} 行）"
                    )
                    code = None
                elif code in seen:
                    self.problem(
                        path + ("code",), f"指标编码「{code}」重复（另见第 {seen[code]} 行）"
                    )
                    code = None
                else:
                    seen[code] = self.locate(path + ("code",))[0]
            if ok and None not in (code, name, factor) and target is not False:
                out.append(Indicator(code, name, num, den, factor, target or None))
        return out

    def target(self, obj: dict, path: Path_) -> Target | None | bool:
        """``target``: a number (at least), or ``>= 90`` / ``<= 5`` (also ≥ ≤); False when bad."""
        value = obj.get("target")
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip()
        m = _TARGET.match(text) if not isinstance(value, bool) else None
        if m is None:
            self.problem(
                path + ("target",), f"目标值应为数字，或写作「>= 90」「<= 5」，而不是「{value}」"
            )
            return False
        op = {"≥": ">=", "＞＝": ">=", "≤": "<=", "＜＝": "<="}.get(m.group(1), m.group(1) or ">=")
        try:
            number = Fraction(Decimal(m.group(2)))
        except (InvalidOperation, ValueError):
            self.problem(path + ("target",), f"目标值「{value}」不是数字")
            return False
        return Target(op, number)

    def factor(self, obj: dict, path: Path_) -> Fraction | None:
        value = obj.get("factor", 1)
        if isinstance(value, bool):
            value = None
        try:
            f = Fraction(Decimal(str(value).strip()))
        except (InvalidOperation, ValueError, TypeError):
            self.problem(path + ("factor",), f"系数应为数字（百分比写 100），而不是「{value}」")
            return None
        if f == 0:
            self.problem(path + ("factor",), "系数不能为 0")
            return None
        return f

    def rules(self, top: dict, elements: dict[str, Element]) -> list[Rule]:
        value = top.get("validation_rules")
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(("validation_rules",), "应为校验规则列表")
            return []
        out: list[Rule] = []
        seen: dict[str, int | None] = {}
        for i, entry in enumerate(value):
            path: Path_ = ("validation_rules", i)
            obj = self.mapping(entry, path, "rule")
            if obj is None:
                continue
            code = self.code(obj, "code", path, "校验规则")
            name = self.text(obj, "name", path, required=False) or code
            left = self.expression(obj, "left", path)
            right = self.expression(obj, "right", path)
            ok = self.check_refs(left, path + ("left",), elements)
            ok = self.check_refs(right, path + ("right",), elements) and ok
            operator = self.choice(obj, "operator", path, OPERATORS, "运算符")
            importance = self.choice(obj, "importance", path, IMPORTANCE, "重要程度", "medium")
            missing = self.choice(
                obj, "missing", path, MISSING, "缺失值策略", "skip_if_any_missing"
            )
            message = self.text(obj, "message", path, required=False) or name or ""
            if code is not None:
                if code in seen:
                    self.problem(
                        path + ("code",), f"校验规则编码「{code}」重复（另见第 {seen[code]} 行）"
                    )
                    code = None
                else:
                    seen[code] = self.locate(path + ("code",))[0]
            if ok and None not in (code, operator, importance, missing):
                out.append(Rule(code, name, left, operator, right, importance, missing, message))
        return out
