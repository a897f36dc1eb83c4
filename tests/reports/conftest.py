"""A demo-like county for the work summary: county A of the shared tree with a year of figures.

Built once per process (a snapshot) and restored into each test:

* evaluation, 7 grassroots institutions of county A (TA1 TA2 CA1 VA1 VA2 VA3 SA1):
    2025: recommended TA1; basic TA2 CA1 VA1 SA1; none VA2 VA3
          → 1 (14.3%), 4 (57.1%), 2 (28.6%) of 7
    2024: basic TA1 TA2 SA1 (SA1 withdrawn at look-back); none CA1 VA1 VA2 VA3
          → 0 (0.0%), 3 (42.9%), 4 (57.1%) of 7 (the published verdict counts, withdrawn or not)
    change of the basic share: 57.1 − 42.9 = +14.2 points
* indicators (record set of A): htn_std_mgmt 2025 A 105/150 = 70.00%, TA1 60/100 = 60.00%,
  TA2 45/50 = 90.00%; 2024 A 90/150 = 60.00% → +10.00 points; target at A ≥ 75.00% for
  2025 (A and TA1 miss it, TA2 meets it); fd_sign_rate 2025 A 700/1000 = 70.00%, no target.
* ledger: 3 entries in A: TA1 open and overdue (deadline 5 days ago), TA2 open (due in 10
  days), TA2 closed → total 3, closed 1, open 2, overdue 1; close rate 1/3 = 33.33%.
* staff training (quarterly, for the province): TA1 trains 10 a quarter in 2025 (40 in the
  year) and 5 a quarter in 2024 (20); TA2 completes only 2025Q1 (3 trained).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from snapshot import Snapshot

YEAR = 2025
VERDICTS = {
    2025: {
        "TA1": "recommended",
        "TA2": "basic",
        "CA1": "basic",
        "VA1": "basic",
        "SA1": "basic",
        "VA2": "none",
        "VA3": "none",
    },
    2024: {
        "TA1": "basic",
        "TA2": "basic",
        "SA1": "basic",
        "CA1": "none",
        "VA1": "none",
        "VA2": "none",
        "VA3": "none",
    },
}


def _verdicts(t):
    from assessments.conftest import load_mini, open_cycle

    from jiceng.assessments.models import Submission, VerdictRecord

    load_mini()
    for year, verdicts in VERDICTS.items():
        cycle = open_cycle(t.A, year=year)
        for name, verdict in verdicts.items():
            inst = getattr(t, name)
            sub = Submission.objects.get(cycle=cycle, institution=inst)
            VerdictRecord.objects.create(
                institution=inst,
                cycle=cycle,
                submission=sub,
                level="county",
                verdict=verdict,
                valid_from=dt.date(year, 12, 1),
                valid_until=dt.date(year + 3, 11, 30),
                status="withdrawn" if (year, name) == (2024, "SA1") else "active",
            )


def _indicators(t):
    from indicators.conftest import make_record_set, put

    from jiceng.indicators.actions import do_set_target

    rs = make_record_set(node=t.A)
    for node, (n, d) in {t.A: (105, 150), t.TA1: (60, 100), t.TA2: (45, 50)}.items():
        put(rs, node, "2025", "htn_std_mgmt", n, d)
    put(rs, t.A, "2024", "htn_std_mgmt", 90, 150)
    put(rs, t.A, "2025", "fd_sign_rate", 700, 1000)
    do_set_target(None, indicator="htn_std_mgmt", node=t.A, year=YEAR, threshold_percent=75)


def _ledger(p, t, today):
    from jiceng.rectification.actions import do_open_entry
    from jiceng.rectification.models import LedgerEntry

    def entry(inst):
        return do_open_entry(
            p.city_reviewer if inst == t.TA2 else p.county_reviewer,
            inst,
            source="other",
            description="药房温湿度记录不全",
            responsible="王医生",
            deadline=today + dt.timedelta(days=10),
        )

    late = entry(t.TA1)
    # past its deadline: written as the store holds an entry opened weeks ago
    LedgerEntry.objects.filter(pk=late.pk).update(deadline=today - dt.timedelta(days=5))
    entry(t.TA2)
    closed = entry(t.TA2)
    # closed (销号) weeks ago: written as the store holds it (reporting a fix needs evidence files)
    LedgerEntry.objects.filter(pk=closed.pk).update(status="closed")


def _training(t):
    from aggregates.helpers import load_sample

    from jiceng.aggregates.actions import do_complete, do_save_values

    version = load_sample("staff_training", t.P)
    staff = {"STAFF_ON_DUTY.physician": "8", "STAFF_ON_DUTY.nurse": "6", "GP_COUNT": "3"}
    for year, trained in ((2025, "10"), (2024, "5")):
        for q in range(1, 5):
            period = f"{year}Q{q}"
            do_save_values(None, version, t.TA1, period, {**staff, "TRAINED": trained})
            do_complete(None, version, t.TA1, period, reason="已核实")
    do_save_values(None, version, t.TA2, "2025Q1", {**staff, "TRAINED": "3"})
    do_complete(None, version, t.TA2, "2025Q1", reason="已核实")
    return version


def build_county(p, t):
    from conftest import make_user
    from django.utils import timezone

    clerk_ta2 = make_user("clerk_ta2", "institution_staff", t.TA2)
    _verdicts(t)
    _indicators(t)
    _ledger(p, t, timezone.localdate())
    version = _training(t)
    return SimpleNamespace(p=p, t=t, training=version, clerk_ta2=clerk_ta2)


_COUNTY = Snapshot(build_county)


@pytest.fixture
def county(personas):
    """County A with a year of evaluation, indicators, ledger and training figures."""
    return _COUNTY.load(p=personas, t=personas.tree)
