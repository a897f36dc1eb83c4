"""Loading the shipped sample data sets for tests."""

from __future__ import annotations

import random
from decimal import Decimal

from jiceng.aggregates.actions import do_load_dataset
from jiceng.datasets.definition import load_dataset_file, sample_dataset_paths


def load_sample(stem: str, owner):
    """Load the sample definition ``stem`` (e.g. "satisfaction") for ``owner``."""
    path = next(p for p in sample_dataset_paths() if p.stem == stem)
    ds = load_dataset_file(path)
    return do_load_dataset(None, ds, path.read_text(encoding="utf-8"), path.name, owner=owner)


def random_text(rnd: random.Random, value_type: str) -> str:
    """A valid typed value: whole numbers, decimals with up to 3 places, percentages."""
    if value_type == "yes_no":
        return rnd.choice(["yes", "no"])
    if value_type == "integer":
        return str(rnd.randint(-50, 500))
    if value_type == "non_negative_integer":
        return str(rnd.randint(0, 500))
    if value_type == "percentage":
        return str(Decimal(rnd.randint(0, 100_000)) / 1000)
    return str(Decimal(rnd.randint(-10_000, 1_000_000)) / 1000)


def save_random_values(version, root, year, rnd: random.Random) -> int:
    """Seeded random values of every reporting unit below ``root`` in three periods of
    ``year`` and the period before it, some left empty; the number of forms saved."""
    from jiceng.aggregates import actions
    from jiceng.datasets.engine import keys_of
    from jiceng.orgs.models import Node

    ds = version.definition()
    periods = year.periods(ds.period_type)
    chosen = rnd.sample(periods, min(3, len(periods))) + [periods[0].previous()]
    units = Node.objects.subtree(root).filter(kind__in=ds.institution_kinds).order_by("path")
    keys = [(key, el) for key, el in keys_of(ds) if el.value_type != "text"]
    saved = 0
    for unit in units:
        for p in chosen:
            raw = {}
            for key, el in keys:
                if (not el.options or "." in key) and rnd.random() < 0.6:
                    raw[key] = random_text(rnd, el.value_type)
            if raw:
                actions.do_save_values(None, version, unit, p.label, raw)
                saved += 1
    return saved
