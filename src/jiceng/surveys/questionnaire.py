"""Questionnaire files (YAML or JSON), read without Django (docs/surveys.md).

:func:`parse_questionnaire` returns a frozen :class:`Questionnaire` or raises
:class:`ValidationFailed` with *every* problem, each naming the file, the line and the field.
Keys the format does not know are warnings, never errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jiceng.core.errors import Problem, ValidationFailed
from jiceng.core.fieldcheck import FieldChecker
from jiceng.core.yamllines import Locator, Path_, line_locator, line_map, load_with_lines

# Questionnaire kinds: code -> the name people use.
KINDS = {
    "outpatient": "门诊",
    "inpatient": "住院",
    "contracted": "签约居民",
    "public_health": "公共卫生服务",
}
QUESTION_TYPES = ("choice", "comment")
_BAD_CODE_CHARS = set(".{}#,;=\"'\\ \t\n")

_KNOWN_KEYS = {
    "questionnaire": {"code", "version", "name", "kind", "overall", "questions", "description"},
    "question": {"code", "text", "type", "options", "description"},
    "option": {"code", "text", "satisfied"},
}
RAW_TEXT_KEYS = {"code", "version", "name", "text", "overall"}


def kind_code(text: str) -> str | None:
    """The kind's code from its code or its Chinese name; None if it is neither."""
    t = (text or "").strip()
    if t in KINDS:
        return t
    for code, name in KINDS.items():
        if t == name:
            return code
    return None


@dataclass(frozen=True)
class Option:
    code: str
    text: str
    satisfied: bool = False


@dataclass(frozen=True)
class Question:
    code: str
    text: str
    type: str = "choice"
    options: tuple[Option, ...] = ()

    @property
    def satisfied_codes(self) -> frozenset[str]:
        return frozenset(o.code for o in self.options if o.satisfied)

    def option(self, answer: str) -> Option | None:
        """The option an answer names, by its code or its exact text."""
        a = answer.strip()
        for o in self.options:
            if a == o.code or a == o.text:
                return o
        return None


@dataclass(frozen=True)
class Questionnaire:
    code: str
    version: str
    name: str
    kind: str
    overall: str
    questions: tuple[Question, ...]
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    @property
    def kind_name(self) -> str:
        return KINDS[self.kind]

    def question(self, code: str) -> Question | None:
        for q in self.questions:
            if q.code == code:
                return q
        return None

    @property
    def choices(self) -> list[Question]:
        return [q for q in self.questions if q.type == "choice"]

    @property
    def comments(self) -> list[Question]:
        return [q for q in self.questions if q.type == "comment"]


def parse_questionnaire(text: str, filename: str) -> Questionnaire:
    """Parse and validate a YAML or JSON questionnaire."""
    data, node = load_with_lines(
        text,
        filename,
        RAW_TEXT_KEYS,
        bad_json=lambda reason: f"不是有效的 JSON：{reason}",
        bad_yaml=lambda reason: f"不是有效的 YAML：{reason}",
    )
    if node is None:
        raise ValidationFailed([Problem("问卷文件是空的", file=filename)])
    lines: dict[Path_, int] = {}
    dups: list = []
    line_map(node, (), lines, dups)
    checker = _Checker(filename, line_locator(lines))
    for path, first, _row in dups:
        checker.problem(path, f"字段「{path[-1]}」写了两次（另见第 {first} 行）")
    return checker.questionnaire(data)


def load_questionnaire_file(path: str | Path) -> Questionnaire:
    """Read a questionnaire from disk (UTF-8 YAML or JSON)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed([Problem("文件不是 UTF-8 编码的文本", file=path.name)]) from None
    return parse_questionnaire(text, path.name)


def sample_questionnaire_paths() -> list[Path]:
    """The sample questionnaires shipped with jiceng (one per kind)."""
    return sorted((Path(__file__).parent / "questionnaires").glob("*.yaml"))


class _Checker(FieldChecker):
    """Walks the parsed data, collecting every problem with its line and field."""

    known_keys = _KNOWN_KEYS
    bad_code_chars = _BAD_CODE_CHARS
    refuse_unprintable = True
    name_entries = False  # questions and options are named by position

    def __init__(self, filename: str, locate: Locator):
        super().__init__(None, filename, locate)

    def code_problem(self, value: str, what: str) -> str | None:
        if len(value) > 32:
            return f"{what}编码「{value}」过长（最多 32 个字符）"
        return None

    def questionnaire(self, data: Any) -> Questionnaire:
        top = self.mapping(data, (), "questionnaire")
        if top is None:
            raise ValidationFailed(self.problems)
        code = self.code(top, "code", (), "问卷")
        version = self.text(top, "version", ())
        name = self.text(top, "name", ())
        kind = None
        raw_kind = self.text(top, "kind", ())
        if raw_kind is not None:
            kind = kind_code(raw_kind)
            if kind is None:
                allowed = "、".join(f"{n}（{c}）" for c, n in KINDS.items())
                self.problem(("kind",), f"未知的问卷类别「{raw_kind}」：应为 {allowed} 之一")
        questions = self.questions(top)
        overall = self.text(top, "overall", ())
        if overall is not None and questions is not None:
            q = next((q for q in questions if q.code == overall), None)
            if q is None:
                self.problem(("overall",), f"总体满意度题「{overall}」不是本问卷的题目")
            elif q.type != "choice":
                self.problem(("overall",), f"总体满意度题「{overall}」应为选择题，不能是意见题")
        if self.problems:
            self.problems.sort(key=lambda p: (p.row is None, p.row or 0))
            raise ValidationFailed(self.problems)
        return Questionnaire(
            code=code,
            version=version,
            name=name,
            kind=kind,
            overall=overall,
            questions=tuple(questions),
            warnings=tuple(self.warnings),
        )

    def questions(self, top: dict) -> list[Question] | None:
        raw = top.get("questions")
        if not isinstance(raw, list) or not raw:
            self.problem(("questions",), "应列出至少一道题目（questions）")
            return None
        out: list[Question] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(raw):
            path: Path_ = ("questions", i)
            obj = self.mapping(item, path, "question")
            if obj is None:
                continue
            code = self.code(obj, "code", path, "题目")
            text = self.text(obj, "text", path)
            qtype = str(obj.get("type") or "choice").strip()
            if qtype not in QUESTION_TYPES:
                self.problem(
                    path + ("type",),
                    f"未知的题型「{qtype}」：应为 choice（选择题）或 comment（意见题）",
                )
                continue
            if code is not None:
                if code in seen:
                    self.problem(
                        path + ("code",), f"题目编码「{code}」重复（另见第 {seen[code]} 题）"
                    )
                    code = None
                else:
                    seen[code] = i + 1
            options = self.options(obj, path, qtype)
            if code is None or text is None or options is None:
                continue
            out.append(Question(code=code, text=text, type=qtype, options=options))
        return out

    def options(self, obj: dict, path: Path_, qtype: str) -> tuple[Option, ...] | None:
        raw = obj.get("options")
        if qtype == "comment":
            if raw:
                self.problem(path + ("options",), "意见题（comment）不设选项")
                return None
            return ()
        if not isinstance(raw, list) or len(raw) < 2:
            self.problem(path + ("options",), "选择题应列出至少两个选项（options）")
            return None
        out: list[Option] = []
        codes: set[str] = set()
        texts: set[str] = set()
        ok = True
        for j, item in enumerate(raw):
            opath: Path_ = path + ("options", j)
            o = self.mapping(item, opath, "option")
            if o is None:
                ok = False
                continue
            code = self.code(o, "code", opath, "选项")
            text = self.text(o, "text", opath)
            satisfied = o.get("satisfied", False)
            if not isinstance(satisfied, bool):
                self.problem(opath + ("satisfied",), "应为 true 或 false")
                ok = False
                continue
            if code is None or text is None:
                ok = False
                continue
            if code in codes or text in texts:
                self.problem(opath, f"选项「{code} {text}」的编码或文字与前面的选项重复")
                ok = False
                continue
            codes.add(code)
            texts.add(text)
            out.append(Option(code=code, text=text, satisfied=satisfied))
        if not ok:
            return None
        if not any(o.satisfied for o in out):
            self.problem(path + ("options",), "至少应有一个选项标明 satisfied: true（计为满意）")
            return None
        if all(o.satisfied for o in out):
            self.problem(
                path + ("options",), "所有选项都计为满意，满意度将恒为100%：请检查 satisfied"
            )
            return None
        return tuple(out)
