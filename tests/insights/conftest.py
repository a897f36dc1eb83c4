"""Fixtures of the visualizer and dashboards: figures on the shared test tree.

``figures`` writes, for county A (record set owned by A):

    htn_std_mgmt  2025: TA1 60/100, TA2 45/50, A 105/150     (CA1: none)
                  2024: TA1 50/100, TA2 40/50, A 90/150
                  2025Q2: TA1 20/100;  2024Q2: TA1 25/100
    target on A, 2025: htn_std_mgmt ≥ 0.65

and a ledger (dates in 2025):

    e1 TA1  found 02-10, deadline 03-31, still open
    e2 VA1  found 01-05, deadline 02-01, closed 04-15
    e3 TB1  found 05-01, deadline 12-31, still open
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from jiceng.indicators.models import IndicatorValue, RecordSet, Target
from jiceng.rectification.models import LedgerEntry


def put(rs, node, period, indicator, num, den):
    return IndicatorValue.objects.create(
        record_set=rs,
        org_code=node.code,
        node=node,
        period=period,
        indicator=indicator,
        numerator=Decimal(num),
        denominator=Decimal(den),
        value=num / den,
        definition_version="2025.1",
    )


def entry(inst, opened, deadline, closed=None):
    return LedgerEntry.objects.create(
        institution=inst,
        source="other",
        description="测试问题",
        opened_on=opened,
        deadline=deadline,
        status="closed" if closed else "open",
        closed_at=(
            timezone.make_aware(dt.datetime.combine(closed, dt.time(12))) if closed else None
        ),
    )


@pytest.fixture
def figures(personas):
    t = personas.tree
    rs = RecordSet.objects.create(
        name="测试记录集", node=t.A, status=RecordSet.Status.READY, loaded_at=timezone.now()
    )
    for node, n, d in [(t.TA1, 60, 100), (t.TA2, 45, 50), (t.A, 105, 150)]:
        put(rs, node, "2025", "htn_std_mgmt", n, d)
    for node, n, d in [(t.TA1, 50, 100), (t.TA2, 40, 50), (t.A, 90, 150)]:
        put(rs, node, "2024", "htn_std_mgmt", n, d)
    put(rs, t.TA1, "2025Q2", "htn_std_mgmt", 20, 100)
    put(rs, t.TA1, "2024Q2", "htn_std_mgmt", 25, 100)
    Target.objects.create(indicator="htn_std_mgmt", node=t.A, year=2025, threshold=Decimal("0.65"))
    d = dt.date
    entry(t.TA1, d(2025, 2, 10), d(2025, 3, 31))
    entry(t.VA1, d(2025, 1, 5), d(2025, 2, 1), closed=d(2025, 4, 15))
    entry(t.TB1, d(2025, 5, 1), d(2025, 12, 31))
    return personas
