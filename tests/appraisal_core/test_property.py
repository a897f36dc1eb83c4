"""Hypothesis-generated schemes and values: the command's RESULT.json equals the small
reading of the contract in ``reference.py``, value by value."""

from __future__ import annotations

import json
import tempfile
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import reference
from .helpers import csv_file, run

VERDICTS = ("recommended", "basic", "none")
halves = st.integers(0, 240).map(lambda n: Fraction(n, 2))  # 0, 0.5, …, 120
hundredths = st.integers(1, 10_000).map(lambda n: Fraction(n, 100))


def text(x: Fraction) -> str:
    return str(float(x)) if x.denominator != 1 else str(x.numerator)


@st.composite
def items(draw, code: str) -> dict:
    points = draw(
        st.sampled_from([Fraction(1), Fraction(5, 2), Fraction(5), Fraction(10), Fraction(15)])
    )
    kind = draw(st.sampled_from(["linear", "linear", "ratio", "deduct", "map", "manual"]))
    if kind == "linear":
        floor, target = draw(st.lists(st.integers(0, 120), min_size=2, max_size=2, unique=True))
        rule = ("linear", Fraction(floor), Fraction(target))
    elif kind == "ratio":
        rule = ("ratio", Fraction(draw(st.integers(1, 100))))
    elif kind == "deduct":
        rule = ("deduct", draw(st.sampled_from([Fraction(1, 2), Fraction(1), Fraction(3)])))
    elif kind == "map":
        table = {v: Fraction(draw(st.integers(0, int(points * 2))), 2) for v in VERDICTS}
        rule = ("map", table)
    else:
        rule = ("manual",)
    return {"code": code, "points": points, "rule": rule, "exempt": draw(st.booleans()),
            "veto": draw(st.booleans()) and draw(st.booleans())}  # fmt: skip


def value_of(item: dict):
    rule = item["rule"]
    if rule[0] == "map":
        return st.sampled_from(VERDICTS)
    if rule[0] == "manual":
        return st.integers(0, int(item["points"] * 2)).map(lambda n: text(Fraction(n, 2)))
    if rule[0] == "deduct":
        return st.integers(0, 12).map(str)
    return halves.map(text)


@st.composite
def cases(draw):
    n_items = draw(st.integers(1, 5))
    its = [draw(items(f"I{i}")) for i in range(n_items)]
    mins = sorted(
        draw(st.lists(st.integers(1, 100), min_size=0, max_size=3, unique=True)), reverse=True
    )
    labels = ["甲", "乙", "丙", "丁"]
    grades = [(labels[i], Fraction(m)) for i, m in enumerate(mins)] + [
        (labels[len(mins)], Fraction(0))
    ]
    fund_kind = draw(st.sampled_from([None, "score_population", "grade_per_capita"]))
    if fund_kind == "score_population":
        fund = (fund_kind, Fraction(draw(st.integers(0, 100_000_000)), 100))
    elif fund_kind == "grade_per_capita":
        fund = (fund_kind, {label: draw(hundredths) for label, _ in grades})
    else:
        fund = None
    units = sorted(draw(st.sets(st.integers(1, 40), min_size=1, max_size=8)))
    values: dict[str, dict[str, str | None]] = {}
    pop: dict[str, int] = {}
    previous = None
    for u in units:
        code = f"U{u:02d}"
        # sometimes a unit copies the previous one, population too: equal scores must share a
        # rank, equal weights tie for the last fen (lower unit code first)
        if previous is not None and draw(st.integers(0, 2)) == 0:
            values[code] = dict(values[previous])
            if previous in pop:
                pop[code] = pop[previous]
            continue
        row = {}
        for it in its:
            choice = draw(st.integers(0, 5))
            if choice == 0:
                continue  # no row at all
            row[it["code"]] = "" if choice == 1 else draw(value_of(it))
        values[code] = row
        p = draw(st.one_of(st.sampled_from([None, 0, 100, 1000]), st.integers(0, 50_000)))
        if p is not None:
            pop[code] = p
        previous = code
    return {"items": its, "grades": grades, "fund": fund}, values, pop


def scheme_json(scheme: dict) -> dict:
    def rule(r):
        if r[0] == "linear":
            return {"linear": {"floor": float(r[1]), "target": float(r[2])}}
        if r[0] == "ratio":
            return {"ratio": {"target": float(r[1])}}
        if r[0] == "deduct":
            return {"deduct": {"per": float(r[1])}}
        if r[0] == "map":
            return {"map": {k: float(v) for k, v in r[1].items()}}
        return "manual"

    sources = {"map": "verdict", "manual": "manual", "deduct": "ledger_overdue"}
    data = {
        "code": "GEN", "version": "1", "title": "生成的方案", "year": 2025,
        "unit_kinds": ["township_hc"], "peer_group": "all",
        "grades": [{"label": g, "min": float(m)} for g, m in scheme["grades"]],
        "modules": [{"code": "M", "name": "模块", "items": [
            {"code": it["code"], "name": it["code"], "points": float(it["points"]),
             "source": sources.get(it["rule"][0], "indicator:hr_usage"), "rule": rule(it["rule"]),
             **({"missing": "exempt"} if it["exempt"] else {}), "veto": it["veto"]}
            for it in scheme["items"]]}],
    }  # fmt: skip
    fund = scheme["fund"]
    if fund and fund[0] == "score_population":
        data["fund"] = {"pool": text(fund[1]), "rule": "score_population"}
    elif fund:
        data["fund"] = {"rule": {"grade_per_capita": {g: float(r) for g, r in fund[1].items()}}}
    return data


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_compute_matches_the_reference_reading_of_the_contract(case):
    scheme, values, pop = case
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "gen.json").write_text(json.dumps(scheme_json(scheme), ensure_ascii=False), "utf-8")
        rows = [[u, code, v] for u, row in values.items() for code, v in row.items()]
        rows += [[u, "", ""] for u, row in values.items() if not row]  # a unit with no items
        inputs = csv_file(tmp / "in.csv", "unit_code,item_code,value", rows)
        popfile = csv_file(tmp / "pop.csv", "unit_code,population", list(pop.items()))
        out = tmp / "out.json"
        code, _o, err = run("appraisal", "compute", str(tmp / "gen.json"), "--inputs", inputs,
                            "--population", popfile, "--out", str(out))  # fmt: skip
        try:
            expected = reference.appraise(scheme, values, pop)
        except reference.CannotShare:
            assert code == 1 and "无法分配" in err
            return
        assert code == 0, err
        assert json.loads(out.read_text("utf-8"))["units"] == expected
