"""Several periods in one pass: the definitions rewritten to carry a period column.

The periods of a year are year-to-date: they share ``:start`` and ``:year`` and differ only
in ``:end``. On an engine whose cost is per query rather than per row (a local Spark plans
and schedules every query for seconds however small the data), computing those periods in
one pass pays: ``:start`` and ``:year`` are bound as usual and ``:end`` becomes the column
``period_end`` of a small table of the periods' ends, carried through every view.

The rewrite works on the SQLGlot tree of each query, scope by scope (each SELECT):

- a scope is *period-dependent* when it reads ``:end`` or a period-dependent source (a view
  or a subquery that is); a UNION is when one of its branches is (the others then cross join
  the ends so that every branch has the column);
- in such a scope the first period-dependent source (or, when none, the table of ends cross
  joined) gives ``period_end``: it replaces ``:end``, joins every other period-dependent
  source (``AND x.period_end = first.period_end`` in its ON), is selected, grouped by when
  the scope groups or aggregates, and partitions its window functions.

What the rewrite does not know how to carry raises :class:`Unsupported` (``:end`` or a
period-dependent view inside an expression subquery, a period-dependent source on the
outer side of a join the first one is not on, CTEs, LIMIT, GROUP BY ALL, USING, ``*`` over
two period-dependent sources); the caller then computes the periods one by one, as before.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import sqlglot
from sqlglot import exp

from .definitions import _PARAM, _sql_literal

COLUMN = "period_end"
_PLACEHOLDER = "__jiceng_period_end__"
_ENDS_ALIAS = "_pp"


class Unsupported(ValueError):
    """A definition the period rewrite cannot carry (compute its periods one by one)."""


def bind_fused(sql: str, params: dict[str, Any]) -> str:
    """``bind`` with ``:end`` left as a placeholder column (the other parameters bound)."""

    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name == "end":
            return _PLACEHOLDER
        if name not in params:
            raise KeyError(name)
        return _sql_literal(params[name])

    return _PARAM.sub(sub, sql)


def ends_table(ends: list[date]) -> str:
    """The periods' ends as an inline table with the one column ``period_end``."""
    rows = ", ".join(f"({_sql_literal(e)})" for e in ends)
    return f"(SELECT * FROM (VALUES {rows}) AS _periods({COLUMN}))"


def _scope(e: exp.Expression) -> exp.Select | None:
    return e.find_ancestor(exp.Select)


def _cross_join_ends(select: exp.Select, ends_sql: str) -> exp.Expression:
    join = sqlglot.parse_one(f"SELECT 1 FROM x CROSS JOIN {ends_sql} AS {_ENDS_ALIAS}").args[
        "joins"
    ][0]
    select.append("joins", join)
    return exp.column(COLUMN, table=_ENDS_ALIAS)


def _alias(src: exp.Expression) -> str:
    if isinstance(src, exp.Table):
        return src.alias_or_name
    if src.alias:
        return src.alias
    raise Unsupported("a subquery without an alias")


class _Rewriter:
    def __init__(self, periodic: set[str], ends_sql: str):
        self.periodic = periodic  # views that carry period_end
        self.ends_sql = ends_sql
        self.scopes: set[int] = set()

    def query(self, node: exp.Expression, force: bool = False) -> bool:
        """Rewrite ``node`` in place; whether it now carries ``period_end``."""
        if isinstance(node, exp.Subquery):
            return self.query(node.this, force)
        if isinstance(node, exp.Union):
            left = self.query(node.left, force)
            right = self.query(node.right, force or left)
            if right and not left:  # every branch must have the column
                self.query(node.left, True)
            return left or right
        if not isinstance(node, exp.Select):
            raise Unsupported(f"unexpected {type(node).__name__}")
        return self.select(node, force)

    def _source_periodic(self, src: exp.Expression) -> bool:
        if isinstance(src, exp.Table):
            return src.name in self.periodic
        if isinstance(src, exp.Subquery):
            return self.query(src.this)
        if isinstance(src, exp.Values):
            return False
        raise Unsupported(f"unexpected source {type(src).__name__}")

    def select(self, node: exp.Select, force: bool) -> bool:
        if node.args.get("with"):
            raise Unsupported("WITH")
        if node.args.get("limit") or node.args.get("offset"):
            raise Unsupported("LIMIT")
        group = node.args.get("group")
        if group is not None and group.args.get("all"):
            raise Unsupported("GROUP BY ALL")
        if node.args.get("from_") is None:
            raise Unsupported("SELECT without FROM")
        joins = node.args.get("joins") or []
        sources = [node.args["from_"].this] + [j.this for j in joins]
        flags = [self._source_periodic(s) for s in sources]
        direct = [
            c
            for c in node.find_all(exp.Column)
            if c.name == _PLACEHOLDER and not c.table and _scope(c) is node
        ]
        if not (any(flags) or direct or force):
            self.scopes.add(id(node))
            return False
        if any(flags):
            first = flags.index(True)
            if first > 0 and joins[first - 1].side:
                raise Unsupported("the first period source is on the outer side of a join")
            ref = exp.column(COLUMN, table=_alias(sources[first]))
            for i, src in enumerate(sources):
                if i == first or not flags[i]:
                    continue
                join = joins[i - 1]
                if join.side in ("RIGHT", "FULL") or join.args.get("using"):
                    raise Unsupported("RIGHT, FULL or USING join of a period source")
                on = exp.EQ(this=exp.column(COLUMN, table=_alias(src)), expression=ref.copy())
                if join.args.get("on") is not None:
                    join.set("on", exp.and_(join.args["on"], on))
                else:
                    if join.kind == "CROSS":
                        join.set("kind", None)
                    join.set("on", on)
            stars = [
                s
                for s in node.expressions
                if isinstance(s, exp.Star)
                or (isinstance(s, exp.Column) and isinstance(s.this, exp.Star))
            ]
            if any(isinstance(s, exp.Star) for s in stars) and sum(flags) > 1:
                raise Unsupported("* over two period sources")
            selected = any(isinstance(s, exp.Star) or s.table == ref.table for s in stars)
        else:
            ref = _cross_join_ends(node, self.ends_sql)
            selected = False
        for c in direct:
            c.replace(ref.copy())
        if any(s.alias_or_name == COLUMN for s in node.expressions) and not selected:
            raise Unsupported(f"a column named {COLUMN}")
        if not selected:
            node.append("expressions", exp.alias_(ref.copy(), COLUMN))
        aggregates = [
            a
            for s in node.expressions
            for a in s.find_all(exp.AggFunc)
            if _scope(a) is node and not a.find_ancestor(exp.Window)
        ]
        if group is not None:
            group.append("expressions", ref.copy())
        elif aggregates:
            node.set("group", exp.Group(expressions=[ref.copy()]))
        for w in node.find_all(exp.Window):
            if _scope(w) is node:
                w.set("partition_by", [*(w.args.get("partition_by") or []), ref.copy()])
        self.scopes.add(id(node))
        return True

    def check(self, tree: exp.Expression) -> None:
        """Nothing period-dependent left where the rewrite did not go (subqueries in
        expressions)."""
        for c in tree.find_all(exp.Column):
            if c.name == _PLACEHOLDER:
                raise Unsupported(":end inside an expression subquery")
        for t in tree.find_all(exp.Table):
            if t.name in self.periodic and id(_scope(t)) not in self.scopes:
                raise Unsupported("a period view inside an expression subquery")


def fuse(sql: str, periodic: set[str], ends_sql: str) -> tuple[str, bool]:
    """DuckDB SQL (``:end`` as placeholder) rewritten to carry ``period_end``; whether it
    does (a query that reads neither ``:end`` nor a period view is the same for every end)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    rewriter = _Rewriter(periodic, ends_sql)
    carried = rewriter.query(tree)
    rewriter.check(tree)
    return tree.sql(dialect="duckdb"), carried
