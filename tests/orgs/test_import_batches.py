"""A long tree import writes in short transactions and is still all or nothing."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from jiceng.core import batches
from jiceng.orgs.actions import do_import_tree
from jiceng.orgs.importer import plan_import
from jiceng.orgs.models import Node, NodeYear

from .helpers import db_state, workbook

A = "330101000000"
TA1 = "330101100000"
TA2 = "330101200000"
B = "330102000000"

MIXED = workbook(
    [
        ["330101400000", "甲四镇卫生院", "乡镇卫生院", A, None, None, None],  # new
        ["330101400201", "新村卫生室", "村卫生室", "330101400000", None, None, None],  # new
        [TA1, "甲一镇中心卫生院", "乡镇卫生院", B, None, None, None],  # renamed and moved
        ["330101200201", "南村卫生室", "村卫生室", TA2, None, "2025-06-30", None],  # closed
    ],
    years=[
        ["330101400201", 2025, 500, 80, 30, 400, 100, None, None, None, None, None],  # new
        ["330101100201", 2025, 1300, 200, 80, 1000, 400, None, None, None, None, None],  # changed
    ],
)


@pytest.fixture
def one_row_per_transaction(monkeypatch):
    monkeypatch.setattr(batches, "BATCH_SECONDS", 0.0)
    monkeypatch.setattr(batches, "PAUSE_SECONDS", 0.0)


@pytest.mark.django_db(transaction=True)
def test_a_failure_in_a_late_batch_undoes_what_the_committed_batches_wrote(
    tree, one_row_per_transaction
):
    plan = plan_import(MIXED, "tree.xlsx")
    before = db_state()
    written = []

    def crash_on_the_last_row(n):
        written.append(n)
        if len(written) == plan.size - 1:
            # Earlier rows are committed by now: another connection sees them.
            assert Node.objects.filter(code="330101400201").exists()
            raise OperationalError("disk I/O error")

    with pytest.raises(OperationalError):
        do_import_tree(None, plan, progress=crash_on_the_last_row)
    assert db_state() == before
    tree.VA1.refresh_from_db()
    assert tree.VA1.path.startswith(tree.TA1.path) and tree.TA1.path.startswith(tree.A.path)


@pytest.mark.django_db(transaction=True)
def test_the_same_mixed_import_succeeds_in_one_row_transactions(tree, one_row_per_transaction):
    result = do_import_tree(None, plan_import(MIXED, "tree.xlsx"))
    assert (result.created, result.updated, result.moved, result.years_written) == (2, 2, 1, 2)
    va1 = Node.objects.get(code="330101100201")
    assert va1.path.startswith(Node.objects.get(code=B).path)
    assert NodeYear.objects.get(node=va1, year=2025).permanent_residents == 1300


def test_a_dry_run_gives_the_counts_of_the_real_run_and_writes_nothing(tree):
    before = db_state()
    dry = do_import_tree(None, plan_import(MIXED, "tree.xlsx"), dry_run=True)
    assert db_state() == before
    real = do_import_tree(None, plan_import(MIXED, "tree.xlsx"))
    assert dry == real
