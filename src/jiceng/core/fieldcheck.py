"""The field readers shared by jiceng's definition files (data sets, appraisal schemes,
questionnaires): walk the parsed YAML/JSON (or a workbook read into the same shape) and
collect every problem with its line (or cell) and field, instead of stopping at the first.

Pure Python (no Django): the stateless commands use it too. A checker subclasses
:class:`FieldChecker` and sets ``known_keys`` (the keys of each kind of mapping) and
``bad_code_chars``; it may refine :meth:`FieldChecker.check_key` and
:meth:`FieldChecker.code_problem`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from jiceng.core.errors import Problem
from jiceng.core.yamllines import Locator, Path_


class FieldChecker:
    """Collects ``problems`` (errors) and ``warnings`` while the subclass reads the fields."""

    known_keys: Mapping[str, Collection[str]] = {}
    bad_code_chars: Collection[str] = frozenset()
    refuse_unprintable = False  # also refuse unprintable characters in codes
    entry_names: tuple[str, ...] = ("code",)  # keys naming a list's entry in a field's name
    name_entries = True  # False: a list's entries are named by position only

    def __init__(self, data: Any, filename: str, locate: Locator):
        self.data = data
        self.filename = filename
        self.locate = locate
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def nice(self, path: Path_) -> str:
        """The field as people read it: ``elements[OPD_VISITS].type`` (a list's entry by its
        code when it has one, else by its position from 1)."""
        out = ""
        node = self.data if self.name_entries else None
        for part in path:
            if isinstance(part, int):
                entry = node[part] if isinstance(node, list) and part < len(node) else None
                code = None
                if isinstance(entry, dict):
                    code = next(
                        (entry[k] for k in self.entry_names if entry.get(k) is not None), None
                    )
                ok = isinstance(code, str | int) and not isinstance(code, bool)
                out += f"[{code}]" if ok and str(code).strip() else f"[{part + 1}]"
                node = entry
            else:
                out += ("." if out else "") + str(part)
                node = node.get(part) if isinstance(node, dict) else None
        return out

    def problem(self, path: Path_, message: str, warning: bool = False) -> None:
        row, column = self.locate(path)
        nice = self.nice(path)
        p = Problem(
            message,
            file=self.filename,
            row=row,
            column=column,
            field=nice,
            label=f"字段 {nice}" if nice else "",
        )
        (self.warnings if warning else self.problems).append(p)

    # -- field readers: each returns the value or None after recording a problem

    def check_key(self, value: dict, key: Any, path: Path_, kind: str) -> None:
        """A key of a mapping of ``kind``: an unknown one is a warning (ignored)."""
        if key not in self.known_keys[kind]:
            self.problem(path + (key,), f"未知字段「{key}」，已忽略；请检查拼写", warning=True)

    def mapping(self, value: Any, path: Path_, kind: str) -> dict | None:
        if not isinstance(value, dict):
            self.problem(path, "应为字段映射（键: 值）")
            return None
        for key in value:
            self.check_key(value, key, path, kind)
        return value

    def text(self, obj: dict, key: str, path: Path_, required: bool = True) -> str | None:
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(path + (key,), "必填字段缺失或为空")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(path + (key,), "应为文本")
            return None
        return str(value).strip()

    def code_problem(self, value: str, what: str) -> str | None:
        """What else is wrong with a code whose characters are allowed (None: nothing)."""
        return None

    def code(self, obj: dict, key: str, path: Path_, what: str) -> str | None:
        value = self.text(obj, key, path)
        if value is None:
            return None
        bad = sorted(
            {
                c
                for c in value
                if c in self.bad_code_chars
                or c.isspace()
                or (self.refuse_unprintable and not c.isprintable())
            }
        )
        if bad:
            self.problem(
                path + (key,),
                f"{what}编码「{value}」含有不允许的字符：{' '.join(repr(c) for c in bad)}",
            )
            return None
        problem = self.code_problem(value, what)
        if problem:
            self.problem(path + (key,), problem)
            return None
        return value
