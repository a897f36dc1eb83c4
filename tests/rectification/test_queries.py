"""Reading the ledger with fixed dates: filters, ordering, overdue and report counts."""

from __future__ import annotations

import datetime as dt

import pytest

from jiceng.rectification import queries
from jiceng.rectification.actions import (
    do_open_entry,
    do_report_fixed,
    do_send_back,
    do_verify_close,
)
from jiceng.rectification.queries import LedgerFilter

from .conftest import PDF, upload

pytestmark = pytest.mark.django_db

FOUND = dt.date(2025, 1, 10)
TODAY = dt.date(2025, 4, 1)


@pytest.fixture
def book(personas):
    """Entries of county A and B in every state, with fixed dates (today = 2025-04-01)."""
    t, rev, rev_b, clerk = (
        personas.tree,
        personas.county_reviewer,
        personas.county_reviewer_b,
        personas.clerk,
    )

    def open_(who, inst, deadline, source="other", text="问题"):
        return do_open_entry(
            who,
            inst,
            description=text,
            deadline=deadline,
            responsible="责任人",
            opened_on=FOUND,
            source=source,
        )

    b = {}
    b["late"] = open_(rev, t.TA1, dt.date(2025, 3, 31), text="逾期一天")
    b["due_today"] = open_(rev, t.TA1, dt.date(2025, 4, 1), text="今天到期")
    b["future"] = open_(rev, t.VA1, dt.date(2025, 6, 30), source="supervision")
    b["reported_late"] = open_(rev, t.TA1, dt.date(2025, 2, 1), source="lookback")
    do_report_fixed(clerk, b["reported_late"], measures="m", files=[upload("a.pdf", PDF)])
    b["closed"] = open_(rev, t.VA2, dt.date(2025, 2, 1))
    do_report_fixed(clerk, b["closed"], measures="m", files=[upload("a.pdf", PDF)])
    do_verify_close(rev, b["closed"])
    b["sent_back"] = open_(rev, t.TA1, dt.date(2025, 3, 1), text="退回的")
    do_report_fixed(clerk, b["sent_back"], measures="m", files=[upload("a.pdf", PDF)])
    do_send_back(rev, b["sent_back"], reason="不足")
    b["other_county"] = open_(rev_b, t.TB1, dt.date(2025, 1, 31))
    return b


def keys(book, qs) -> list[str]:
    by_pk = {e.pk: k for k, e in book.items()}
    return [by_pk[e.pk] for e in qs]


def test_overdue_means_open_after_the_deadline_including_entries_sent_back(personas, book):
    qs = queries.ledger(personas.city_reviewer, LedgerFilter(overdue=True, today=TODAY))
    assert set(keys(book, qs)) == {"late", "sent_back", "other_county"}


def test_the_ledger_lists_overdue_then_open_then_reported_then_closed(personas, book):
    qs = queries.ledger(personas.county_reviewer, LedgerFilter(today=TODAY))
    assert keys(book, qs) == ["sent_back", "late", "due_today", "future", "reported_late", "closed"]


def test_filters_by_region_status_source_due_range_and_text(personas, book):
    user = personas.city_reviewer
    t = personas.tree

    def q(**kw):
        return set(keys(book, queries.ledger(user, LedgerFilter(today=TODAY, **kw))))

    assert q(region=t.B) == {"other_county"}
    assert q(region=t.VA1) == {"future"}
    assert q(status="reported_fixed") == {"reported_late"}
    assert q(status="closed") == {"closed"}
    assert q(source="supervision") == {"future"}
    assert q(source="lookback") == {"reported_late"}
    assert q(due_from=dt.date(2025, 3, 1), due_to=dt.date(2025, 4, 1)) == {
        "late",
        "due_today",
        "sent_back",
    }
    assert q(q="退回") == {"sent_back"}


def test_summary_and_counts_by_county_and_source(personas, book):
    user = personas.city_reviewer
    s = queries.summary(queries.visible_entries(user), TODAY)
    assert s == {"total": 7, "open": 5, "overdue": 3, "reported_fixed": 1, "closed": 1}
    rows = {r["county"].code: r for r in queries.counts_by_county(user, today=TODAY)}
    a, b = rows[personas.tree.A.code], rows[personas.tree.B.code]
    assert (a["total"], a["open"], a["overdue"], a["closed"]) == (6, 4, 2, 1)
    assert a["close_rate"] == pytest.approx(1 / 6)
    assert (b["total"], b["overdue"]) == (1, 1)
    assert [r["county"].code for r in queries.counts_by_county(personas.county_reviewer)] == [
        personas.tree.A.code
    ]
    by_source = {
        r["source"]: r for r in queries.counts_by_source(queries.visible_entries(user), TODAY)
    }
    assert by_source["other"]["total"] == 5 and by_source["lookback"]["reported_fixed"] == 1
    assert by_source["review"]["total"] == 0


def test_an_institutions_open_items_include_its_villages_but_not_closed_entries(personas, book):
    got = set(keys(book, queries.open_items_for(personas.tree.TA1)))
    assert got == {"late", "due_today", "future", "reported_late", "sent_back"}


def test_reviewers_are_not_asked_to_verify_their_own_institution(personas, book, today):
    from jiceng.accounts.models import User

    t = personas.tree
    clerk_ta2 = User.objects.create_user("clerk_ta2", role="institution_staff", node=t.TA2)
    e = do_open_entry(
        personas.city_reviewer, t.TA2, description="x", deadline=today, responsible="r"
    )
    do_report_fixed(clerk_ta2, e, measures="m", files=[upload("a.pdf", PDF)])
    mine = set(queries.awaiting_verification(personas.county_reviewer).values_list("pk", flat=True))
    assert mine == {book["reported_late"].pk}
    city = set(queries.awaiting_verification(personas.city_reviewer).values_list("pk", flat=True))
    assert city == {book["reported_late"].pk, e.pk}


def test_the_system_sees_every_entry(book):
    assert queries.visible_entries(None).count() == 7
