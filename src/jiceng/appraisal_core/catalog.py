"""What a scheme may refer to: indicator codes, data-set codes, survey codes, unit kinds.

The stateless command checks against the definitions shipped with jiceng; the platform can
pass its own :class:`Catalog` (data sets and questionnaires loaded by the commission).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

# The kinds of jiceng.orgs.models.Kind that can be appraised (a test checks they agree).
UNIT_KINDS = (
    "province",
    "city",
    "county",
    "township",
    "village",
    "township_hc",
    "community_hc",
    "village_clinic",
    "community_station",
    "county_hospital",
    "health_commission",
)


@dataclass(frozen=True)
class Catalog:
    """Known codes; ``satisfaction`` None means any well-formed survey code is accepted."""

    indicators: frozenset[str]
    data: frozenset[str]
    satisfaction: frozenset[str] | None = None
    unit_kinds: frozenset[str] = frozenset(UNIT_KINDS)


def _indicator_codes() -> frozenset[str]:
    path = Path(__file__).parent.parent / "analytics" / "definitions" / "indicators.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return frozenset(d["code"] for d in data.get("indicators", []))


def _data_codes() -> frozenset[str]:
    from jiceng.datasets.definition import load_dataset_file, sample_dataset_paths

    codes: set[str] = set()
    for path in sample_dataset_paths():
        ds = load_dataset_file(path)
        codes.update(ds.elements)
        codes.update(i.code for i in ds.indicators)
    return frozenset(codes)


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The indicators and data-set codes of the definitions shipped with jiceng."""
    return Catalog(indicators=_indicator_codes(), data=_data_codes())
