"""Saving computed values: replaced per period, in short transactions, all or nothing."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import IntegrityError

from jiceng.core.models import AuditEvent
from jiceng.indicators import store
from jiceng.indicators.models import IndicatorValue
from jiceng.indicators.store import save_values


def value(node, period, indicator, num, den):
    return SimpleNamespace(
        org_code=node.code,
        period=period,
        indicator=indicator,
        numerator=Decimal(num),
        denominator=Decimal(den),
        value=num / den,
    )


def state(rs):
    return sorted(
        IndicatorValue.objects.filter(record_set=rs).values_list(
            "id", "org_code", "period", "indicator", "numerator", "computed_at"
        )
    )


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(store, "BATCH_ROWS", 2)


def test_new_values_replace_the_periods_they_cover_and_leave_the_others(
    tree, values, small_batches
):
    t, rs = tree, values
    old_2024 = [r for r in state(rs) if r[2] == "2024"]
    new = [
        value(t.TA1, "2025", "htn_std_mgmt", 61, 100),
        value(t.A, "2025", "htn_std_mgmt", 106, 150),
        value(t.VA1, "2025", "htn_std_mgmt", 5, 10),
    ]
    assert save_values(rs, new) == 3
    rows = {
        (v.org_code, v.indicator): v.numerator
        for v in IndicatorValue.objects.filter(record_set=rs, period="2025")
    }
    assert rows == {
        (t.TA1.code, "htn_std_mgmt"): 61,
        (t.A.code, "htn_std_mgmt"): 106,
        (t.VA1.code, "htn_std_mgmt"): 5,
    }
    assert [r for r in state(rs) if r[2] == "2024"] == old_2024
    assert AuditEvent.objects.filter(action="indicators.values_computed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_bad_value_in_a_late_batch_puts_the_earlier_values_back(tree, values, small_batches):
    t, rs = tree, values
    before = state(rs)
    new = [
        value(t.TA1, "2025", "htn_std_mgmt", 61, 100),
        value(t.A, "2025", "htn_std_mgmt", 106, 150),
        value(t.VA1, "2025", "htn_std_mgmt", 5, 10),
        value(t.B, "2025", "htn_std_mgmt", 5, 10),
        value(t.VA1, "2025", "htn_std_mgmt", 1, 1),
    ]
    new[-1].numerator = None  # NOT NULL in the database: the last batch fails
    with pytest.raises(IntegrityError):
        save_values(rs, new)
    assert state(rs) == before
    assert not AuditEvent.objects.filter(action="indicators.values_computed").exists()
