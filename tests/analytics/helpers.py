"""Writing small record sets from Python rows, for tests."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date
from pathlib import Path

from jiceng.analytics.schema import TABLE_BY_NAME
from jiceng.analytics.tree import OrgRow

# A small tree: province P, county A with two villages and a township with one, county B.
TREE = [
    OrgRow("P", "省", None, "province"),
    OrgRow("A", "甲县", "P", "county"),
    OrgRow("A1", "甲一村", "A", "village"),
    OrgRow("A2", "甲二村", "A", "village"),
    OrgRow("AT", "甲镇", "A", "township"),
    OrgRow("AT1", "甲镇一村", "AT", "village"),
    OrgRow("B", "乙县", "P", "county"),
    OrgRow("B1", "乙一村", "B", "village"),
]


def cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([cell(v) for v in r])


def write_recordset(
    folder: Path, data: dict[str, list[dict]], tree: list[OrgRow] | None = TREE
) -> Path:
    """One CSV per table with every declared column (empty tables get a header only).

    The optional tables pregnancies and vaccinations are written only when ``data`` has them.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if tree is not None:
        write_csv(
            folder / "orgs.csv",
            ["org_code", "name", "parent_code", "kind"],
            [list(r) for r in tree],
        )
    for name in (
        "population",
        "residents",
        "conditions",
        "followups",
        "exams",
        "services",
        "contracts",
        *(t for t in ("pregnancies", "vaccinations") if t in data),
    ):
        cols = [c.name for c in TABLE_BY_NAME[name].columns]
        rows = data.get(name, [])
        write_csv(folder / f"{name}.csv", cols, [[r.get(c) for c in cols] for r in rows])
    return folder


def by_key(values) -> dict:
    return {(v.org_code, v.period, v.indicator): v for v in values}


def merge(
    specs: list[tuple[str, dict[str, list[dict]]]], tree: list[OrgRow] = TREE
) -> tuple[list[OrgRow], dict[str, list[dict]]]:
    """Several record sets as one, each under its own copy of the tree (codes prefixed).

    Loading and computing cost the same for one small record set as for ten, so tests that
    check many record sets load them together and compare each prefix separately.
    """
    rows: list[OrgRow] = []
    tables: dict[str, list[dict]] = {}
    for prefix, data in specs:
        rows += [
            OrgRow(
                prefix + r.code, r.name, prefix + r.parent_code if r.parent_code else None, r.kind
            )
            for r in tree
        ]
        for name, table in data.items():
            tables.setdefault(name, [])  # an empty table is present, not absent
            for r in table:
                r = dict(r)
                for k in ("resident_id", "org_code"):
                    if r.get(k) is not None:
                        r[k] = prefix + r[k]
                tables.setdefault(name, []).append(r)
    return rows, tables


def split(values, prefix: str) -> list:
    """The values of one merged record set, with its prefix taken off the codes."""
    return [
        replace(v, org_code=v.org_code[len(prefix) :])
        for v in values
        if v.org_code.startswith(prefix)
    ]
