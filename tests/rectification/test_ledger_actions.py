"""Opening, reporting, verifying, sending back and re-dating ledger entries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from jiceng.core.errors import UserError, ValidationFailed
from jiceng.core.models import AuditEvent
from jiceng.rectification.actions import (
    FindingInput,
    do_extend_deadline,
    do_open_entry,
    do_record_visit,
    do_report_fixed,
    do_send_back,
    do_verify_close,
)
from jiceng.rectification.models import (
    EntryEvent,
    Evidence,
    Finding,
    LedgerEntry,
    Status,
    SupervisionVisit,
)

from .conftest import EXE, PDF, PNG, docx_bytes, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def fields_of(exc: ValidationFailed) -> set[str]:
    return {p.field for p in exc.problems}


# --- opening -----------------------------------------------------------------------------


def test_opening_an_entry_writes_the_entry_its_history_and_an_audit_row(entry, personas):
    assert entry.status == Status.OPEN
    assert entry.institution == personas.tree.TA1
    assert [e.kind for e in entry.events.all()] == ["opened"]
    audit = AuditEvent.objects.get(action="rectification.open_entry")
    assert audit.object_id == str(entry.pk)
    assert audit.node_path == personas.tree.TA1.path
    assert entry.number.startswith("ZG")


def test_it_rejects_an_entry_without_description_or_deadline_and_saves_nothing(personas):
    with pytest.raises(ValidationFailed) as err:
        do_open_entry(personas.county_reviewer, personas.tree.TA1, description="  ", deadline=None)
    assert fields_of(err.value) == {"description", "deadline"}
    assert "描述" in str(err.value) or "问题" in str(err.value)
    assert not LedgerEntry.objects.exists()


def test_it_rejects_a_deadline_before_the_problem_was_found(personas, today):
    with pytest.raises(ValidationFailed) as err:
        do_open_entry(
            personas.county_reviewer,
            personas.tree.TA1,
            description="x",
            deadline=today - dt.timedelta(days=1),
        )
    assert fields_of(err.value) == {"deadline"}
    assert not LedgerEntry.objects.exists()


def test_it_rejects_an_entry_on_a_division_rather_than_an_institution(personas, today):
    with pytest.raises(ValidationFailed) as err:
        do_open_entry(personas.county_reviewer, personas.tree.A, description="x", deadline=today)
    assert fields_of(err.value) == {"institution"}


def test_institution_staff_cannot_open_entries(personas, today):
    with pytest.raises(PermissionDenied):
        do_open_entry(personas.clerk, personas.tree.TA1, description="x", deadline=today)


def test_a_reviewer_of_another_county_does_not_even_see_the_institution(personas, today):
    with pytest.raises(Http404):
        do_open_entry(
            personas.county_reviewer_b, personas.tree.TA1, description="x", deadline=today
        )


def test_a_reviewer_cannot_open_entries_against_their_own_institution(personas, today):
    with pytest.raises(PermissionDenied):
        do_open_entry(personas.county_reviewer, personas.tree.TA2, description="x", deadline=today)
    assert not LedgerEntry.objects.exists()


# --- supervision visits ------------------------------------------------------------------


def test_a_visit_turns_each_finding_into_an_entry(personas, today):
    t = personas.tree
    visit = do_record_visit(
        personas.county_reviewer,
        t.A,
        visited_on=today - dt.timedelta(days=3),
        team="县卫健委督导组：张三、李四",
        findings=[
            FindingInput(t.TA1, "慢病随访记录不规范", today + dt.timedelta(days=30), "李院长"),
            FindingInput(t.VA1, "药品过期未清理", today + dt.timedelta(days=7)),
        ],
    )
    entries = list(LedgerEntry.objects.order_by("pk"))
    assert [e.institution for e in entries] == [t.TA1, t.VA1]
    assert {e.source for e in entries} == {"supervision"}
    assert all(e.visit == visit and e.finding is not None for e in entries)
    assert entries[0].opened_on == today - dt.timedelta(days=3)
    assert visit.findings.count() == 2
    assert AuditEvent.objects.filter(action="rectification.record_visit").count() == 1


def test_a_look_back_visit_opens_look_back_entries(personas, today):
    do_record_visit(
        personas.city_reviewer,
        personas.tree.TB1,
        visited_on=today,
        team="市复核专家组",
        kind="lookback",
        findings=[FindingInput(personas.tree.TB1, "整改未落实", today)],
    )
    assert LedgerEntry.objects.get().source == "lookback"


def test_one_bad_finding_leaves_the_whole_visit_unsaved(personas, today):
    t = personas.tree
    with pytest.raises(ValidationFailed) as err:
        do_record_visit(
            personas.county_reviewer,
            t.A,
            visited_on=today,
            team="督导组",
            findings=[
                FindingInput(t.TA1, "问题一", today + dt.timedelta(days=5)),
                FindingInput(t.TA1, "", None),
            ],
        )
    assert {(p.row, p.field) for p in err.value.problems} == {(2, "description"), (2, "deadline")}
    assert "第2行" in str(err.value)
    assert not SupervisionVisit.objects.exists()
    assert not Finding.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_it_rejects_a_finding_outside_the_visited_unit(personas, today):
    t = personas.tree
    with pytest.raises(ValidationFailed) as err:
        do_record_visit(
            personas.county_reviewer,
            t.TA1,
            visited_on=today,
            team="督导组",
            findings=[FindingInput(t.CA1, "问题", today)],
        )
    assert fields_of(err.value) == {"institution"}
    assert not SupervisionVisit.objects.exists()


def test_it_rejects_a_finding_at_the_reviewers_own_institution(personas, today):
    t = personas.tree
    with pytest.raises(ValidationFailed) as err:
        do_record_visit(
            personas.county_reviewer,
            t.A,
            visited_on=today,
            team="督导组",
            findings=[FindingInput(t.TA2, "问题", today)],
        )
    assert fields_of(err.value) == {"institution"}


def test_it_rejects_a_visit_in_the_future_or_without_a_team(personas, today):
    with pytest.raises(ValidationFailed) as err:
        do_record_visit(
            personas.county_reviewer,
            personas.tree.A,
            visited_on=today + dt.timedelta(days=1),
            team=" ",
        )
    assert fields_of(err.value) == {"visited_on", "team"}


def test_analysts_cannot_record_visits(personas, today):
    with pytest.raises(PermissionDenied):
        do_record_visit(personas.analyst, personas.tree.A, visited_on=today, team="x")


# --- reporting fixed ---------------------------------------------------------------------


def test_the_institution_reports_the_fix_with_measures_and_evidence(entry, personas):
    files = [
        upload("整改照片.png", PNG),
        upload("整改报告.docx", docx_bytes()),
        upload("台账.xlsx", xlsx_bytes()),
        upload("scan.pdf", PDF),
    ]
    entry = do_report_fixed(personas.clerk, entry, measures="已补齐", files=files)
    assert entry.status == Status.REPORTED_FIXED
    assert entry.reported_by == personas.clerk
    assert sorted(entry.evidence.values_list("kind", flat=True)) == ["docx", "pdf", "png", "xlsx"]
    ev = entry.evidence.get(kind="png")
    assert ev.file.read() == PNG
    assert ev.name == "整改照片.png"
    assert [e.kind for e in entry.events.all()] == ["opened", "reported_fixed"]


def test_a_township_clerk_may_report_for_a_village_clinic_of_the_township(personas, today):
    e = do_open_entry(
        personas.county_reviewer,
        personas.tree.VA1,
        description="x",
        deadline=today,
        responsible="村医",
    )
    assert do_report_fixed(personas.clerk, e, measures="m", files=[upload("a.pdf", PDF)]).status
    assert LedgerEntry.objects.get().status == Status.REPORTED_FIXED


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("setup.exe", EXE, "不接受"),
        ("报告.pdf", EXE, "不接受"),
        ("empty.pdf", b"", "空"),
        ("script.sh", b"#!/bin/sh\nrm -rf /\n", "不接受"),
        ("a.zip", b"PK\x03\x04" + b"\x00" * 30, "不接受"),
    ],
)
def test_it_refuses_files_that_are_not_evidence_and_changes_nothing(
    entry, personas, name, data, message
):
    with pytest.raises(ValidationFailed) as err:
        do_report_fixed(
            personas.clerk,
            entry,
            measures="已整改",
            files=[upload("ok.pdf", PDF), upload(name, data)],
        )
    assert err.value.problems[0].file == name
    assert message in str(err.value)
    entry.refresh_from_db()
    assert entry.status == Status.OPEN and entry.measures == ""
    assert not Evidence.objects.exists()
    assert entry.events.count() == 1


def test_it_refuses_a_file_over_the_size_limit(entry, personas, settings):
    settings.JICENG_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ValidationFailed) as err:
        do_report_fixed(
            personas.clerk, entry, measures="m", files=[upload("big.pdf", PDF + b"x" * 200)]
        )
    assert "big.pdf" in str(err.value)
    assert "MB" in str(err.value)
    assert not Evidence.objects.exists()


def test_it_requires_measures_a_responsible_person_and_evidence(personas, today):
    e = do_open_entry(personas.county_reviewer, personas.tree.TA1, description="x", deadline=today)
    with pytest.raises(ValidationFailed) as err:
        do_report_fixed(personas.clerk, e, measures="", files=[])
    assert fields_of(err.value) == {"measures", "responsible", "evidence"}
    e.refresh_from_db()
    assert e.status == Status.OPEN


def test_only_staff_of_the_institution_may_report_it_fixed(entry, personas):
    f = [upload("a.pdf", PDF)]
    with pytest.raises(Http404):
        do_report_fixed(personas.village_clerk, entry, measures="m", files=f)
    with pytest.raises(PermissionDenied):
        do_report_fixed(personas.county_reviewer, entry, measures="m", files=f)
    entry.refresh_from_db()
    assert entry.status == Status.OPEN


def test_an_entry_cannot_be_reported_fixed_twice(reported, personas):
    with pytest.raises(UserError):
        do_report_fixed(personas.clerk, reported, measures="again", files=[upload("a.pdf", PDF)])


# --- verifying ---------------------------------------------------------------------------


def test_a_reviewer_verifies_and_closes_the_entry(reported, personas):
    e = do_verify_close(personas.county_reviewer, reported, note="现场核实")
    assert e.status == Status.CLOSED
    assert e.verified_by == personas.county_reviewer
    assert e.closed_at is not None and e.verified_at is not None
    assert [x.kind for x in e.events.all()] == ["opened", "reported_fixed", "closed"]
    assert AuditEvent.objects.filter(action="rectification.verify_close").exists()


def test_a_city_reviewer_may_close_an_entry_too(reported, personas):
    assert do_verify_close(personas.city_reviewer, reported).status == Status.CLOSED


def test_an_entry_that_is_not_reported_fixed_cannot_be_closed(entry, personas):
    with pytest.raises(UserError):
        do_verify_close(personas.county_reviewer, entry)
    entry.refresh_from_db()
    assert entry.status == Status.OPEN


def test_the_institution_cannot_close_its_own_entry(reported, personas):
    with pytest.raises(PermissionDenied):
        do_verify_close(personas.clerk, reported)
    with pytest.raises(PermissionDenied):
        do_verify_close(personas.analyst, reported)
    with pytest.raises(Http404):
        do_verify_close(personas.county_reviewer_b, reported)


def test_a_reviewer_never_verifies_their_own_institution(personas, today):
    # The reviewer of county A works at TA2; the city opens and TA2's clerk reports.
    from jiceng.accounts.models import User

    clerk_ta2 = User.objects.create_user(
        "clerk_ta2", role="institution_staff", node=personas.tree.TA2
    )
    e = do_open_entry(personas.city_reviewer, personas.tree.TA2, description="x", deadline=today)
    e = do_report_fixed(clerk_ta2, e, measures="m", responsible="r", files=[upload("a.pdf", PDF)])
    with pytest.raises(PermissionDenied):
        do_verify_close(personas.county_reviewer, e)
    with pytest.raises(PermissionDenied):
        do_send_back(personas.county_reviewer, e, reason="x")
    assert do_verify_close(personas.city_reviewer, e).status == Status.CLOSED


def test_sending_back_needs_a_reason_and_reopens_the_entry(reported, personas):
    with pytest.raises(ValidationFailed) as err:
        do_send_back(personas.county_reviewer, reported, reason=" ")
    assert fields_of(err.value) == {"reason"}
    reported.refresh_from_db()
    assert reported.status == Status.REPORTED_FIXED
    e = do_send_back(personas.county_reviewer, reported, reason="照片不能证明整改到位")
    assert e.status == Status.OPEN
    assert e.verified_by is None and e.closed_at is None
    assert e.events.last().actor == personas.county_reviewer
    assert e.events.last().note == "照片不能证明整改到位"
    # Reported again: the evidence already given still counts.
    e = do_report_fixed(personas.clerk, e, measures="补充说明", files=[])
    assert e.status == Status.REPORTED_FIXED
    assert e.evidence.count() == 1


# --- deadlines and overdue ---------------------------------------------------------------


def test_the_deadline_can_only_move_later_and_with_a_reason(entry, personas):
    old = entry.deadline
    with pytest.raises(ValidationFailed) as err:
        do_extend_deadline(personas.county_reviewer, entry, deadline=old, reason="")
    assert fields_of(err.value) == {"deadline", "reason"}
    e = do_extend_deadline(
        personas.county_reviewer, entry, deadline=old + dt.timedelta(days=30), reason="设备采购中"
    )
    assert e.deadline == old + dt.timedelta(days=30)
    ev = e.events.last()
    assert (ev.kind, ev.deadline_before, ev.deadline_after) == (
        "deadline_extended",
        old,
        old + dt.timedelta(days=30),
    )
    with pytest.raises(PermissionDenied):
        do_extend_deadline(personas.clerk, e, deadline=old + dt.timedelta(days=60), reason="x")


def test_a_closed_entry_keeps_its_deadline(reported, personas):
    e = do_verify_close(personas.county_reviewer, reported)
    with pytest.raises(UserError):
        do_extend_deadline(
            personas.county_reviewer, e, deadline=e.deadline + dt.timedelta(days=1), reason="x"
        )


def test_an_entry_is_overdue_only_while_open_past_its_deadline():
    e = LedgerEntry(deadline=dt.date(2025, 3, 31), status=Status.OPEN)
    assert not e.is_overdue(dt.date(2025, 3, 31))
    assert e.is_overdue(dt.date(2025, 4, 1))
    assert e.days_overdue(dt.date(2025, 4, 10)) == 10
    e.status = Status.REPORTED_FIXED
    assert not e.is_overdue(dt.date(2025, 4, 10))
    e.status = Status.CLOSED
    assert not e.is_overdue(dt.date(2025, 4, 10))
    assert e.days_overdue(dt.date(2025, 4, 10)) == 0


def test_the_history_has_one_row_per_change(reported, personas):
    e = do_send_back(personas.county_reviewer, reported, reason="不足")
    e = do_report_fixed(personas.clerk, e, measures="再改", files=[upload("b.png", PNG)])
    e = do_verify_close(personas.county_reviewer, e)
    rows = list(EntryEvent.objects.filter(entry=e).values_list("from_status", "to_status"))
    assert rows == [
        ("", "open"),
        ("open", "reported_fixed"),
        ("reported_fixed", "open"),
        ("open", "reported_fixed"),
        ("reported_fixed", "closed"),
    ]


def test_evidence_can_be_removed_only_while_the_entry_is_open(
    reported, personas, django_capture_on_commit_callbacks
):
    from jiceng.rectification.actions import do_delete_evidence

    ev = reported.evidence.get()
    with pytest.raises(UserError):
        do_delete_evidence(personas.clerk, ev)
    e = do_send_back(personas.county_reviewer, reported, reason="换一份")
    with pytest.raises(PermissionDenied):
        do_delete_evidence(personas.county_reviewer, ev)
    storage, name = ev.file.storage, ev.file.name
    with django_capture_on_commit_callbacks(execute=True):
        do_delete_evidence(personas.clerk, ev)
    assert not e.evidence.exists() and not storage.exists(name)
    assert AuditEvent.objects.filter(action="rectification.delete_evidence").exists()
    with pytest.raises(ValidationFailed) as err:
        do_report_fixed(personas.clerk, e, measures="m", files=[])
    assert fields_of(err.value) == {"evidence"}
