"""Catalog files: the schema of a service capability standard and its validation.

A catalog is one YAML or JSON file (format in ``docs/standards.md``). :func:`parse_catalog`
turns it into a frozen :class:`CatalogSpec` or raises :class:`ValidationFailed` with
*every* problem found, each naming the file, the line and the field. The Excel layout
(one row per item) is read by :func:`parse_catalog_excel` into the same structure and
checked by the same rules, with problems naming sheet, row and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from jiceng.core.errors import Problem, ValidationFailed, file_key
from jiceng.core.yamllines import Locator, Path_, line_locator, line_map, load_with_lines

DATA_DIR = Path(__file__).parent / "data"
NA = "NA"
NA_WORD = "不适用"
TIERS = ("basic", "recommended")
TIER_ALIASES = {
    "basic": "basic",
    "基本": "basic",
    "基本标准": "basic",
    "recommended": "recommended",
    "推荐": "recommended",
    "推荐标准": "recommended",
}
# Assessment methods (评价方法). An item may combine several, joined by "、".
METHODS = ("资料查阅", "现场查看", "人员访谈", "患者访谈", "现场演练", "操作考核", "系统查询")
METHOD_SEPARATORS = re.compile(r"[、，,/；;\s]+")


def _kinds() -> list[str]:
    from jiceng.orgs.models import Kind

    return [k.value for k in Kind]


def _fail(message: str) -> PydanticCustomError:
    # Braces would be read as placeholders by pydantic; translated messages carry none.
    return PydanticCustomError("jiceng", message.replace("{", "(").replace("}", ")"))


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class GradeSpec(_Spec):
    """One grade of the scale, e.g. ``A`` (优秀), meets the item."""

    grade: str = Field(min_length=1, max_length=16)
    label: str = ""
    meets: bool

    @field_validator("grade", mode="before")
    @classmethod
    def _grade_text(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip().upper() in {NA, "N/A"}:
            raise _fail(_("'NA' is reserved for not applicable and cannot be a grade."))
        return value


class ItemSpec(_Spec):
    """One item (条款). ``chapter`` and ``section`` are the codes of its chapter and section."""

    code: str = Field(min_length=1, max_length=32)
    text: str = Field(min_length=1)
    tier: str
    core: bool = False
    na_allowed: bool = False
    evidence: str = ""
    method: str = ""
    # Filled from the enclosing chapter and section; never written in the file.
    chapter: str = ""
    chapter_title: str = ""
    section: str = ""
    section_title: str = ""

    @field_validator("code", mode="before")
    @classmethod
    def _code_text(cls, value: Any) -> Any:
        return _code(value)

    @field_validator("tier", mode="before")
    @classmethod
    def _tier(cls, value: Any) -> str:
        key = str(value).strip() if value is not None else ""
        if key.lower() in TIER_ALIASES:
            return TIER_ALIASES[key.lower()]
        if key in TIER_ALIASES:
            return TIER_ALIASES[key]
        raise _fail(
            _("Unknown tier '%(tier)s': it must be basic (基本) or recommended (推荐).")
            % {"tier": key}
        )

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        parts = list(dict.fromkeys(p for p in METHOD_SEPARATORS.split(value) if p))
        unknown = [p for p in parts if p not in METHODS]
        if unknown:
            raise _fail(
                _("Unknown assessment method '%(method)s'; known methods: %(known)s.")
                % {"method": "、".join(unknown), "known": "、".join(METHODS)}
            )
        return "、".join(parts)

    @property
    def is_basic(self) -> bool:
        return self.tier == "basic"


class SectionSpec(_Spec):
    code: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=128)
    items: list[ItemSpec] = Field(min_length=1)

    @field_validator("code", mode="before")
    @classmethod
    def _code_text(cls, value: Any) -> Any:
        return _code(value)


class ChapterSpec(_Spec):
    code: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=128)
    sections: list[SectionSpec] = Field(min_length=1)

    @field_validator("code", mode="before")
    @classmethod
    def _code_text(cls, value: Any) -> Any:
        return _code(value)


class CatalogSpec(_Spec):
    """A whole catalog version, validated. ``items`` lists every item in file order."""

    code: str = Field(min_length=1, max_length=64)
    version: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=255)
    edition: str = Field(default="", max_length=64)
    institution_kinds: list[str] = Field(min_length=1)
    scale: list[GradeSpec] = Field(min_length=1)
    basic_threshold: Decimal = Decimal("0.80")
    recommended_threshold: Decimal = Decimal("0.80")
    chapters: list[ChapterSpec] = Field(min_length=1)

    @field_validator("code", "version", "edition", mode="before")
    @classmethod
    def _code_text(cls, value: Any) -> Any:
        return _code(value)

    @field_validator("institution_kinds", mode="before")
    @classmethod
    def _kinds_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [p for p in METHOD_SEPARATORS.split(value) if p]
        return value

    @field_validator("institution_kinds")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        known = _kinds()
        unknown = [k for k in value if k not in known]
        if unknown:
            raise _fail(
                _("Unknown institution type '%(kind)s'; known types: %(known)s.")
                % {"kind": "、".join(unknown), "known": ", ".join(known)}
            )
        return value

    @field_validator("basic_threshold", "recommended_threshold", mode="before")
    @classmethod
    def _threshold_number(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise _fail(_("A threshold must be a number between 0 and 1."))
        if isinstance(value, float):
            return Decimal(str(value))
        if isinstance(value, str):
            text = value.strip()
            try:
                if text.endswith("%"):
                    return Decimal(text[:-1].strip()) / 100
                return Decimal(text)
            except InvalidOperation:
                raise _fail(_("A threshold must be a number between 0 and 1.")) from None
        return value

    @field_validator("basic_threshold", "recommended_threshold")
    @classmethod
    def _threshold_range(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or value < 0 or value > 1:
            raise _fail(
                _("The threshold %(value)s is outside 0–1 (write 0.8 for 80%%).") % {"value": value}
            )
        return value

    @field_validator("scale")
    @classmethod
    def _scale_meets(cls, value: list[GradeSpec]) -> list[GradeSpec]:
        if value and not any(g.meets for g in value):
            raise _fail(_("No grade of the scale meets the item: mark at least one meets: true."))
        return value

    @cached_property
    def items(self) -> list[ItemSpec]:
        out = []
        for ch in self.chapters:
            for sec in ch.sections:
                for item in sec.items:
                    out.append(
                        item.model_copy(
                            update={
                                "chapter": ch.code,
                                "chapter_title": ch.title,
                                "section": sec.code,
                                "section_title": sec.title,
                            }
                        )
                    )
        return out

    @cached_property
    def item_map(self) -> dict[str, ItemSpec]:
        return {i.code: i for i in self.items}

    @cached_property
    def grades(self) -> dict[str, GradeSpec]:
        return {g.grade: g for g in self.scale}

    def meets(self, grade: str) -> bool:
        """Whether ``grade`` meets an item; NA never does. Unknown grades raise KeyError."""
        if grade == NA:
            return False
        return self.grades[grade].meets

    def normalize_grade(self, raw: str) -> str | None:
        """A grade as people type it (' b', 'n/a', '不适用') → the scale's grade or NA; None if unknown."""
        text = str(raw).strip()
        if text.upper() in {NA, "N/A"} or text == NA_WORD:
            return NA
        if text in self.grades:
            return text
        folded = {g.casefold(): g for g in self.grades}
        return folded.get(text.casefold())

    def summary(self) -> list[dict[str, Any]]:
        """Counts of items per chapter and tier (core and N/A-allowed included)."""
        rows = []
        for ch in self.chapters:
            items = [i for s in ch.sections for i in s.items]
            row: dict[str, Any] = {"chapter": ch.code, "title": ch.title, "items": len(items)}
            for tier in TIERS:
                tier_items = [i for i in items if i.tier == tier]
                row[tier] = len(tier_items)
                row[f"{tier}_core"] = sum(1 for i in tier_items if i.core)
            row["na_allowed"] = sum(1 for i in items if i.na_allowed)
            rows.append(row)
        return rows

    def to_source(self) -> dict[str, Any]:
        """The file form of this catalog (what :func:`parse_catalog` reads back)."""
        data = self.model_dump(mode="json")
        data["basic_threshold"] = str(self.basic_threshold)
        data["recommended_threshold"] = str(self.recommended_threshold)
        for ch in data["chapters"]:
            for sec in ch["sections"]:
                for item in sec["items"]:
                    for key in ("chapter", "chapter_title", "section", "section_title"):
                        item.pop(key, None)
        return data

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_source(), allow_unicode=True, sort_keys=False, width=100)


def _code(value: Any) -> Any:
    """Codes and versions may be written as bare numbers in YAML (``version: 2022``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    return value


# ---------------------------------------------------------------- error messages


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    if kind == "jiceng":
        return err["msg"]
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field; check its spelling.")
    if kind in {"string_type", "string_sub_type"}:
        return _("Must be text.")
    if kind in {"bool_type", "bool_parsing"}:
        return _("Must be true or false.")
    if kind == "list_type":
        return _("Must be a list.")
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return _("Must be a mapping of fields (key: value).")
    if kind.startswith("decimal") or kind.startswith("float") or kind.startswith("int"):
        return _("Must be a number.")
    if kind == "string_too_short":
        return _("Must not be empty.")
    if kind == "string_too_long":
        return _("Too long: at most %(n)s characters.") % {
            "n": err.get("ctx", {}).get("max_length")
        }
    if kind == "too_short":
        return _("Must not be empty.")
    return _("Invalid value (%(detail)s).") % {"detail": err.get("msg", kind)}


def _field_name(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _nice_field(data: Any, loc: Path_) -> str:
    """A field path readable by people: items are named by their code when known."""
    out = ""
    node = data
    for part in loc:
        label = None
        if isinstance(part, int):
            entry = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(entry, dict) and isinstance(
                entry.get("code") or entry.get("grade"), str | int
            ):
                label = f"[{entry.get('code') or entry.get('grade')}]"
            else:
                label = f"[{part + 1}]"
            node = entry
        else:
            label = ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
        out += label
    return out


# ---------------------------------------------------------------- validation


def _cross_checks(data: Any, locate: Locator, filename: str) -> list[Problem]:
    """Checks across entries that a field validator cannot see: duplicates."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return problems

    def problem(msg: str, path: Path_) -> Problem:
        row, column = locate(path)
        nice = _nice_field(data, path)
        return Problem(msg, file=filename, row=row, column=column, field=nice, label=file_key(nice))

    scale = data.get("scale")
    if isinstance(scale, list):
        seen: dict[str, Path_] = {}
        for i, g in enumerate(scale):
            if isinstance(g, dict) and g.get("grade") is not None:
                grade = str(g["grade"]).strip()
                path = ("scale", i, "grade")
                if grade in seen:
                    first_row = locate(seen[grade])[0]
                    problems.append(
                        problem(
                            _(
                                "Grade '%(grade)s' appears twice in the scale (also at line %(row)s)."
                            )
                            % {"grade": grade, "row": first_row},
                            path,
                        )
                    )
                else:
                    seen[grade] = path
    chapters = data.get("chapters")
    if not isinstance(chapters, list):
        return problems
    seen_items: dict[str, Path_] = {}
    seen_chapters: dict[str, Path_] = {}
    seen_sections: dict[str, Path_] = {}
    for ci, ch in enumerate(chapters):
        if not isinstance(ch, dict):
            continue
        if ch.get("code") is not None:
            _dup(
                str(_code(ch["code"])).strip(),
                ("chapters", ci, "code"),
                seen_chapters,
                _("Chapter code '%(code)s' is used twice (lines %(first)s and %(row)s)."),
                problems,
                problem,
                locate,
            )
        sections = ch.get("sections")
        if not isinstance(sections, list):
            continue
        for si, sec in enumerate(sections):
            if not isinstance(sec, dict):
                continue
            if sec.get("code") is not None:
                _dup(
                    str(_code(sec["code"])).strip(),
                    ("chapters", ci, "sections", si, "code"),
                    seen_sections,
                    _("Section code '%(code)s' is used twice (lines %(first)s and %(row)s)."),
                    problems,
                    problem,
                    locate,
                )
            items = sec.get("items")
            if not isinstance(items, list):
                continue
            for ii, item in enumerate(items):
                if isinstance(item, dict) and item.get("code") is not None:
                    _dup(
                        str(_code(item["code"])).strip(),
                        ("chapters", ci, "sections", si, "items", ii, "code"),
                        seen_items,
                        _("Item code '%(code)s' is used twice (lines %(first)s and %(row)s)."),
                        problems,
                        problem,
                        locate,
                    )
    return problems


def _dup(code, path, seen, template, problems, problem, locate) -> None:
    if not code:
        return
    if code in seen:
        first = locate(seen[code])[0]
        row = locate(path)[0]
        problems.append(problem(template % {"code": code, "first": first, "row": row}, path))
    else:
        seen[code] = path


def validate_catalog_data(data: Any, locate: Locator, filename: str) -> CatalogSpec:
    """Validate parsed catalog data; ``locate(path)`` gives (row, column) of a field."""
    if not isinstance(data, dict):
        raise ValidationFailed(
            [
                Problem(
                    _("A catalog file must be a mapping of fields (code: …, title: …)."),
                    file=filename,
                    row=1,
                )
            ]
        )
    problems = _cross_checks(data, locate, filename)
    spec = None
    try:
        spec = CatalogSpec.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            row, column = locate(loc)
            problems.append(
                Problem(
                    _message(err),
                    file=filename,
                    row=row,
                    column=column,
                    field=_nice_field(data, loc),
                    label=file_key(_nice_field(data, loc)),
                )
            )
    if problems:
        problems.sort(key=lambda p: (p.row is None, p.row or 0))
        raise ValidationFailed(problems)
    assert spec is not None
    return spec


# ---------------------------------------------------------------- YAML / JSON


# Fields whose numbers-looking values are codes: keep the text as written ("1.10", "2022").
RAW_TEXT_KEYS = {"code", "version", "edition", "grade"}


def parse_catalog(text: str, filename: str) -> CatalogSpec:
    """Parse and validate a YAML or JSON catalog; every problem names line and field."""
    data, node = load_with_lines(
        text,
        filename,
        RAW_TEXT_KEYS,
        bad_json=lambda reason: _("Not valid JSON: %(reason)s.") % {"reason": reason},
        bad_yaml=lambda reason: _("Not valid YAML: %(reason)s.") % {"reason": reason},
    )
    if node is None:
        raise ValidationFailed([Problem(_("The catalog file is empty."), file=filename)])
    lines: dict[Path_, int] = {}
    dups: list = []
    line_map(node, (), lines, dups)
    dup_problems = [
        Problem(
            _("Field '%(key)s' is written twice (lines %(first)s and %(row)s).")
            % {"key": path[-1], "first": first, "row": row},
            file=filename,
            row=row,
            field=_field_name(path),
            label=file_key(_field_name(path)),
        )
        for path, first, row in dups
    ]
    try:
        spec = validate_catalog_data(data, line_locator(lines), filename)
    except ValidationFailed as exc:
        problems = sorted(dup_problems + exc.problems, key=lambda p: (p.row is None, p.row or 0))
        raise ValidationFailed(problems) from None
    if dup_problems:
        raise ValidationFailed(dup_problems)
    return spec


def load_catalog_file(path: str | Path) -> CatalogSpec:
    """Read a catalog from disk: .xlsx through the Excel layout, anything else as YAML/JSON."""
    path = Path(path)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return parse_catalog_excel(path.read_bytes(), path.name)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            [Problem(_("The file is not UTF-8 text."), file=path.name)]
        ) from None
    return parse_catalog(text, path.name)


def sample_catalog_paths() -> dict[str, Path]:
    """The sample catalogs shipped with jiceng, by institution kind."""
    return {
        "township_hc": DATA_DIR / "township_hc.yaml",
        "community_hc": DATA_DIR / "community_hc.yaml",
        "village_clinic": DATA_DIR / "village_clinic.yaml",
        "community_station": DATA_DIR / "village_clinic.yaml",
    }


def parse_catalog_upload(data: bytes, filename: str) -> tuple[CatalogSpec, str]:
    """(spec, source text) of an uploaded file: .xlsx by its layout, else UTF-8 YAML/JSON.

    The source text is empty for Excel (the platform then stores the catalog as YAML).
    """
    if filename.lower().endswith((".xlsx", ".xlsm")):
        return parse_catalog_excel(data, filename), ""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed([Problem(_("The file is not UTF-8 text."), file=filename)]) from None
    return parse_catalog(text, filename), text


def parse_catalog_excel(data: bytes, filename: str) -> CatalogSpec:
    """Parse the Excel layout officials use (one row per item); see ``excel.py``."""
    from jiceng.standards.excel import read_catalog_excel

    return read_catalog_excel(data, filename)
