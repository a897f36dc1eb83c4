"""Hypothesis: the commands agree with a separate, plain reading of the contract
(``reference.py``) on random trees, definitions, values and completions."""

from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from . import reference
from .helpers import aggregate, csv_file, same_number, validate

TYPES = ["integer", "non_negative_integer", "number", "percentage", "yes_no"]
AGGREGATIONS = ["sum", "average", "last", "none"]
OPERATORS = ["==", "!=", ">", ">=", "<", "<="]
MISSING = ["skip_if_any_missing", "skip_if_all_missing", "never_skip"]
PERIODS_OF = {"monthly": 12, "quarterly": 4, "yearly": 1}


def render(tree) -> str:
    kind = tree[0]
    if kind == "num":
        return str(float(tree[1])) if tree[1].denominator != 1 else str(tree[1].numerator)
    if kind == "ref":
        return f"#{{{tree[1]}}}" if tree[2] is None else f"#{{{tree[1]}.{tree[2]}}}"
    if kind == "neg":
        return f"-({render(tree[1])})"
    return f"({render(tree[1])} {kind} {render(tree[2])})"


@st.composite
def expressions(draw, elements):
    refs = [(code, None) for code in elements] + [
        (code, o) for code, el in elements.items() for o in el["options"]
    ]
    leaf = st.one_of(
        st.sampled_from(refs).map(lambda r: ("ref", r[0], r[1])),
        st.sampled_from([0, 1, 2, 3, Fraction(1, 2), 100]).map(lambda n: ("num", Fraction(n))),
    )
    return draw(
        st.recursive(
            leaf,
            lambda inner: st.one_of(
                st.tuples(st.sampled_from(["+", "-", "*", "/"]), inner, inner),
                st.tuples(st.just("neg"), inner),
            ),
            max_leaves=4,
        )
    )


def label(year: int, index: int, period_type: str) -> str:
    if period_type == "monthly":
        return f"{year}-{index + 1:02d}"
    if period_type == "quarterly":
        return f"{year}Q{index + 1}"
    return str(year)


def typed_value(k: int, value_type: str) -> Fraction:
    return {
        "integer": lambda: Fraction(k % 41 - 20),
        "non_negative_integer": lambda: Fraction(k % 30),
        "number": lambda: Fraction(k - 1000, 100),
        "percentage": lambda: Fraction(k % 1001, 10),
        "yes_no": lambda: Fraction(k % 2),
    }[value_type]()


def text_of(v: Fraction, value_type: str, k: int) -> str:
    if value_type == "yes_no":
        return ["否", "是", "no", "yes"][int(v) + 2 * (k % 2)]
    if v.denominator == 1:
        return str(v.numerator)
    return str(float(v))  # denominators here are 10 or 100: exact in decimal


DATES = st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2026, 6, 30)))


@st.composite
def scenarios(draw):
    period_type = draw(st.sampled_from(list(PERIODS_OF)))
    kinds = draw(
        st.sampled_from([["township_hc"], ["village_clinic"], ["township_hc", "village_clinic"]])
    )
    # the tree: county R > township health centres T1.. > village clinics V1_1..
    orgs = [{"code": "R", "parent": None, "kind": "county", "open": None, "close": None}]
    for t in range(1, draw(st.integers(1, 3)) + 1):
        orgs.append(
            {"code": f"T{t}", "parent": "R", "kind": "township_hc",
             "open": draw(DATES), "close": draw(DATES)}
        )  # fmt: skip
        for v in range(1, draw(st.integers(0, 2)) + 1):
            orgs.append(
                {"code": f"V{t}_{v}", "parent": f"T{t}", "kind": "village_clinic",
                 "open": draw(DATES), "close": draw(DATES)}
            )  # fmt: skip
    for o in orgs:
        if o["open"] and o["close"] and o["close"] < o["open"]:
            o["open"], o["close"] = o["close"], o["open"]
    elements = {}
    for i in range(draw(st.integers(1, 3))):
        n_options = draw(st.integers(0, 2))
        elements[f"E{i}"] = {
            "value_type": draw(st.sampled_from(TYPES)),
            "aggregation": draw(st.sampled_from(AGGREGATIONS)),
            "options": [f"o{j}" for j in range(n_options)],
        }
    indicators = [
        {
            "code": f"I{i}",
            "numerator": draw(expressions(elements)),
            "denominator": draw(st.one_of(st.just(("num", Fraction(1))), expressions(elements))),
            "factor": draw(st.sampled_from([Fraction(1), Fraction(100)])),
        }
        for i in range(draw(st.integers(0, 2)))
    ]
    rules = [
        {
            "code": f"R{i}",
            "left": draw(expressions(elements)),
            "operator": draw(st.sampled_from(OPERATORS)),
            "right": draw(expressions(elements)),
            "missing": draw(st.sampled_from(MISSING)),
        }
        for i in range(draw(st.integers(0, 3)))
    ]
    ds = {
        "period_type": period_type,
        "kinds": kinds,
        "due_days": draw(st.integers(0, 15)),
        "elements": elements,
        "indicators": indicators,
        "rules": rules,
    }
    units = [o["code"] for o in orgs if o["kind"] in kinds]
    n = PERIODS_OF[period_type]
    periods = [label(y, i, period_type) for y in (2024, 2025) for i in range(n)]
    cells = [
        (u, code, o) for u in units for code, el in elements.items() for o in el["options"] or [""]
    ]
    picked = (
        []
        if not cells
        else draw(
            st.lists(
                st.tuples(st.sampled_from(cells), st.sampled_from(periods), st.integers(0, 2000)),
                max_size=40,
                unique_by=lambda t: (t[0], t[1]),
            )
        )
    )
    values, rows = {}, []
    for (unit, code, option), p, k in picked:
        v = typed_value(k, elements[code]["value_type"])
        values[(unit, p, code, option)] = v
        rows.append([unit, p, code, option, text_of(v, elements[code]["value_type"], k)])
    completions = {}
    done = st.tuples(st.sampled_from(units or ["-"]), st.sampled_from(periods), st.integers(-5, 25))
    for unit, p, offset in draw(st.lists(done, max_size=15, unique_by=lambda t: t[:2])):
        if not units:
            break
        completions[(unit, p)] = reference.last_day(p) + timedelta(days=offset)
    year_parts = {
        "yearly": ["2025"],
        "quarterly": ["2025", "2025Q3"],
        "monthly": ["2025", "2025Q2", "2025-11"],
    }
    period = draw(st.sampled_from(year_parts[period_type]))
    return ds, orgs, values, rows, completions, period


def write_inputs(tmp: Path, ds, orgs, rows, completions):
    definition = {
        "code": "P",
        "version": "1",
        "name": "性质测试",
        "period_type": ds["period_type"],
        "institution_kinds": ds["kinds"],
        "due_days": ds["due_days"],
        "sections": [
            {
                "code": "S",
                "name": "全部",
                "elements": [
                    {"code": code, "name": code, "value_type": el["value_type"],
                     "aggregation": el["aggregation"],
                     **({"options": [{"code": o, "name": o} for o in el["options"]]}
                        if el["options"] else {})}
                    for code, el in ds["elements"].items()
                ],
            }
        ],
        "indicators": [
            {"code": i["code"], "name": i["code"], "numerator": render(i["numerator"]),
             "denominator": render(i["denominator"]), "factor": str(i["factor"])}
            for i in ds["indicators"]
        ],
        "validation_rules": [
            {"code": r["code"], "name": r["code"], "left": render(r["left"]),
             "operator": r["operator"], "right": render(r["right"]), "missing": r["missing"]}
            for r in ds["rules"]
        ],
    }  # fmt: skip
    ds_path = tmp / "ds.json"
    ds_path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    orgs_path = csv_file(
        tmp / "orgs.csv",
        "org_code,name,parent_code,kind,open_date,close_date",
        [[o["code"], o["code"], o["parent"], o["kind"], o["open"], o["close"]] for o in orgs],
    )
    values_path = csv_file(tmp / "values.csv", "org_code,period,element,option,value", rows)
    c_path = csv_file(
        tmp / "c.csv",
        "org_code,period,completed_at",
        [[u, p, d.isoformat()] for (u, p), d in completions.items()],
    )
    return str(ds_path), orgs_path, values_path, c_path


@settings(max_examples=40)
@given(scenarios())
def test_aggregate_agrees_with_the_reference(scenario):
    ds, orgs, values, rows, completions, period = scenario
    with tempfile.TemporaryDirectory() as tmp:
        files = write_inputs(Path(tmp), ds, orgs, rows, completions)
        got = aggregate(Path(tmp), *files[:3], period, completions=files[3])
    expected = reference.aggregate(ds, orgs, values, period, completions)
    assert set(got) == set(expected)
    wrong = {k: (got[k], v) for k, v in expected.items() if not same_number(got[k], v)}
    assert not wrong


@settings(max_examples=40)
@given(scenarios())
def test_validate_agrees_with_the_reference(scenario):
    ds, orgs, values, rows, completions, period = scenario
    with tempfile.TemporaryDirectory() as tmp:
        files = write_inputs(Path(tmp), ds, orgs, rows, completions)
        got = validate(Path(tmp), *files[:3], period)
    expected = reference.validate(ds, orgs, values, period)
    assert [g[:3] for g in got] == [e[:3] for e in expected]
    for g, e in zip(got, expected, strict=True):
        assert same_number(g[3], e[3]) and same_number(g[4], e[4]), (g, e)
