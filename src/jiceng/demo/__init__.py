"""The demo region: a deterministic county (or city, or province) with users for every role.

``jiceng demo`` builds the tree and users (``region.build``) and then runs each stage
listed in ``STAGES`` in order, once for every county of the region: each is a module
``jiceng.demo.<name>`` with a function ``populate(region: Region, rng: random.Random) -> None``
that adds its part to ``region.county`` (an evaluation cycle in progress, a record set with
indicators, ...). A stage must be deterministic for a given seed and ``region.today``: every
date it writes is relative to that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

STAGES: list[str] = [
    "records",
    "cycle",
    "ledger",
    "aggregates",
    "surveys",
    "maps",
    "appraisal",
    "insights",
    "reports",
]


@contextmanager
def clock(today: dt.date) -> Iterator[None]:
    """Run the block as if it were ``today`` (same time of day): ``timezone.now()`` and
    ``timezone.localdate()`` are shifted by whole days, so that what the actions stamp
    (submitted_at, audit times, "not in the future" checks) agrees with the demo's dates.
    Does nothing when ``today`` is the real date."""
    from django.utils import timezone

    real_now = timezone.now
    shift = today - timezone.localdate()
    if not shift:
        yield
        return
    timezone.now = lambda: real_now() + shift
    try:
        yield
    finally:
        timezone.now = real_now
