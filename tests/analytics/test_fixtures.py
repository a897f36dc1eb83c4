"""Hand-checked fixtures: one YAML per rule of the contract, numbers worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jiceng.analytics import compute_indicators, load_recordset, parse_period

from .helpers import TREE, by_key, write_recordset
from .oracle import Oracle

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.yaml"))


def load_fixture(path: Path) -> dict:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    for rows in spec["tables"].values():
        for r in rows:
            for k, v in list(r.items()):
                if isinstance(v, int | float) and k in ("electronic", "standardized", "complete"):
                    r[k] = bool(v)
                elif v in ("是", "true") and k in ("complete",):
                    r[k] = True
    return spec


def compute(spec: dict, tmp_path: Path, engine: str = "duckdb"):
    src = write_recordset(tmp_path / "rs", spec["tables"])
    store = tmp_path / "rs.duckdb"
    load_recordset(src, store, pii_key=b"k")
    periods = [parse_period(p) for p in spec["periods"]]
    return compute_indicators(store, periods, engine=engine, settings=spec.get("settings"))


def check(spec: dict, values) -> None:
    got = by_key(values)
    for e in spec["expected"]:
        v = got[(e["org"], e["period"], e["indicator"])]
        den = e["denominator"]
        want_value = e["numerator"] / den if den else None
        assert (v.numerator, v.denominator, v.value) == (e["numerator"], den, want_value), e


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_the_engine_gives_the_hand_checked_values(path, tmp_path):
    spec = load_fixture(path)
    check(spec, compute(spec, tmp_path))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_the_oracle_gives_the_hand_checked_values(path):
    spec = load_fixture(path)
    periods = [parse_period(p) for p in spec["periods"]]
    check(spec, Oracle(spec["tables"], TREE, spec.get("settings")).compute(periods))
