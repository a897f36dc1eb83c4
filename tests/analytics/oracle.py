"""A slow, obviously correct reading of docs/indicators.md, for tests only.

Input: the record set as Python rows (dicts with date/bool/number values, as after
loading) and the tree; output: one IndicatorValue per node, indicator and period.
Every rule is written out as the contract says it, one resident at a time.
"""

from __future__ import annotations

from datetime import date, timedelta
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
    # indicators-more.md
    "mat_early_reg",
    "mat_postpartum",
    "mat_system_mgmt",
    "newborn_visit",
    "child_mgmt",
    "child_tcm",
    "smi_std_mgmt",
    "tb_first_visit",
    "chronic_std_mgmt",
    "general_exam",
    "imm_coverage",
]
NATIONAL_2021 = {
    "HepB": {1: 0, 2: 1, 3: 6},
    "BCG": {1: 0},
    "IPV": {1: 2, 2: 3},
    "bOPV": {1: 4, 2: 48},
    "DTaP": {1: 3, 2: 4, 3: 5, 4: 18},
    "DT": {1: 72},
    "MMR": {1: 8, 2: 18},
    "JE-L": {1: 8, 2: 24},
    "MPSV-A": {1: 6, 2: 9},
    "MPSV-AC": {1: 36, 2: 72},
    "HepA-L": {1: 18},
}
DEFAULTS = {
    "htn_prevalence": 0.275,
    "t2d_prevalence": 0.124,
    "followups_spread_by_quarter": False,
    "immunization_schedule": NATIONAL_2021,
}
# The older codes of an antenatal check count as prenatal_check.
OLDER_CODES = {"prenatal_first": "prenatal_check", "prenatal_followup": "prenatal_check"}
# An indicator whose optional table is absent from the record set has no value.
NEEDS = {
    "mat_early_reg": "pregnancies",
    "mat_postpartum": "pregnancies",
    "mat_system_mgmt": "pregnancies",
    "newborn_visit": "pregnancies",
    "imm_coverage": "vaccinations",
}


def present(r: dict, day: date) -> bool:
    """Neither died nor moved out before ``day``."""
    return not (r.get("death_date") and r["death_date"] < day) and not (
        r.get("moved_out_date") and r["moved_out_date"] < day
    )


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def add_months(d: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when it has no such day."""
    total = d.year * 12 + d.month - 1 + months
    y, m = divmod(total, 12)
    m += 1
    last = (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)).day
    return date(y, m, min(d.day, last))


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
                "pregnancies",
                "vaccinations",
            )
        }
        self.absent = {name for name in ("pregnancies", "vaccinations") if name not in data}
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
        rows.update(self.more(nodes, people, htn, t2d, perm, p))
        for name, table in NEEDS.items():
            if table in self.absent:
                rows[name] = (0, None)
        return [make_value(i, code, p.label, *rows[i]) for i in INDICATORS]

    # -- indicators-more.md -------------------------------------------------------
    def services_of(self, rid: str, service: str) -> list[date]:
        return [
            s["service_date"]
            for s in self.d["services"]
            if s["resident_id"] == rid and OLDER_CODES.get(s["service"], s["service"]) == service
        ]

    def more(self, nodes, people, htn, t2d, perm, p: Period) -> dict[str, tuple]:
        ids = {r["resident_id"] for r in people}
        by_id = {r["resident_id"]: r for r in self.d["residents"]}
        deliveries = [
            g
            for g in self.d["pregnancies"]
            if g["resident_id"] in ids and within(g.get("delivery_date"), p.start, p.end)
        ]
        live_births = sum(g["live_births"] for g in deliveries)

        def early(g: dict) -> bool:
            checks = self.services_of(g["resident_id"], "prenatal_check")
            return (
                g["live_births"] >= 1
                and g["registered_weeks"] < 13
                and any(d <= g["delivery_date"] for d in checks)
            )

        def postpartum(g: dict) -> bool:
            visits = self.services_of(g["resident_id"], "postpartum_visit")
            last = g["delivery_date"] + timedelta(days=28)
            return g["live_births"] >= 1 and any(
                within(d, g["delivery_date"], last) for d in visits
            )

        def system(g: dict) -> bool:
            checks = {
                d
                for d in self.services_of(g["resident_id"], "prenatal_check")
                if d <= g["delivery_date"]
            }
            return early(g) and len(checks) >= 5 and postpartum(g)

        newborns = [r for r in people if within(r["birth_date"], p.start, p.end)]
        visited = sum(
            1
            for r in newborns
            if any(
                within(d, r["birth_date"], r["birth_date"] + timedelta(days=28))
                for d in self.services_of(r["resident_id"], "newborn_visit")
            )
        )
        present_end = [r for r in people if present(r, p.end)]
        children = [
            r
            for r in present_end
            if r["birth_date"] <= p.end and age_on(r["birth_date"], p.end) <= 6
        ]
        toddlers = [
            r for r in present_end if r["birth_date"] <= p.end < add_months(r["birth_date"], 36)
        ]
        smi = [r for r in people if self.enrolled(r, "smi", p)]
        tb_rows = [
            c
            for c in self.d["conditions"]
            if c["condition"] == "tb"
            and c["resident_id"] in ids
            and within(c["enrolled_date"], p.start, p.end)
            and present(by_id[c["resident_id"]], c["enrolled_date"])
        ]
        tb_seen = sum(
            1
            for c in tb_rows
            if any(
                f["resident_id"] == c["resident_id"]
                and f["condition"] == "tb"
                and f["mode"] == "face_to_face"
                and within(
                    f["visit_date"], c["enrolled_date"], c["enrolled_date"] + timedelta(days=3)
                )
                for f in self.d["followups"]
            )
        )
        due = []
        for r in present_end:
            for vaccine, doses in self.s["immunization_schedule"].items():
                for dose, months in doses.items():
                    if within(add_months(r["birth_date"], months), p.start, p.end):
                        due.append((r["resident_id"], vaccine, int(dose)))
        given = {
            (v["resident_id"], v["vaccine"], v["dose"])
            for v in self.d["vaccinations"]
            if v["vaccination_date"] <= p.end
        }
        htn_std = sum(1 for r in htn if self.standard(r, "hypertension", p))
        t2d_std = sum(1 for r in t2d if self.standard(r, "diabetes", p))
        return {
            "mat_early_reg": (sum(1 for g in deliveries if early(g)), live_births),
            "mat_postpartum": (sum(1 for g in deliveries if postpartum(g)), live_births),
            "mat_system_mgmt": (sum(1 for g in deliveries if system(g)), live_births),
            "newborn_visit": (visited, live_births),
            "child_mgmt": (
                sum(
                    1
                    for r in children
                    if any(
                        within(d, p.start, p.end)
                        for d in self.services_of(r["resident_id"], "child_checkup")
                    )
                ),
                self.population(nodes, p.year, "children_0_6"),
            ),
            "child_tcm": (
                sum(
                    1
                    for r in toddlers
                    if any(
                        within(d, p.start, p.end)
                        for d in self.services_of(r["resident_id"], "tcm_child")
                    )
                ),
                len(toddlers),
            ),
            "smi_std_mgmt": (sum(1 for r in smi if self.standard(r, "smi", p)), len(smi)),
            "tb_first_visit": (tb_seen, len(tb_rows)),
            "chronic_std_mgmt": (htn_std + t2d_std, len(htn) + len(t2d)),
            "general_exam": (
                sum(
                    1
                    for r in present_end
                    if any(
                        e["resident_id"] == r["resident_id"]
                        and e["kind"] == "general"
                        and within(e["exam_date"], p.start, p.end)
                        for e in self.d["exams"]
                    )
                ),
                perm,
            ),
            "imm_coverage": (sum(1 for k in due if k in given), len(due)),
        }

    def compute(self, periods: list[Period]) -> list[IndicatorValue]:
        out = []
        for p in periods:
            for row in sorted(self.tree, key=lambda r: r.code):
                out += self.node(row.code, p)
        return out
