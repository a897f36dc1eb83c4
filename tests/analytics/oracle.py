"""A slow, obviously correct reading of docs/indicators.md, for tests only.

Input: the record set as Python rows (dicts with date/bool/number values, as after
loading) and the tree; output: one IndicatorValue per node, indicator and period.
Every rule is written out as the contract says it, one resident at a time.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from jiceng.analytics.compute import IndicatorValue, make_value
from jiceng.analytics.periods import Period
from jiceng.analytics.tree import OrgRow

INDICATORS = [
    "hr_coverage",
    "ehr_coverage",
    "ehr_standardized",
    "hr_usage",
    "elderly_mgmt",
    "elderly_tcm",
    "htn_mgmt_rate",
    "htn_std_mgmt",
    "htn_bp_control",
    "t2d_mgmt_rate",
    "t2d_std_mgmt",
    "t2d_glucose_control",
    "fd_sign_rate",
    "fd_key_sign_rate",
]
DEFAULTS = {"htn_prevalence": 0.275, "t2d_prevalence": 0.124, "followups_spread_by_quarter": False}


def present(r: dict, day: date) -> bool:
    """Neither died nor moved out before ``day``."""
    return not (r.get("death_date") and r["death_date"] < day) and not (
        r.get("moved_out_date") and r["moved_out_date"] < day
    )


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def quarter(d: date) -> tuple[int, int]:
    return (d.year, (d.month - 1) // 3 + 1)


def quarters_between(a: date, b: date) -> list[tuple[int, int]]:
    out, (y, q) = [], quarter(a)
    while (y, q) <= quarter(b):
        out.append((y, q))
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def within(d: date | None, a: date, b: date) -> bool:
    return d is not None and a <= d <= b


def subtree(tree: list[OrgRow], code: str) -> set[str]:
    children: dict[str, list[str]] = {}
    for r in tree:
        if r.parent_code:
            children.setdefault(r.parent_code, []).append(r.code)
    out, todo = set(), [code]
    while todo:
        c = todo.pop()
        out.add(c)
        todo += children.get(c, [])
    return out


class Oracle:
    def __init__(
        self, data: dict[str, list[dict]], tree: list[OrgRow], settings: dict | None = None
    ):
        self.d = {
            k: data.get(k, [])
            for k in (
                "population",
                "residents",
                "conditions",
                "followups",
                "exams",
                "services",
                "contracts",
            )
        }
        self.tree = tree
        self.s = {**DEFAULTS, **(settings or {})}

    # -- per resident -------------------------------------------------------------
    def recorded(self, r: dict, p: Period) -> bool:
        return r.get("record_date") is not None and r["record_date"] <= p.end and present(r, p.end)

    def used(self, r: dict, p: Period) -> bool:
        rid = r["resident_id"]
        return (
            any(
                f["resident_id"] == rid and within(f["visit_date"], p.start, p.end)
                for f in self.d["followups"]
            )
            or any(
                e["resident_id"] == rid and within(e["exam_date"], p.start, p.end)
                for e in self.d["exams"]
            )
            or any(
                s["resident_id"] == rid and within(s["service_date"], p.start, p.end)
                for s in self.d["services"]
            )
        )

    def enrolled(self, r: dict, cond: str, p: Period) -> date | None:
        """Earliest enrolled_date among qualifying rows, or None if not a managed patient."""
        if not present(r, p.end):
            return None
        dates = []
        for c in self.d["conditions"]:
            if c["resident_id"] != r["resident_id"] or c["condition"] != cond:
                continue
            if c["enrolled_date"] > p.end:
                continue
            ended = c.get("ended_date")
            if ended is not None and ended < p.end:  # ended before end
                continue
            if ended is not None and p.start <= ended <= p.end:  # ended within the period
                continue
            dates.append(c["enrolled_date"])
        return min(dates) if dates else None

    def followups(self, r: dict, cond: str, since: date, p: Period) -> list[dict]:
        return [
            f
            for f in self.d["followups"]
            if f["resident_id"] == r["resident_id"]
            and f["condition"] == cond
            and since <= f["visit_date"] <= p.end
        ]

    def standard(self, r: dict, cond: str, p: Period) -> bool:
        since = max(p.start, self.enrolled(r, cond, p))
        f2f = [
            f["visit_date"]
            for f in self.followups(r, cond, since, p)
            if f["mode"] == "face_to_face"
        ]
        required = quarters_between(since, p.end)
        if self.s["followups_spread_by_quarter"]:
            return all(any(quarter(d) == q for d in f2f) for q in required)
        return len(set(f2f)) >= len(required)

    def on_target(self, r: dict, cond: str, p: Period) -> bool:
        since = max(p.start, self.enrolled(r, cond, p))
        fs = self.followups(r, cond, since, p)
        if not fs:
            return False
        last_day = max(f["visit_date"] for f in fs)
        same_day = [f for f in fs if f["visit_date"] == last_day]
        if cond == "hypertension":
            measured = [
                f for f in same_day if f.get("sbp") is not None and f.get("dbp") is not None
            ]
            if not measured:
                return False
            f = min(measured, key=lambda f: (f["sbp"], f["dbp"]))
            if age_on(r["birth_date"], f["visit_date"]) >= 65:
                return f["sbp"] < 150 and f["dbp"] < 90
            return f["sbp"] < 140 and f["dbp"] < 90
        measured = [f for f in same_day if f.get("fasting_glucose") is not None]
        if not measured:
            return False
        return min(f["fasting_glucose"] for f in measured) < 7.0

    def signed(self, r: dict, p: Period, key: bool) -> bool:
        if not present(r, p.end):
            return False
        for c in self.d["contracts"]:
            if c["resident_id"] == r["resident_id"] and c["start_date"] <= p.end <= c["end_date"]:
                groups = [g.strip() for g in (c.get("key_groups") or "").split(";") if g.strip()]
                if not key or groups:
                    return True
        return False

    def elderly(self, r: dict, p: Period) -> bool:
        return age_on(r["birth_date"], p.end) >= 65 and present(r, p.end)

    # -- per node -----------------------------------------------------------------
    def population(self, nodes: set[str], year: int, field: str) -> Decimal | None:
        vals = []
        for row in self.d["population"]:
            if row["org_code"] in nodes and row["year"] == year:
                if field in ("htn", "t2d"):
                    est = row.get(f"{field}_estimated")
                    adults = row.get("adults_18_plus")
                    prev = self.s["htn_prevalence" if field == "htn" else "t2d_prevalence"]
                    if est is not None:
                        vals.append(Decimal(str(est)))
                    elif adults is not None:
                        vals.append(Decimal(adults) * Decimal(str(prev)))
                elif row.get(field) is not None:
                    vals.append(Decimal(str(row[field])))
        return sum(vals) if vals else None

    def node(self, code: str, p: Period) -> list[IndicatorValue]:
        nodes = subtree(self.tree, code)
        people = [r for r in self.d["residents"] if r["org_code"] in nodes]
        rec = [r for r in people if self.recorded(r, p)]
        htn = [r for r in people if self.enrolled(r, "hypertension", p)]
        t2d = [r for r in people if self.enrolled(r, "diabetes", p)]
        perm = self.population(nodes, p.year, "permanent_residents")
        old = self.population(nodes, p.year, "residents_65_plus")
        key = self.population(nodes, p.year, "key_population")
        rows = {
            "hr_coverage": (len(rec), perm),
            "ehr_coverage": (sum(1 for r in rec if r.get("electronic")), perm),
            "ehr_standardized": (sum(1 for r in rec if r.get("standardized")), perm),
            "hr_usage": (sum(1 for r in rec if self.used(r, p)), len(rec)),
            "elderly_mgmt": (
                sum(
                    1
                    for r in people
                    if self.elderly(r, p)
                    and any(
                        e["resident_id"] == r["resident_id"]
                        and e["kind"] == "elderly_annual"
                        and e.get("complete")
                        and within(e["exam_date"], p.start, p.end)
                        for e in self.d["exams"]
                    )
                ),
                old,
            ),
            "elderly_tcm": (
                sum(
                    1
                    for r in people
                    if self.elderly(r, p)
                    and any(
                        s["resident_id"] == r["resident_id"]
                        and s["service"] == "tcm_elderly"
                        and within(s["service_date"], p.start, p.end)
                        for s in self.d["services"]
                    )
                ),
                old,
            ),
            "htn_mgmt_rate": (len(htn), self.population(nodes, p.year, "htn")),
            "htn_std_mgmt": (sum(1 for r in htn if self.standard(r, "hypertension", p)), len(htn)),
            "htn_bp_control": (
                sum(1 for r in htn if self.on_target(r, "hypertension", p)),
                len(htn),
            ),
            "t2d_mgmt_rate": (len(t2d), self.population(nodes, p.year, "t2d")),
            "t2d_std_mgmt": (sum(1 for r in t2d if self.standard(r, "diabetes", p)), len(t2d)),
            "t2d_glucose_control": (
                sum(1 for r in t2d if self.on_target(r, "diabetes", p)),
                len(t2d),
            ),
            "fd_sign_rate": (sum(1 for r in people if self.signed(r, p, key=False)), perm),
            "fd_key_sign_rate": (sum(1 for r in people if self.signed(r, p, key=True)), key),
        }
        return [make_value(i, code, p.label, *rows[i]) for i in INDICATORS]

    def compute(self, periods: list[Period]) -> list[IndicatorValue]:
        out = []
        for p in periods:
            for row in sorted(self.tree, key=lambda r: r.code):
                out += self.node(row.code, p)
        return out
