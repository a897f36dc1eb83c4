"""The org tree of a record set: rows, checks and the (ancestor, descendant) closure."""

from __future__ import annotations

from typing import NamedTuple

from jiceng.core.errors import Problem


class OrgRow(NamedTuple):
    code: str
    name: str
    parent_code: str | None
    kind: str


def tree_problems(rows: list[OrgRow], file: str = "orgs") -> list[Problem]:
    """Duplicate codes, unknown parents and cycles."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, r in enumerate(rows):
        if r.code in seen:
            problems.append(Problem(f"机构编码 {r.code} 重复", file, None, "org_code"))
        seen[r.code] = i
    for r in rows:
        if r.parent_code and r.parent_code not in seen:
            problems.append(
                Problem(
                    f"上级编码 {r.parent_code} 不在机构树中（机构 {r.code}）",
                    file,
                    None,
                    "parent_code",
                )
            )
    parent = {r.code: r.parent_code for r in rows}
    for r in rows:
        node, steps = r.code, 0
        while node and steps <= len(rows):
            node = parent.get(node)
            steps += 1
        if steps > len(rows):
            problems.append(Problem(f"机构 {r.code} 的上级关系形成了环", file, None, "parent_code"))
            break
    return problems


def closure(rows: list[OrgRow]) -> list[tuple[str, str, int]]:
    """Every (ancestor, descendant, distance) pair, each node its own ancestor at distance 0."""
    parent = {r.code: r.parent_code for r in rows}
    out: list[tuple[str, str, int]] = []
    for r in rows:
        node, d = r.code, 0
        while node is not None and node in parent and d <= len(rows):
            out.append((node, r.code, d))
            node = parent[node]
            d += 1
    return out
