"""Synthetic, realistic record sets (rates well below 100%) for demos and benchmarks.

Vectorised with NumPy so that ten million residents are generated in about a minute.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .tree import OrgRow

EPOCH = np.datetime64("1970-01-01", "D")


def _days(d: date) -> int:
    return int((np.datetime64(d.isoformat(), "D") - EPOCH).astype(int))


def _dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    arr = days.astype("int32")
    return pa.array(arr, type=pa.date32(), mask=None if mask is None else ~mask)


def _write(out: Path, name: str, table: pa.Table, fmt: str) -> None:
    if fmt == "parquet":
        pq.write_table(table, out / f"{name}.parquet", row_group_size=1 << 20)
    elif fmt == "csv":
        pacsv.write_csv(table, out / f"{name}.csv")
    else:
        raise ValueError(f"未知的格式「{fmt}」（可用：parquet、csv）")


def leaves_of(tree: list[OrgRow]) -> list[str]:
    parents = {r.parent_code for r in tree if r.parent_code}
    return [r.code for r in tree if r.code not in parents]


def generate_recordset(
    out: Path,
    tree: list[OrgRow],
    years: list[int],
    *,
    seed: int,
    fmt: str = "parquet",
    residents: int | None = None,
    id_numbers: bool = False,
    until: date | None = None,
) -> dict[str, int]:
    """Write a synthetic record set for ``tree`` (people live in its leaves) to ``out``.

    Rates are those of the counties in the seeds, for a full year: about 72% of residents
    and 95% of the key groups (the elderly and the chronic patients) signed with a family
    doctor, 93% of hypertension and diabetes patients managed to standard, 89% of the
    elderly managed; places (leaves) differ by several points. Nothing is dated after
    ``until`` (default: 31 December of the last year), so a year in progress has only the
    records of its days so far.

    The optional ``id_number`` column is left out: no file jiceng writes holds identity
    numbers in clear, not even made-up ones (the demo's source). ``id_numbers=True`` adds
    made-up ones, for benchmarks that measure hashing them while loading.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    leaves = np.array(leaves_of(tree))
    n = residents if residents is not None else 500 * len(leaves)
    first, last = min(years), max(years)
    y0, y_end = _days(date(first, 1, 1)), _days(date(last, 12, 31))
    if until is not None:
        y_end = max(min(y_end, _days(until)), y0)
    counts: dict[str, int] = {}

    _write(
        out,
        "orgs",
        pa.table(
            {
                "org_code": [r.code for r in tree],
                "name": [r.name for r in tree],
                "parent_code": [r.parent_code for r in tree],
                "kind": [r.kind for r in tree],
            }
        ),
        fmt,
    )
    counts["orgs"] = len(tree)

    # residents
    ids = np.char.add("R", np.char.zfill(np.arange(1, n + 1).astype(str), 9))
    age_end = np.clip(rng.gamma(2.6, 16.0, n), 0, 99).astype(int)  # ~18% aged 65+
    birth = y_end - age_end * 365 - rng.integers(0, 365, n)
    org_idx = rng.integers(0, len(leaves), n)
    # how well each place works: villages differ by several points
    qual = np.clip(rng.normal(1.0, 0.05, len(leaves)), 0.8, 1.03)[org_idx]
    has_record = rng.random(n) < 0.97 * qual
    record = np.where(
        rng.random(n) < 0.85, y0 - rng.integers(30, 3000, n), rng.integers(y0, y_end + 1, n)
    )
    record = np.maximum(record, birth)
    electronic = has_record & (rng.random(n) < 0.98)
    standardized = electronic & (rng.random(n) < 0.93 * qual)
    died = rng.random(n) < 0.012
    death = rng.integers(y0, y_end + 1, n)
    moved = (~died) & (rng.random(n) < 0.015)
    moved_date = rng.integers(y0, y_end + 1, n)
    idnum = np.char.add("33010119", np.char.zfill(rng.integers(0, 10**10, n).astype(str), 10))
    residents_table = {
        "resident_id": ids,
        "sex": np.where(rng.random(n) < 0.5, "M", "F"),
        "birth_date": _dates(birth),
        "org_code": leaves[org_idx],
        "record_date": _dates(record, has_record),
        "electronic": electronic,
        "standardized": standardized,
        "death_date": _dates(death, died),
        "moved_out_date": _dates(moved_date, moved),
    }
    if id_numbers:
        residents_table["id_number"] = idnum
    _write(out, "residents", pa.table(residents_table), fmt)
    counts["residents"] = n

    # population: the leaf's residents plus some not in the system, per year
    pop_rows = {
        k: []
        for k in (
            "org_code",
            "year",
            "permanent_residents",
            "residents_65_plus",
            "children_0_6",
            "adults_18_plus",
            "key_population",
        )
    }
    per_leaf = np.bincount(org_idx, minlength=len(leaves))
    # the key groups: the elderly, the chronic patients (drawn here) and children 0-6
    p_htn = np.select([age_end >= 65, age_end >= 45, age_end >= 18], [0.42, 0.2, 0.04], 0.0)
    p_dm = p_htn * 0.42
    htn_patient = rng.random(n) < p_htn
    dm_patient = rng.random(n) < p_dm
    patients = htn_patient | dm_patient
    for y in years:
        f = 1.0 + 0.005 * (y - first)
        age_y = age_end - (last - y)

        def count(mask: np.ndarray, f: float = f) -> np.ndarray:
            return np.ceil(np.bincount(org_idx, weights=mask, minlength=len(leaves)) * f)

        pop_rows["org_code"].append(leaves)
        pop_rows["year"].append(np.full(len(leaves), y))
        pop_rows["permanent_residents"].append(np.ceil(per_leaf * f).astype(int))
        pop_rows["residents_65_plus"].append(count(age_y >= 65).astype(int))
        pop_rows["children_0_6"].append(count((age_y >= 0) & (age_y <= 6)).astype(int))
        pop_rows["adults_18_plus"].append(count(age_y >= 18).astype(int))
        key_groups = (age_y >= 65) | patients | ((age_y >= 0) & (age_y <= 6))
        pop_rows["key_population"].append(count(key_groups).astype(int))
    _write(out, "population", pa.table({k: np.concatenate(v) for k, v in pop_rows.items()}), fmt)
    counts["population"] = len(leaves) * len(years)

    # conditions: prevalence rising with age; some enrolled during the years, a few ended
    cond_rows = []
    for cond, has in (("hypertension", htn_patient), ("diabetes", dm_patient)):
        who = np.nonzero(has)[0]
        k = len(who)
        enrolled = np.where(
            rng.random(k) < 0.8, y0 - rng.integers(30, 2500, k), rng.integers(y0, y_end + 1, k)
        )
        ended = rng.random(k) < 0.03
        ended_date = enrolled + rng.integers(30, 900, k)
        cond_rows.append((who, np.full(k, cond), enrolled, ended, ended_date))
    who = np.concatenate([c[0] for c in cond_rows])
    cond = np.concatenate([c[1] for c in cond_rows])
    enrolled = np.concatenate([c[2] for c in cond_rows])
    ended = np.concatenate([c[3] for c in cond_rows])
    ended_date = np.concatenate([c[4] for c in cond_rows])
    _write(
        out,
        "conditions",
        pa.table(
            {
                "resident_id": ids[who],
                "condition": cond,
                "enrolled_date": _dates(enrolled),
                "ended_date": _dates(ended_date, ended),
                "org_code": leaves[org_idx[who]],
            }
        ),
        fmt,
    )
    counts["conditions"] = len(who)

    # follow-ups: per patient and quarter, a face-to-face visit (missed now and then, more
    # often where the place works less well), and over the year 0-1 more and 0-2 by phone
    fu = {k: [] for k in ("p", "date", "mode")}
    p_qual = qual[who]
    everyone = np.arange(len(who))

    def visits(mask: np.ndarray, lo: np.ndarray, hi: np.ndarray, mode: str) -> None:
        rep = everyone[mask]
        span = (hi[rep] - lo[rep] + 1).clip(min=1)
        fu["p"].append(rep)
        fu["date"].append(lo[rep] + (rng.random(len(rep)) * span).astype(int))
        fu["mode"].append(np.full(len(rep), mode))

    for y in years:
        for q in range(4):
            qs = _days(date(y, 3 * q + 1, 1))
            if qs > y_end:
                break
            qe = min(_days(date(y + 1, 1, 1) if q == 3 else date(y, 3 * q + 4, 1)) - 1, y_end)
            lo = np.maximum(enrolled, qs)
            hit = (lo <= qe) & (rng.random(len(who)) < np.minimum(0.975 + (p_qual - 1) / 5, 0.998))
            visits(hit, lo, np.full(len(who), qe), "face_to_face")
        ys, ye = _days(date(y, 1, 1)), min(_days(date(y, 12, 31)), y_end)
        if ys > y_end:
            continue
        lo = np.maximum(enrolled, ys)
        hi = np.full(len(who), ye)
        active = lo <= ye
        visits(active & (rng.random(len(who)) < 0.3), lo, hi, "face_to_face")
        for _ in range(2):
            visits(active & (rng.random(len(who)) < 0.4), lo, hi, "phone")
    p = np.concatenate(fu["p"])
    m = len(p)
    is_htn = cond[p] == "hypertension"
    sbp = np.round(rng.normal(136, 14, m)).clip(90, 220)
    dbp = np.round(np.minimum(rng.normal(82, 9, m), sbp - 20)).clip(50, 130)
    glu = np.round(rng.normal(6.9, 1.4, m).clip(3.5, 25), 1)
    measured = rng.random(m) < 0.94
    _write(
        out,
        "followups",
        pa.table(
            {
                "resident_id": ids[who[p]],
                "condition": cond[p],
                "visit_date": _dates(np.concatenate(fu["date"])),
                "mode": np.concatenate(fu["mode"]),
                "sbp": pa.array(sbp, mask=~(measured & is_htn)),
                "dbp": pa.array(dbp, mask=~(measured & is_htn)),
                "fasting_glucose": pa.array(glu, mask=~(measured & ~is_htn)),
                "org_code": leaves[org_idx[who[p]]],
            }
        ),
        fmt,
    )
    counts["followups"] = m

    # exams and services per year
    ex = {k: [] for k in ("r", "date", "kind", "complete")}
    sv = {k: [] for k in ("r", "date", "service")}
    for y in years:
        ys, ye = _days(date(y, 1, 1)), min(_days(date(y, 12, 31)), y_end)
        if ys > y_end:
            continue
        age_y = age_end - (last - y)
        for mask, kind in (
            (age_y >= 65, "elderly_annual"),
            (patients & (age_y < 65), "chronic_annual"),
            (age_y < 65, "general"),
        ):
            rate = {"elderly_annual": 0.935, "chronic_annual": 0.5, "general": 0.06}[kind]
            r = np.nonzero(mask & (rng.random(n) < rate * qual))[0]
            ex["r"].append(r)
            ex["date"].append(rng.integers(ys, ye + 1, len(r)))
            ex["kind"].append(np.full(len(r), kind))
            ex["complete"].append(rng.random(len(r)) < 0.975)
        for mask, service, rate in (
            (age_y >= 65, "tcm_elderly", 0.6),
            (age_y <= 6, "child_checkup", 0.85),
            (age_y == 0, "newborn_visit", 0.9),
            (age_y >= 18, "health_education", 0.05),
        ):
            r = np.nonzero(mask & (rng.random(n) < rate))[0]
            sv["r"].append(r)
            sv["date"].append(rng.integers(ys, ye + 1, len(r)))
            sv["service"].append(np.full(len(r), service))
    r = np.concatenate(ex["r"])
    _write(
        out,
        "exams",
        pa.table(
            {
                "resident_id": ids[r],
                "exam_date": _dates(np.concatenate(ex["date"])),
                "kind": np.concatenate(ex["kind"]),
                "complete": np.concatenate(ex["complete"]),
            }
        ),
        fmt,
    )
    counts["exams"] = len(r)
    r = np.concatenate(sv["r"])
    _write(
        out,
        "services",
        pa.table(
            {
                "resident_id": ids[r],
                "service_date": _dates(np.concatenate(sv["date"])),
                "service": np.concatenate(sv["service"]),
            }
        ),
        fmt,
    )
    counts["services"] = len(r)

    # contracts: yearly, signed from January to April for one year; about 72% of residents
    # (nearly all of the key groups, two thirds of the others)
    ct = {k: [] for k in ("r", "start", "end", "key", "paid")}
    for y in years:
        ys = _days(date(y, 1, 1))
        if ys > y_end:
            continue
        age_y = age_end - (last - y)
        groups = [
            (age_y >= 65, "elderly"),
            (htn_patient, "hypertension"),
            (dm_patient, "diabetes"),
            ((age_y >= 0) & (age_y <= 6), "child"),
        ]
        key = np.full(n, "", dtype=object)
        for mask, name in groups:
            key = np.where(mask, np.where(key == "", name, key + ";" + name), key)
        in_key = (age_y >= 65) | patients | ((age_y >= 0) & (age_y <= 6))
        rate = np.where(in_key, qual**2, 0.675 * qual**2)
        r = np.nonzero((rng.random(n) < rate) & (birth <= ys + 120))[0]
        s = np.minimum(ys + rng.integers(0, 120, len(r)), y_end)
        s = np.maximum(s, birth[r])
        ct["r"].append(r)
        ct["start"].append(s)
        ct["end"].append(np.maximum(s + 365, _days(date(y, 12, 31))))
        ct["key"].append(key[r].astype(str))
        ct["paid"].append(rng.random(len(r)) < 0.1)
    r = np.concatenate(ct["r"])
    keys = np.concatenate(ct["key"])
    _write(
        out,
        "contracts",
        pa.table(
            {
                "resident_id": ids[r],
                "team_id": np.char.add("T", leaves[org_idx[r]]),
                "start_date": _dates(np.concatenate(ct["start"])),
                "end_date": _dates(np.concatenate(ct["end"])),
                "key_groups": pa.array(keys, mask=keys == ""),
                "paid_package": np.concatenate(ct["paid"]),
                "org_code": leaves[org_idx[r]],
            }
        ),
        fmt,
    )
    counts["contracts"] = len(r)
    return counts


def synthetic_tree(residents: int, per_village: int = 1500) -> list[OrgRow]:
    """Province → cities → counties → townships → villages, ~one village per 1,500 residents."""
    villages = max(1, round(residents / per_village))
    rows = [OrgRow("990000000000", "合成省", None, "province")]
    per_township, per_county, per_city = 12, 15, 8
    townships = max(1, -(-villages // per_township))
    counties = max(1, -(-townships // per_county))
    cities = max(1, -(-counties // per_city))
    for c in range(cities):
        rows.append(OrgRow(f"99{c + 1:02d}00000000", f"合成市{c + 1}", "990000000000", "city"))
    for k in range(counties):
        rows.append(
            OrgRow(
                f"99{k // per_city + 1:02d}{k % per_city + 1:02d}000000",
                f"合成县{k + 1}",
                f"99{k // per_city + 1:02d}00000000",
                "county",
            )
        )
    v = 0
    for t in range(townships):
        k = t // per_county
        county = f"99{k // per_city + 1:02d}{k % per_city + 1:02d}000000"
        tcode = county[:6] + f"{t % per_county + 1:03d}000"
        rows.append(OrgRow(tcode, f"合成乡镇{t + 1}", county, "township"))
        for j in range(per_township):
            if v >= villages:
                break
            rows.append(OrgRow(tcode[:9] + f"{j + 1:03d}", f"合成村{v + 1}", tcode, "village"))
            v += 1
    return rows
