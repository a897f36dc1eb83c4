"""The demo stage "ledger" fills the demo county's ledger with entries in every state."""

from __future__ import annotations

import random

import pytest

from jiceng.rectification.models import EntryEvent, LedgerEntry, Status, SupervisionVisit
from jiceng.rectification.queries import summary

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_ledger_has_open_overdue_reported_and_closed_entries(settings, tmp_path):
    from jiceng.demo import ledger, region

    settings.MEDIA_ROOT = tmp_path
    r = region.build(seed=7, scale="county")
    ledger.populate(r, random.Random("7:ledger"))
    counts = summary(LedgerEntry.objects.all())
    assert SupervisionVisit.objects.count() == 4
    assert counts["open"] > 0 and counts["overdue"] > 0
    assert counts["reported_fixed"] > 0 and counts["closed"] > 0
    assert EntryEvent.objects.filter(kind="sent_back").exists()
    assert LedgerEntry.objects.filter(source="lookback").exists()
    clerk = r.users["clerk"]
    assert LedgerEntry.objects.filter(institution=clerk.node).exists()
    closed = LedgerEntry.objects.filter(status=Status.CLOSED).first()
    assert closed.evidence.exists() and closed.verified_by == r.users["county_reviewer"]


def test_the_demo_ledger_is_the_same_for_the_same_seed(settings, tmp_path):
    from django.db import transaction

    from jiceng.demo import ledger, region

    settings.MEDIA_ROOT = tmp_path

    def run():
        sid = transaction.savepoint()
        r = region.build(seed=3, scale="county")
        ledger.populate(r, random.Random("3:ledger"))
        rows = list(
            LedgerEntry.objects.order_by("pk").values_list(
                "institution__code", "description", "status", "deadline"
            )
        )
        transaction.savepoint_rollback(sid)
        return rows

    assert run() == run()
