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

from .immunization import DEFAULT_SCHEDULE
from .tree import OrgRow

EPOCH = np.datetime64("1970-01-01", "D")
BIRTHS_PER_DAY = 0.0092 / 365  # births per resident and day (about 9 per 1,000 a year)


def _days(d: date) -> int:
    return int((np.datetime64(d.isoformat(), "D") - EPOCH).astype(int))


def _dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    arr = days.astype("int32")
    return pa.array(arr, type=pa.date32(), mask=None if mask is None else ~mask)


def _add_months(days: np.ndarray, months: int) -> np.ndarray:
    """``days`` (since the epoch) plus whole months: same day of month, or the month's last."""
    d = EPOCH + days.astype("timedelta64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(int)
    target = m + np.timedelta64(months, "M")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(int)
    return (target.astype("datetime64[D]") - EPOCH).astype(int) + np.minimum(dom, length - 1)


def _series(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ``counts[i]`` events of owner i: the owner of each event and its rank (0, 1, …)."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - starts[owner]


def _text(a: np.ndarray) -> pa.Array:
    """A column of a few distinct codes (much faster than converting the strings one by one)."""
    names = np.unique(a[:4096]).tolist()
    idx = np.full(len(a), -1, dtype=np.int32)
    for i, name in enumerate(names):
        idx[a == name] = i
    if (idx < 0).any():  # codes not among the first rows
        extra = np.unique(a[idx < 0]).tolist()
        for i, name in enumerate(extra, len(names)):
            idx[a == name] = i
        names += extra
    return pa.array(names, type=pa.string()).take(pa.array(idx))


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
    elderly managed; places (leaves) differ by several points. About 9 births per 1,000
    residents a year: the optional tables ``pregnancies`` (90% registered before 13 weeks,
    most with five or more antenatal checks and a postpartum visit, a few twins, a few still
    pregnant at the end) and ``vaccinations`` (about 98% of the due doses of the default
    immunization schedule) are written, the babies are residents born on the delivery day
    where the mother lives; children 0-6 are checked up, SMI patients (~0.5%) and notified
    tuberculosis cases (a few per 10,000 a year) are followed up, and about a third of the
    residents have a general health check-up. Nothing is dated after
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

    # residents: most drawn by age (~18% aged 65+); about 9 births per 1,000 residents a
    # year: children born in the eight years before the first year, and the babies of the
    # deliveries within the years (born on the delivery day, where the mother lives)
    span = y_end - y0 + 1
    n_deliv = int(rng.binomial(n, min(BIRTHS_PER_DAY * span, 0.2)))
    twins = rng.random(n_deliv) < 0.012
    stillborn = ~twins & (rng.random(n_deliv) < 0.004)
    live_births = np.where(twins, 2, np.where(stillborn, 0, 1))
    nb = n - int(live_births.sum())  # residents other than the babies
    age = np.clip(rng.gamma(2.6, 16.0, n), 0, 99)
    age = np.where(age < 7, age + 7, age).astype(int)
    young = rng.random(n) < BIRTHS_PER_DAY * 8 * 365
    base_birth = np.where(
        young,
        y0 - rng.integers(1, 8 * 365 + 1, n),
        y_end - age * 365 - rng.integers(0, 365, n),
    )
    base_org = rng.integers(0, len(leaves), n)
    female = rng.random(n) < 0.5

    # mothers: distinct women aged 20-40 at the delivery (or, still pregnant, at the end)
    cand = np.nonzero(
        female[:nb] & (base_birth[:nb] <= y_end - 20 * 365) & (base_birth[:nb] >= y0 - 40 * 365)
    )[0]
    cand = cand[rng.permutation(len(cand))]
    if len(cand) == 0:  # a tiny record set: nobody to give birth
        n_deliv, live_births, nb = 0, live_births[:0], n
    elif len(cand) < n_deliv:  # a tiny record set: some women give birth twice
        cand = np.concatenate([cand, rng.choice(cand, n_deliv - len(cand))])
    mother = cand[:n_deliv]
    lo = np.maximum(y0, base_birth[mother] + 20 * 365)
    hi = np.minimum(y_end, base_birth[mother] + 40 * 365)
    delivery = lo + (rng.random(n_deliv) * (hi - lo + 1)).astype(int)
    rest = cand[n_deliv:]
    rest = rest[(base_birth[rest] <= y_end - 20 * 365) & (base_birth[rest] >= y_end - 40 * 365)]
    pending = np.unique(rest)[: int(rng.binomial(n, BIRTHS_PER_DAY * 120))]

    baby_of = np.repeat(np.arange(n_deliv), live_births)
    birth = np.concatenate([base_birth[:nb], delivery[baby_of]])
    org_idx = np.concatenate([base_org[:nb], base_org[mother][baby_of]])
    female = np.concatenate([female[:nb], rng.random(len(baby_of)) < 0.49])
    baby = np.arange(nb, n)
    birth_year = (EPOCH + birth.astype("timedelta64[D]")).astype("datetime64[Y]").astype(int) + 1970
    age_end = last - birth_year  # age on 31 December of the last year

    ids_pa = pa.array(np.char.add("R", np.char.zfill(np.arange(1, n + 1).astype(str), 9)))
    leaves_pa = pa.array(leaves)

    def rid(r: np.ndarray) -> pa.Array:
        return ids_pa.take(pa.array(r, type=pa.int64()))

    def org_of(r: np.ndarray) -> pa.Array:
        return leaves_pa.take(pa.array(org_idx[r], type=pa.int64()))

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
    death = np.maximum(rng.integers(y0, y_end + 1, n), birth)
    moved = (~died) & (rng.random(n) < 0.015)
    moved_date = np.maximum(rng.integers(y0, y_end + 1, n), birth)
    mothers = np.concatenate([mother, pending])
    died[mothers] = False
    moved[mothers] = False
    idnum = np.char.add("33010119", np.char.zfill(rng.integers(0, 10**10, n).astype(str), 10))
    residents_table = {
        "resident_id": ids_pa,
        "sex": pa.array(["M", "F"]).take(pa.array(female.astype(np.int32))),
        "birth_date": _dates(birth),
        "org_code": org_of(np.arange(n)),
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
    # the key groups: the elderly, the chronic and SMI patients (drawn here), children 0-6
    p_htn = np.select([age_end >= 65, age_end >= 45, age_end >= 18], [0.42, 0.2, 0.04], 0.0)
    p_dm = p_htn * 0.42
    htn_patient = rng.random(n) < p_htn
    dm_patient = rng.random(n) < p_dm
    patients = htn_patient | dm_patient
    smi_patient = (age_end >= 18) & (rng.random(n) < 0.0055)
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
        key_groups = (age_y >= 65) | patients | smi_patient | ((age_y >= 0) & (age_y <= 6))
        pop_rows["key_population"].append(count(key_groups).astype(int))
    _write(out, "population", pa.table({k: np.concatenate(v) for k, v in pop_rows.items()}), fmt)
    counts["population"] = len(leaves) * len(years)

    # conditions: prevalence rising with age; some enrolled during the years, a few ended
    cond_rows = []
    for cond, has in (
        ("hypertension", htn_patient),
        ("diabetes", dm_patient),
        ("smi", smi_patient),
    ):
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
    # tuberculosis: a few notified cases per 10,000 residents a year (aged 15+), treated for
    # six to eight months
    adults = np.nonzero(age_end >= 15)[0]
    n_tb = int(rng.binomial(n, 0.0005 * span / 365)) if len(adults) else 0
    tb_who = rng.choice(adults, n_tb) if n_tb else np.zeros(0, dtype=int)
    tb_enrolled = rng.integers(y0, y_end + 1, n_tb)
    tb_ended_date = tb_enrolled + rng.integers(180, 240, n_tb)
    tb_ended = tb_ended_date <= y_end
    _write(
        out,
        "conditions",
        pa.table(
            {
                "resident_id": rid(np.concatenate([who, tb_who])),
                "condition": _text(np.concatenate([cond, np.full(n_tb, "tb")])),
                "enrolled_date": _dates(np.concatenate([enrolled, tb_enrolled])),
                "ended_date": _dates(
                    np.concatenate([ended_date, tb_ended_date]), np.concatenate([ended, tb_ended])
                ),
                "org_code": org_of(np.concatenate([who, tb_who])),
            }
        ),
        fmt,
    )
    counts["conditions"] = len(who) + n_tb

    # follow-ups: per patient and quarter, a face-to-face visit (missed now and then, more
    # often where the place works less well; SMI patients more often), and over the year 0-1
    # more and 0-2 by phone
    fu = {k: [] for k in ("p", "date", "mode")}
    p_qual = qual[who]
    p_visit = np.minimum(np.where(cond == "smi", 0.947, 0.975) + (p_qual - 1) / 5, 0.998)
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
            hit = (lo <= qe) & (rng.random(len(who)) < p_visit)
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
    fu_who = who[p]
    fu_cond = cond[p]
    fu_date = np.concatenate(fu["date"])
    fu_mode = np.concatenate(fu["mode"])
    # tuberculosis: a face-to-face visit within 3 days of the notification for most, then
    # about monthly during the treatment (mostly face to face)
    first_visit = tb_enrolled + np.where(
        rng.random(n_tb) < np.minimum(0.9 * qual[tb_who], 0.995),
        rng.integers(0, 4, n_tb),
        rng.integers(4, 15, n_tb),
    )
    tb_case, j = _series(np.full(n_tb, 7))
    tb_date = np.where(
        j == 0, first_visit[tb_case], tb_enrolled[tb_case] + 30 * j + rng.integers(-3, 4, len(j))
    )
    tb_keep = tb_date <= np.minimum(tb_ended_date[tb_case], y_end)
    tb_mode = np.where((j == 0) | (rng.random(len(j)) < 0.8), "face_to_face", "phone")
    fu_who = np.concatenate([fu_who, tb_who[tb_case[tb_keep]]])
    fu_cond = np.concatenate([fu_cond, np.full(int(tb_keep.sum()), "tb")])
    fu_date = np.concatenate([fu_date, tb_date[tb_keep]])
    fu_mode = np.concatenate([fu_mode, tb_mode[tb_keep]])
    m = len(fu_who)
    is_htn = fu_cond == "hypertension"
    is_dm = fu_cond == "diabetes"
    sbp = np.round(rng.normal(136, 14, m)).clip(90, 220)
    dbp = np.round(np.minimum(rng.normal(82, 9, m), sbp - 20)).clip(50, 130)
    glu = np.round(rng.normal(6.9, 1.4, m).clip(3.5, 25), 1)
    measured = rng.random(m) < 0.94
    _write(
        out,
        "followups",
        pa.table(
            {
                "resident_id": rid(fu_who),
                "condition": _text(fu_cond),
                "visit_date": _dates(fu_date),
                "mode": _text(fu_mode),
                "sbp": pa.array(sbp, mask=~(measured & is_htn)),
                "dbp": pa.array(dbp, mask=~(measured & is_htn)),
                "fasting_glucose": pa.array(glu, mask=~(measured & is_dm)),
                "org_code": org_of(fu_who),
            }
        ),
        fmt,
    )
    counts["followups"] = m

    # exams and services per year, none before the resident's birth; a general health
    # check-up (全民健康体检) for about a third of the residents; children 0-6 checked up and
    # the under-36-months given TCM care
    ex = {k: [] for k in ("r", "date", "kind", "complete")}
    sv = {k: [] for k in ("r", "date", "service")}

    def within(r: np.ndarray, lo: int, hi: int) -> np.ndarray:
        start = np.maximum(lo, birth[r])
        return start + (rng.random(len(r)) * (hi - start + 1)).astype(int)

    for y in years:
        ys, ye = _days(date(y, 1, 1)), min(_days(date(y, 12, 31)), y_end)
        if ys > y_end:
            continue
        age_y = age_end - (last - y)
        born = (age_y >= 0) & (birth <= ye)
        for mask, kind, rate in (
            (age_y >= 65, "elderly_annual", 0.935),
            (patients & (age_y < 65), "chronic_annual", 0.5),
            (born, "general", 0.36),
        ):
            r = np.nonzero(mask & (rng.random(n) < rate * qual))[0]
            ex["r"].append(r)
            ex["date"].append(within(r, ys, ye))
            ex["kind"].append(np.full(len(r), kind))
            ex["complete"].append(rng.random(len(r)) < 0.975)
        under_36_months = born & (birth > _days(date(y - 3, 12, 31)))
        for mask, service, rate in (
            (age_y >= 65, "tcm_elderly", 0.6),
            (born & (age_y <= 6), "child_checkup", np.minimum(0.975 * qual, 0.995)),
            (under_36_months, "tcm_child", 0.76 * qual),
            (age_y >= 18, "health_education", 0.05),
        ):
            r = np.nonzero(mask & (rng.random(n) < rate))[0]
            sv["r"].append(r)
            sv["date"].append(within(r, ys, ye))
            sv["service"].append(np.full(len(r), service))

    # pregnancies: registered mostly before 13 weeks, delivered at 37-41 weeks (a few earlier),
    # with antenatal checks from the registration on (five or more for most), a postpartum
    # visit within 28 days for most; a few pregnancies still under way at the end
    def p_of(rate: float, who: np.ndarray) -> np.ndarray:
        return np.minimum(rate * qual[who], 0.995)

    def registered_weeks(who: np.ndarray) -> np.ndarray:
        k = len(who)
        early = rng.random(k) < p_of(0.91, who)
        return np.where(early, rng.integers(5, 13, k), rng.integers(13, 29, k))

    weeks = registered_weeks(mother)
    gestation = np.where(
        rng.random(n_deliv) < 0.05, rng.integers(32, 37, n_deliv), rng.integers(37, 42, n_deliv)
    )
    registered = delivery - gestation * 7 - rng.integers(0, 7, n_deliv) + weeks * 7
    checks = np.where(
        rng.random(n_deliv) < p_of(0.97, mother),
        rng.integers(5, 10, n_deliv),
        rng.integers(1, 5, n_deliv),
    )
    g, j = _series(checks)
    step = (delivery - registered)[g] // checks[g]
    sv["r"].append(mother[g])
    sv["date"].append(registered[g] + j * step + (rng.random(len(g)) * step / 3).astype(int))
    sv["service"].append(np.full(len(g), "prenatal_check"))
    pp = delivery + np.where(
        rng.random(n_deliv) < p_of(0.955, mother),
        rng.integers(3, 29, n_deliv),
        np.where(rng.random(n_deliv) < 0.5, rng.integers(29, 43, n_deliv), y_end + 1),
    )
    pp_keep = (pp <= y_end) & (live_births >= 1)
    sv["r"].append(mother[pp_keep])
    sv["date"].append(pp[pp_keep])
    sv["service"].append(np.full(int(pp_keep.sum()), "postpartum_visit"))
    k = len(pending)
    pend_weeks = registered_weeks(pending)
    pend_registered = y_end - (rng.random(k) * (38 - pend_weeks) * 7).astype(int)
    g, j = _series(1 + (y_end - pend_registered) // 30)
    sv["r"].append(pending[g])
    sv["date"].append(pend_registered[g] + 30 * j)
    sv["service"].append(np.full(len(g), "prenatal_check"))
    preg_who = np.concatenate([mother, pending])
    delivered = np.concatenate([np.ones(n_deliv, bool), np.zeros(k, bool)])
    _write(
        out,
        "pregnancies",
        pa.table(
            {
                "resident_id": rid(preg_who),
                "registered_date": _dates(np.concatenate([registered, pend_registered])),
                "registered_weeks": np.concatenate([weeks, pend_weeks]).astype("int64"),
                "delivery_date": _dates(
                    np.concatenate([delivery, np.zeros(k, dtype=int)]), delivered
                ),
                "live_births": np.concatenate([live_births, np.zeros(k, dtype=int)]).astype(
                    "int64"
                ),
                "org_code": org_of(preg_who),
            }
        ),
        fmt,
    )
    counts["pregnancies"] = len(preg_who)

    # newborns: a home visit within 28 days for most (late or none for the others)
    nv = birth[baby] + np.where(
        rng.random(len(baby)) < p_of(0.96, baby),
        rng.integers(3, 29, len(baby)),
        np.where(rng.random(len(baby)) < 0.5, rng.integers(29, 45, len(baby)), y_end + 1),
    )
    nv_keep = nv <= y_end
    sv["r"].append(baby[nv_keep])
    sv["date"].append(nv[nv_keep])
    sv["service"].append(np.full(int(nv_keep.sum()), "newborn_visit"))

    r = np.concatenate(ex["r"])
    _write(
        out,
        "exams",
        pa.table(
            {
                "resident_id": rid(r),
                "exam_date": _dates(np.concatenate(ex["date"])),
                "kind": _text(np.concatenate(ex["kind"])),
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
                "resident_id": rid(r),
                "service_date": _dates(np.concatenate(sv["date"])),
                "service": _text(np.concatenate(sv["service"])),
            }
        ),
        fmt,
    )
    counts["services"] = len(r)

    # vaccinations per the default schedule: about 98% of the doses falling due from a
    # quarter before the first year on, most within a week of the due day, some up to four
    # weeks later (none after the end, nor after the child died or moved out)
    kids = np.nonzero(
        birth >= y0 - 92 - 31 * max(max(d.values()) for d in DEFAULT_SCHEDULE.values())
    )[0]
    p_given = np.clip(0.985 + (qual[kids] - 1) * 0.3, 0.9, 0.998)
    gone = np.minimum(np.where(died, death, y_end), np.where(moved, moved_date, y_end))[kids]
    va = {k: [] for k in ("r", "vaccine", "dose", "date")}
    for vaccine, doses in DEFAULT_SCHEDULE.items():
        for dose, months in doses.items():
            due = _add_months(birth[kids], months)
            delay = np.where(
                rng.random(len(kids)) < 0.8,
                rng.integers(0, 8, len(kids)),
                rng.integers(8, 29, len(kids)),
            )
            given = (due >= y0 - 92) & (due + delay <= gone) & (rng.random(len(kids)) < p_given)
            va["r"].append(kids[given])
            va["vaccine"].append(np.full(int(given.sum()), vaccine))
            va["dose"].append(np.full(int(given.sum()), dose, dtype="int64"))
            va["date"].append((due + delay)[given])
    r = np.concatenate(va["r"])
    _write(
        out,
        "vaccinations",
        pa.table(
            {
                "resident_id": rid(r),
                "vaccine": _text(np.concatenate(va["vaccine"])),
                "dose": np.concatenate(va["dose"]),
                "vaccination_date": _dates(np.concatenate(va["date"])),
            }
        ),
        fmt,
    )
    counts["vaccinations"] = len(r)

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
            (smi_patient, "smi"),
            ((age_y >= 0) & (age_y <= 6), "child"),
        ]
        key = np.full(n, "", dtype=object)
        for mask, name in groups:
            key = np.where(mask, np.where(key == "", name, key + ";" + name), key)
        in_key = (age_y >= 65) | patients | smi_patient | ((age_y >= 0) & (age_y <= 6))
        rate = np.where(in_key, qual**2, 0.655 * qual**2)
        # babies born during the year are signed within two months of their birth
        ye = min(_days(date(y, 12, 31)), y_end)
        r = np.nonzero((rng.random(n) < rate) & (birth <= ye))[0]
        s = np.minimum(ys + rng.integers(0, 120, len(r)), y_end)
        s = np.minimum(np.maximum(s, birth[r] + rng.integers(0, 60, len(r))), ye)
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
                "resident_id": rid(r),
                "team_id": pa.array(np.char.add("T", leaves)).take(
                    pa.array(org_idx[r], type=pa.int64())
                ),
                "start_date": _dates(np.concatenate(ct["start"])),
                "end_date": _dates(np.concatenate(ct["end"])),
                "key_groups": pa.array(keys, mask=keys == ""),
                "paid_package": np.concatenate(ct["paid"]),
                "org_code": org_of(r),
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
