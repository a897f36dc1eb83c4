"""Indicator definitions loaded from YAML and validated (pydantic for shape, SQLGlot for SQL)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import sqlglot
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlglot import exp

from jiceng.core.errors import Problem, ValidationFailed, file_key

from .schema import TABLES, store_columns

DEFAULT_FILE = Path(__file__).parent / "definitions" / "indicators.yaml"
PARAMS = ("start", "end", "year")
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")

BASE_TABLES: dict[str, set[str]] = {t.name: {c for c, _ in store_columns(t)} for t in TABLES}
BASE_TABLES["closure"] = {"ancestor", "descendant", "distance"}


# A table a record set may leave out; an indicator that requires an absent one has no value.
OPTIONAL_TABLES = ("pregnancies", "vaccinations")


class Setting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # a number or a flag; the immunization schedule is a table: vaccine -> {dose: months}
    default: bool | float | dict[str, dict[int, int]]
    description: str


class Definition(BaseModel):
    """One indicator: code, Chinese name, numerator and denominator SQL."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str
    name_zh: str
    unit: str = "%"
    numerator: str
    denominator: str
    denominator_source: Literal["population", "count"]
    group: str = ""  # a key of the file's groups
    # optional record set tables without which the indicator has no value
    requires: tuple[str, ...] = ()
    version: str = ""

    @field_validator("requires")
    @classmethod
    def _requires(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for name in v:
            if name not in OPTIONAL_TABLES:
                raise ValueError(f"requires: {name} is not an optional table")
        return v

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", v):
            raise ValueError("code must be lower-case letters, digits and _")
        return v


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    groups: dict[str, str] = {}
    settings: dict[str, Setting]
    views: dict[str, str]
    indicators: list[Definition]


@dataclass(frozen=True)
class Registry:
    version: str
    settings: dict[str, Setting]
    views: dict[str, str]  # name -> SQL, in dependency order
    indicators: list[Definition]
    source: Path
    groups: dict[str, str] = field(default_factory=dict)  # code -> Chinese name, in order

    def grouped(self) -> list[Definition]:
        """The indicators in the order of their groups (and of the file within a group)."""
        order = {g: i for i, g in enumerate(self.groups)}
        return sorted(self.indicators, key=lambda d: order.get(d.group, len(order)))

    def get(self, code: str) -> Definition:
        for d in self.indicators:
            if d.code == code:
                return d
        raise KeyError(code)

    def resolve_settings(self, given: dict | None) -> dict[str, Any]:
        """Defaults overlaid with ``given``; unknown names raise ValueError."""
        out = {k: s.default for k, s in self.settings.items()}
        for k, v in (given or {}).items():
            if k not in out:
                raise ValueError(f"未知的指标设置「{k}」（可用：{'、'.join(out)}）")
            if k == "immunization_schedule":
                from .immunization import validate_schedule

                v = {vaccine: dict(doses) for vaccine, doses in validate_schedule(v).items()}
            out[k] = v
        return out


def _sql_literal(v: Any) -> str:
    from datetime import date

    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, date):
        return f"DATE '{v.isoformat()}'"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, dict):  # the immunization schedule, as a table
        rows = ", ".join(
            f"('{vaccine}', {int(dose)}, {int(months)})"
            for vaccine, doses in sorted(v.items())
            for dose, months in sorted(doses.items(), key=lambda x: int(x[0]))
        )
        return f"(SELECT * FROM (VALUES {rows}) AS schedule(vaccine, dose, due_months))"
    raise TypeError(type(v))


def bind(sql: str, params: dict[str, Any]) -> str:
    """Replace :name parameters by SQL literals (dates, numbers, booleans)."""

    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name not in params:
            raise KeyError(name)
        return _sql_literal(params[name])

    return _PARAM.sub(sub, sql)


def _lines(text: str) -> dict[tuple, int]:
    """YAML key path -> line number (1-based) of its value."""
    out: dict[tuple, int] = {}

    def walk(node: yaml.Node, path: tuple) -> None:
        out[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                out[(*path, k.value)] = v.start_mark.line + 1
                walk(v, (*path, k.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, (*path, i))

    root = yaml.compose(text)
    if root is not None:
        walk(root, ())
    return out


def _check_sql(
    sql: str, known: dict[str, set[str]], params: dict[str, Any], aggregate: bool
) -> str | None:
    """Why ``sql`` is not a valid definition query, or None."""
    try:
        bound = bind(sql, params)
    except KeyError as e:
        return f"unknown parameter :{e.args[0]}"
    try:
        tree = sqlglot.parse_one(bound, read="duckdb")
    except sqlglot.errors.ParseError as e:
        return f"SQL does not parse: {str(e).splitlines()[0]}"
    if not isinstance(tree, exp.Query):
        return "SQL must be a SELECT"
    ctes = {c.alias for c in tree.find_all(exp.CTE)}
    aliases = (
        {a.alias for a in tree.find_all(exp.Alias)}
        | {t.alias for t in tree.find_all(exp.TableAlias)}
        | {c.name for t in tree.find_all(exp.TableAlias) for c in t.columns}  # VALUES t(a, b)
    )
    for t in tree.find_all(exp.Table):
        if t.name not in known and t.name not in ctes:
            return f"unknown table {t.name}"
    columns = set().union(*known.values()) | aliases
    for c in tree.find_all(exp.Column):
        if c.name and c.name not in columns and c.name != "*":
            return f"unknown column {c.name}"
    if aggregate:
        names = [s.alias_or_name for s in tree.selects] if isinstance(tree, exp.Select) else []
        if names != ["org_code", "value"]:
            return "a numerator or denominator must select exactly org_code and value"
    return None


def _output_columns(sql: str, params: dict[str, Any]) -> set[str]:
    tree = sqlglot.parse_one(bind(sql, params), read="duckdb")
    if isinstance(tree, exp.Union):
        tree = tree.left
        while isinstance(tree, exp.Union):
            tree = tree.left
    out = set()
    for s in tree.selects:
        if isinstance(s, exp.Star) or (isinstance(s, exp.Column) and isinstance(s.this, exp.Star)):
            out |= {"*"}
        else:
            out.add(s.alias_or_name)
    return out


def load_definitions(path: Path = DEFAULT_FILE) -> Registry:
    """Read and validate a definitions file; ValidationFailed names file, line and field."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    fname = path.name
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ValidationFailed(
            [Problem(f"YAML 语法错误：{e}", fname, mark.line + 1 if mark else None)]
        ) from e
    lines = _lines(text)
    try:
        parsed = _File.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(err["loc"])
            line = next((lines[loc[:i]] for i in range(len(loc), -1, -1) if loc[:i] in lines), None)
            key = ".".join(str(x) for x in loc)
            problems.append(Problem(err["msg"], fname, line, field=key, label=file_key(key)))
        raise ValidationFailed(problems) from e
    params: dict[str, Any] = {"start": __import__("datetime").date(2000, 1, 1)}
    params["end"] = params["start"]
    params["year"] = 2000
    params.update({k: s.default for k, s in parsed.settings.items()})
    problems: list[Problem] = []

    def problem(message: str, path: tuple, key: str) -> None:
        """A problem at the YAML node ``path``, known to the user as ``key``."""
        problems.append(Problem(message, fname, lines.get(path), field=key, label=file_key(key)))

    known = {k: set(v) for k, v in BASE_TABLES.items()}
    for name, sql in parsed.views.items():
        why = _check_sql(sql, known, params, aggregate=False)
        if why:
            problem(why, ("views", name), f"views.{name}")
            continue
        cols = _output_columns(sql, params)
        if "*" in cols:
            cols = set().union(*known.values()) | cols
        known[name] = cols
    seen = set()
    for i, d in enumerate(parsed.indicators):
        if d.code in seen:
            problem(
                f"duplicate indicator code {d.code}",
                ("indicators", i, "code"),
                f"indicators[{i}].code",
            )
        seen.add(d.code)
        if parsed.groups and d.group not in parsed.groups:
            problem(
                f"unknown group {d.group} (groups: {', '.join(parsed.groups)})",
                ("indicators", i, "group"),
                f"indicators[{i}].group",
            )
        for part in ("numerator", "denominator"):
            why = _check_sql(getattr(d, part), known, params, aggregate=True)
            if why:
                problem(why, ("indicators", i, part), f"{d.code}.{part}")
    if problems:
        raise ValidationFailed(problems)
    indicators = [
        d.model_copy(update={"version": d.version or parsed.version}) for d in parsed.indicators
    ]
    return Registry(
        parsed.version, parsed.settings, parsed.views, indicators, path, dict(parsed.groups)
    )


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The built-in indicator definitions."""
    return load_definitions(DEFAULT_FILE)
