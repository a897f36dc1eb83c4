"""Fixtures for the indicators pages: stored values on the shared test tree.

Values are written as model rows (what the engine's store would write), so these tests
need no record set on disk. ``values`` holds, for county A of the shared tree:

    period 2025: TA1 htn_std_mgmt 60/100, VA1 30/40, VA2 30/60, TA2 45/50, VA3 45/50,
                 A 105/150 (sums), fd_sign_rate on A 700/1000
    period 2024: TA1 htn_std_mgmt 50/100, A 90/150
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from jiceng.indicators.models import IndicatorValue, RecordSet


def make_record_set(name="测试记录集", node=None, status=RecordSet.Status.READY, **kw):
    kw.setdefault("loaded_at", timezone.now())
    return RecordSet.objects.create(name=name, node=node, status=status, **kw)


def put(rs, node, period, indicator, num, den):
    value = (num / den) if den else None
    return IndicatorValue.objects.create(
        record_set=rs,
        org_code=node.code,
        node=node,
        period=period,
        indicator=indicator,
        numerator=Decimal(str(num)),
        denominator=None if den is None else Decimal(str(den)),
        value=value,
        definition_version="2025.1",
    )


@pytest.fixture
def values(tree):
    t = tree
    rs = make_record_set(node=t.A)
    figures_2025 = {
        t.TA1: (60, 100),
        t.VA1: (30, 40),
        t.VA2: (30, 60),
        t.TA2: (45, 50),
        t.VA3: (45, 50),
        t.A: (105, 150),
    }
    for node, (n, d) in figures_2025.items():
        put(rs, node, "2025", "htn_std_mgmt", n, d)
    put(rs, t.A, "2025", "fd_sign_rate", 700, 1000)
    put(rs, t.TA1, "2024", "htn_std_mgmt", 50, 100)
    put(rs, t.A, "2024", "htn_std_mgmt", 90, 150)
    put(rs, t.TA1, "2025Q2", "htn_std_mgmt", 20, 100)
    put(rs, t.TA1, "2024Q2", "htn_std_mgmt", 25, 100)
    return rs
