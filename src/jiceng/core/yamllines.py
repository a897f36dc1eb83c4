"""Definition files read with the line of every key, so that each problem can name it.

Used by the standards catalogs and the aggregate data sets (no Django needed). A *path* is
the tuple of keys and list indexes leading to a field (``("chapters", 0, "code")``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import Any

import yaml

from jiceng.core.errors import Problem, ValidationFailed

Path_ = tuple[str | int, ...]
Locator = Callable[[Path_], tuple[int | None, str]]

_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
# libyaml's loader when PyYAML was built with it (its nodes carry the same line marks): a
# catalog of 90 items composes about ten times faster than with the pure-Python loader.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def line_map(node: yaml.Node, path: Path_, lines: dict[Path_, int], dups: list) -> None:
    """Fill ``lines`` with the line of every path under ``node``; keys written twice in one
    mapping go to ``dups`` as (path, first line, line)."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                dups.append((path + (key,), seen[key], line))
            seen[key] = line
            lines[path + (key,)] = line
            if isinstance(value_node, yaml.MappingNode | yaml.SequenceNode):
                line_map(value_node, path + (key,), lines, dups)
                lines[path + (key,)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            line_map(child, path + (i,), lines, dups)


def construct(
    loader: yaml.SafeLoader, node: yaml.Node, raw_text_keys: Collection[str], key: Any = None
) -> Any:
    """Python data of a composed node; the values of ``raw_text_keys`` that look like numbers
    keep their written text (``version: 1.10`` stays ``"1.10"``)."""
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            k = loader.construct_object(key_node, deep=True)
            out[k] = construct(loader, value_node, raw_text_keys, k if isinstance(k, str) else None)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [construct(loader, child, raw_text_keys) for child in node.value]
    if key in raw_text_keys and node.tag in _NUMBER_TAGS:
        return node.value
    return loader.construct_object(node, deep=True)


def line_locator(lines: dict[Path_, int]) -> Locator:
    """(line, "") of a path: its own line, else its nearest parent's, else line 1."""

    def locate(path: Path_) -> tuple[int | None, str]:
        p = tuple(path)
        while p:
            if p in lines:
                return lines[p], ""
            p = p[:-1]
        return lines.get((), 1), ""

    return locate


def cell_locator(cells: dict[Path_, tuple[int, str]]) -> Locator:
    """(row, column) of a path read from a workbook: its own cell, else its nearest parent's."""

    def locate(path: Path_) -> tuple[int | None, str]:
        p = tuple(path)
        while p:
            if p in cells:
                return cells[p]
            p = p[:-1]
        return None, ""

    return locate


def load_with_lines(
    text: str,
    filename: str,
    raw_keys: Collection[str],
    *,
    bad_json: Callable[[str], str],
    bad_yaml: Callable[[str], str],
) -> tuple[Any, yaml.Node | None]:
    """The data of a YAML or JSON file and its root node (None when empty), for line numbers.

    A syntax error is ValidationFailed naming the line; ``bad_json``/``bad_yaml`` word it from
    the parser's reason.
    """
    if filename.lower().endswith(".json"):
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(
                [Problem(bad_json(exc.msg), file=filename, row=exc.lineno)]
            ) from None
        # JSON allows tabs only as whitespace (never raw inside strings); YAML does not.
        text = text.replace("\t", " ")
    try:
        loader = _LOADER(text)
        try:
            node = loader.get_single_node()
            data = construct(loader, node, raw_keys) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ValidationFailed(
            [
                Problem(
                    bad_yaml(str(exc.problem or exc)),
                    file=filename,
                    row=(mark.line + 1) if mark else None,
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise ValidationFailed([Problem(bad_yaml(str(exc)), file=filename)]) from None
    return data, node
