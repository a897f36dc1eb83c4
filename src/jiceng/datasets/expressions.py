"""Expressions of indicators and validation rules: ``#{CODE}``, ``#{CODE.OPTION}``,
numbers, ``+ - * /`` and parentheses, evaluated exactly (as fractions, never floats).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

_TOKEN = re.compile(
    r"\s*(?:(?P<ref>#\{(?P<body>[^{}]*)\})|(?P<num>\d+(?:\.\d+)?|\.\d+)|(?P<op>[-+*/()]))"
)


class ExpressionError(ValueError):
    """An expression that cannot be read; the message is Chinese."""


@dataclass(frozen=True)
class Ref:
    """``#{element}`` (option None: the total over its options) or ``#{element.option}``."""

    element: str
    option: str | None = None

    @property
    def key(self) -> str:
        """``CODE`` or ``CODE.OPTION``: the key of the value (and the output's ``code``)."""
        return self.element if self.option is None else f"{self.element}.{self.option}"

    def __str__(self) -> str:
        return f"#{{{self.key}}}"


# A parsed expression: a Fraction, a Ref, ("neg", node) or (op, left, right).
Node = Fraction | Ref | tuple


@dataclass(frozen=True)
class Expression:
    text: str
    tree: Node

    @property
    def refs(self) -> list[Ref]:
        """Every reference, in order of appearance (repeats kept once)."""
        return list(self._refs)

    @cached_property
    def _refs(self) -> tuple[Ref, ...]:  # the tree never changes (frozen): found once
        out: list[Ref] = []
        _collect(self.tree, out)
        return tuple(dict.fromkeys(out))

    def evaluate(self, value_of: Callable[[Ref], Fraction | None]) -> Fraction:
        """The value, a missing reference counting as 0; ZeroDivisionError on ``/ 0``."""
        return _eval(self.tree, value_of)


def _collect(node: Node, out: list[Ref]) -> None:
    if isinstance(node, Ref):
        out.append(node)
    elif isinstance(node, tuple):
        for child in node[1:]:
            _collect(child, out)


def _eval(node: Node, value_of: Callable[[Ref], Fraction | None]) -> Fraction:
    if isinstance(node, Fraction):
        return node
    if isinstance(node, Ref):
        v = value_of(node)
        return Fraction(0) if v is None else v
    op = node[0]
    if op == "neg":
        return -_eval(node[1], value_of)
    a = _eval(node[1], value_of)
    b = _eval(node[2], value_of)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise ZeroDivisionError
    return a / b


def parse_expression(text: str) -> Expression:
    """Parse an expression; ExpressionError (Chinese, with the position) when it is malformed."""
    if isinstance(text, bool) or text is None:
        raise ExpressionError("表达式不能为空")
    if isinstance(text, int | float | Decimal):
        text = str(text)
    if not isinstance(text, str):
        raise ExpressionError("表达式必须是文本")
    tokens: list[tuple[str, object, int]] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if m is None:
            at = len(stripped[:pos]) + (len(stripped[pos:]) - len(stripped[pos:].lstrip()))
            raise ExpressionError(f"表达式「{text}」第 {at + 1} 个字符「{stripped[at]}」无法识别")
        start = m.start(m.lastgroup)
        if m.group("ref") is not None:
            tokens.append(("ref", _ref(m.group("body"), text), start))
        elif m.group("num") is not None:
            tokens.append(("num", Fraction(Decimal(m.group("num"))), start))
        else:
            tokens.append(("op", m.group("op"), start))
        pos = m.end()
    if not tokens:
        raise ExpressionError("表达式不能为空")
    parser = _Parser(tokens, text)
    tree = parser.sum()
    if parser.i < len(tokens):
        raise ExpressionError(parser.unexpected())
    return Expression(text, tree)


def _ref(body: str, text: str) -> Ref:
    parts = body.strip().split(".")
    if len(parts) > 2 or not all(p.strip() for p in parts):
        raise ExpressionError(
            f"表达式「{text}」中的引用「#{{{body}}}」无效：应写作 #{{数据元编码}} 或 #{{数据元编码.分类编码}}"
        )
    return Ref(parts[0].strip(), parts[1].strip() if len(parts) == 2 else None)


class _Parser:
    def __init__(self, tokens: list[tuple[str, object, int]], text: str):
        self.tokens = tokens
        self.text = text
        self.i = 0

    def peek(self) -> tuple[str, object, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def unexpected(self) -> str:
        tok = self.peek()
        if tok is None:
            return f"表达式「{self.text}」不完整：结尾缺少数值或引用"
        shown = tok[1] if tok[0] == "op" else self.text[tok[2] :].split()[0]
        return f"表达式「{self.text}」第 {tok[2] + 1} 个字符处的「{shown}」不应出现在这里"

    def sum(self) -> Node:
        node = self.product()
        while (tok := self.peek()) is not None and tok[0] == "op" and tok[1] in "+-":
            self.i += 1
            node = (tok[1], node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while (tok := self.peek()) is not None and tok[0] == "op" and tok[1] in "*/":
            self.i += 1
            node = (tok[1], node, self.unary())
        return node

    def unary(self) -> Node:
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in "+-":
            self.i += 1
            inner = self.unary()
            return ("neg", inner) if tok[1] == "-" else inner
        return self.atom()

    def atom(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise ExpressionError(self.unexpected())
        if tok[0] in ("num", "ref"):
            self.i += 1
            return tok[1]  # type: ignore[return-value]
        if tok[1] == "(":
            self.i += 1
            node = self.sum()
            close = self.peek()
            if close is None or close[1] != ")":
                if close is None:
                    raise ExpressionError(f"表达式「{self.text}」缺少右括号「)」")
                raise ExpressionError(self.unexpected())
            self.i += 1
            return node
        raise ExpressionError(self.unexpected())
