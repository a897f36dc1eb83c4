"""The evaluation cycle's actions: the happy path and every refusal (nothing changed)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from jiceng.assessments import actions as A
from jiceng.assessments.models import (
    Cycle,
    Evidence,
    Finding,
    Grade,
    LookBack,
    Publication,
    Stage,
    Submission,
    VerdictRecord,
)
from jiceng.core.errors import UserError, ValidationFailed
from jiceng.core.models import AuditEvent

from .conftest import all_grades, county_pass, fresh, load_mini, open_cycle, submit

pytestmark = pytest.mark.django_db


def state(sub):
    """Everything an action might change on a submission, for 'nothing changed' checks."""
    sub = fresh(sub)
    return (
        sub.stage,
        sub.version,
        sub.self_locked,
        sub.county_locked,
        sorted(
            Grade.objects.filter(submission=sub).values_list(
                "level", "item_code", "grade", "remark"
            )
        ),
        Evidence.objects.filter(submission=sub).count(),
        Finding.objects.filter(submission=sub).count(),
    )


# --- opening a cycle ---------------------------------------------------------------------------


def test_opening_a_cycle_creates_one_draft_per_grassroots_institution(cyc):
    subs = Submission.objects.filter(cycle=cyc.cycle)
    names = {s.institution.code for s in subs}
    t = cyc.t
    assert names == {n.code for n in (t.TA1, t.TA2, t.CA1, t.VA1, t.VA2, t.VA3, t.SA1)}
    assert {s.stage for s in subs} == {Stage.DRAFT}
    assert AuditEvent.objects.filter(action="assessments.open_cycle").count() == 1


def test_it_refuses_a_second_cycle_for_the_same_region_and_year(cyc):
    with pytest.raises(ValidationFailed) as exc:
        open_cycle(cyc.t.A)
    assert "已" in str(exc.value) or "already" in str(exc.value)
    with pytest.raises(ValidationFailed):
        open_cycle(cyc.t.C)  # the city contains county A
    assert Cycle.objects.count() == 1


def test_it_refuses_deadlines_in_the_wrong_order(personas):
    load_mini()
    with pytest.raises(ValidationFailed):
        open_cycle(
            personas.tree.B, self_deadline=dt.date(2025, 9, 1), county_deadline=dt.date(2025, 8, 1)
        )
    assert not Cycle.objects.exists()


def test_it_refuses_a_cycle_without_a_catalog_for_some_kind(personas):
    with pytest.raises(ValidationFailed) as exc:
        open_cycle(personas.tree.B)
    assert any(p.field.startswith("catalog_") for p in exc.value.problems)
    assert not Cycle.objects.exists()


def test_only_an_administrator_of_the_region_opens_a_cycle(personas):
    load_mini()
    t = personas.tree
    for user in (personas.county_reviewer, personas.city_reviewer, personas.analyst):
        with pytest.raises(PermissionDenied):
            A.do_open_cycle(user, t.A, 2025)
    with pytest.raises(Http404):
        A.do_open_cycle(personas.county_admin, t.B, 2025)
    assert not Cycle.objects.exists()
    assert A.do_open_cycle(personas.county_admin, t.A, 2025).region == t.A


# --- self-assessment ---------------------------------------------------------------------------


def test_a_clerk_saves_a_partial_draft_and_sees_what_is_missing(cyc):
    sub = A.do_save_grades(
        cyc.p.clerk,
        cyc.sub,
        "self",
        {"1.1.1": "a", "1.1.3": "不适用"},
        {"1.1.1": "见制度"},
        version=1,
    )
    assert sub.version == 2
    assert fresh(sub).grades_at("self") == {"1.1.1": "A", "1.1.3": "NA"}
    assert fresh(sub).remarks_at("self") == {"1.1.1": "见制度"}
    assert A.missing_items(sub, "self") == ["1.1.2", "1.2.1", "1.2.2", "2.1.1", "2.1.2", "2.1.3"]


@pytest.mark.parametrize(
    "grades,field",
    [
        ({"9.9.9": "A"}, "9.9.9"),
        ({"1.1.1": "E"}, "1.1.1"),
        ({"1.1.1": "NA"}, "1.1.1"),  # 1.1.1 may not be not applicable
    ],
)
def test_bad_grades_are_refused_naming_the_item_and_nothing_changes(cyc, grades, field):
    A.do_save_grades(cyc.p.clerk, cyc.sub, "self", {"1.1.2": "B"}, version=1)
    before = state(cyc.sub)
    with pytest.raises(ValidationFailed) as exc:
        A.do_save_grades(cyc.p.clerk, cyc.sub, "self", {**grades, "1.2.1": "A"}, version=2)
    assert [p.field for p in exc.value.problems] == [field]
    assert field in str(exc.value)
    assert state(cyc.sub) == before


def test_the_second_of_two_saves_from_the_same_version_is_refused(cyc):
    A.do_save_grades(cyc.p.clerk, cyc.sub, "self", {"1.1.1": "A"}, version=1)
    before = state(cyc.sub)
    with pytest.raises(A.StaleVersion) as exc:
        A.do_save_grades(cyc.p.clerk, cyc.sub, "self", {"1.1.1": "D"}, version=1)
    assert "刷新" in str(exc.value) or "reload" in str(exc.value)
    assert state(cyc.sub) == before
    assert fresh(cyc.sub).grades_at("self") == {"1.1.1": "A"}


def test_submitting_with_ungraded_items_lists_them_and_changes_nothing(cyc):
    A.do_save_grades(cyc.p.clerk, cyc.sub, "self", {"1.1.1": "A", "1.1.2": "A"}, version=1)
    before = state(cyc.sub)
    with pytest.raises(ValidationFailed) as exc:
        A.do_submit(cyc.p.clerk, cyc.sub, version=2)
    text = str(exc.value)
    for code in ("1.1.3", "1.2.1", "1.2.2", "2.1.1", "2.1.2", "2.1.3"):
        assert code in text
    assert "1.1.1" not in text.split("\n")[0]
    assert state(cyc.sub) == before


def test_after_submission_the_clerk_can_no_longer_edit(cyc):
    sub = submit(cyc.p, cyc.sub)
    assert sub.stage == Stage.SUBMITTED and sub.self_locked and sub.self_verdict == "recommended"
    before = state(sub)
    with pytest.raises(UserError):
        A.do_save_grades(cyc.p.clerk, sub, "self", {"1.1.1": "D"}, version=sub.version)
    assert state(sub) == before


def test_a_clerk_cannot_grade_another_institution(cyc):
    other = Submission.objects.get(cycle=cyc.cycle, institution=cyc.t.TA2)
    with pytest.raises(Http404):  # another institution is not even visible to the clerk
        A.do_save_grades(cyc.p.clerk, other, "self", {"1.1.1": "A"}, version=1)


# --- county review -----------------------------------------------------------------------------


def test_county_returns_with_a_comment_and_the_clerk_fixes_and_resubmits(cyc):
    p = cyc.p
    sub = submit(p, cyc.sub)
    with pytest.raises(ValidationFailed):
        A.do_return(p.county_reviewer, sub, "  ", version=sub.version)
    sub = A.do_return(p.county_reviewer, sub, "1.2.1 证据不足", version=sub.version)
    assert sub.stage == Stage.RETURNED and not sub.self_locked
    assert Finding.objects.get(submission=sub).kind == "return"
    sub = A.do_save_grades(p.clerk, sub, "self", {"1.2.1": "C"}, version=sub.version)
    sub = A.do_submit(p.clerk, sub, version=sub.version)
    assert sub.stage == Stage.SUBMITTED


def test_a_reviewer_cannot_review_their_own_institution(cyc):
    own = Submission.objects.get(cycle=cyc.cycle, institution=cyc.t.TA2)
    sub = A.do_save_grades(None, own, "self", all_grades("A"), version=1)
    sub = A.do_submit(None, sub, version=sub.version)
    before = state(sub)
    with pytest.raises(PermissionDenied):
        A.do_save_grades(cyc.p.county_reviewer, sub, "county", all_grades("B"), version=sub.version)
    with pytest.raises(PermissionDenied):
        A.do_pass_county(cyc.p.county_reviewer, sub, version=sub.version)
    assert state(sub) == before


def test_county_cannot_pass_before_grading_every_item(cyc):
    sub = submit(cyc.p, cyc.sub)
    sub = A.do_save_grades(
        cyc.p.county_reviewer, sub, "county", {"1.1.1": "A"}, version=sub.version
    )
    before = state(sub)
    with pytest.raises(ValidationFailed) as exc:
        A.do_pass_county(cyc.p.county_reviewer, sub, version=sub.version)
    assert "2.1.3" in str(exc.value)
    assert state(sub) == before


def test_a_basic_verdict_waits_for_publication_and_opens_ledger_entries(cyc):
    from jiceng.rectification.models import LedgerEntry

    sub = submit(cyc.p, cyc.sub)
    sub = county_pass(cyc.p, sub, all_grades("B", **{"2_1_1": "D", "1_2_2": "D"}))
    assert sub.stage == Stage.COUNTY_PASSED
    assert sub.county_verdict == "basic" and sub.county_locked
    codes = set(LedgerEntry.objects.filter(submission=sub).values_list("item_code", flat=True))
    assert codes == {"2.1.1", "1.2.2"}
    with pytest.raises(UserError):
        A.do_save_grades(cyc.p.county_reviewer, sub, "county", {"1.1.1": "D"}, version=sub.version)


def test_a_recommended_verdict_must_be_rechecked(cyc):
    sub = county_pass(cyc.p, submit(cyc.p, cyc.sub))
    assert sub.stage == Stage.RECHECK_PENDING and sub.recheck_required
    assert sub.county_verdict == "recommended"


# --- re-check ----------------------------------------------------------------------------------


def test_the_recheck_decides_the_verdict(cyc):
    p = cyc.p
    sub = county_pass(p, submit(p, cyc.sub))
    with pytest.raises(PermissionDenied):
        A.do_save_recheck(p.county_reviewer, sub, all_grades("A"), version=sub.version)
    sub = A.do_save_recheck(
        p.city_reviewer, sub, all_grades("A", **{"2_1_1": "D"}), version=sub.version
    )
    sub = A.do_complete_recheck(p.city_reviewer, sub, version=sub.version)
    assert sub.stage == Stage.RECHECKED and sub.recheck_verdict == "basic"
    assert sub.final_level() == "recheck" and sub.final_verdict() == "basic"


def test_the_city_samples_basic_verdicts_for_recheck(cyc):
    p = cyc.p
    sub = county_pass(p, submit(p, cyc.sub), all_grades("B", **{"2_1_1": "D"}))
    with pytest.raises(PermissionDenied):
        A.do_select_for_recheck(p.county_reviewer, [sub])
    [sub] = A.do_select_for_recheck(p.city_reviewer, [sub])
    assert sub.stage == Stage.RECHECK_PENDING and sub.recheck_sampled
    with pytest.raises(ValidationFailed):
        A.do_select_for_recheck(p.city_reviewer, [sub])  # not county-passed any more


# --- publication, re-opening, look-back --------------------------------------------------------


def _finish_all(cyc):
    """Take every submission of county A through county review (none needs a re-check)."""
    for sub in Submission.objects.filter(cycle=cyc.cycle):
        sub = A.do_save_grades(None, sub, "self", all_grades("A"), version=sub.version)
        sub = A.do_submit(None, sub, version=sub.version)
        grades = all_grades("B", **{"2_1_1": "D"})
        if sub.institution == cyc.t.CA1:
            grades = all_grades("D")
        sub = A.do_save_grades(None, sub, "county", grades, version=sub.version)
        A.do_pass_county(None, sub, version=sub.version)


def test_publishing_refuses_while_some_institution_has_no_final_verdict(cyc):
    submit(cyc.p, cyc.sub)
    with pytest.raises(ValidationFailed) as exc:
        A.do_publish(cyc.p.county_admin, cyc.t.A, 2025)
    assert cyc.t.TA2.name in str(exc.value)
    assert not Publication.objects.exists() and not VerdictRecord.objects.exists()


def test_publishing_records_verdicts_with_reasons_and_validity(cyc):
    _finish_all(cyc)
    pub = A.do_publish(cyc.p.county_admin, cyc.t.A, 2025, note="公示7天")
    records = VerdictRecord.objects.filter(publication=pub)
    assert records.count() == 7
    assert {r.verdict for r in records} == {"basic", "none"}
    r = records.get(institution=cyc.t.TA1)
    assert r.reasons["tiers"]["recommended"]["failed_core"] == ["2.1.1"]
    assert (r.valid_until.year - r.valid_from.year) == 3
    assert set(Submission.objects.values_list("stage", flat=True)) == {Stage.PUBLISHED}
    with pytest.raises(ValidationFailed):
        A.do_publish(cyc.p.county_admin, cyc.t.A, 2025)


def test_reopening_needs_a_reason_and_is_audited(cyc):
    p = cyc.p
    sub = county_pass(p, submit(p, cyc.sub), all_grades("B", **{"2_1_1": "D"}))
    before = state(sub)
    with pytest.raises(ValidationFailed):
        A.do_reopen(p.city_reviewer, sub, "county", "", version=sub.version)
    with pytest.raises(PermissionDenied):
        A.do_reopen(p.county_reviewer, sub, "county", "复核发现问题", version=sub.version)
    assert state(sub) == before
    sub = A.do_reopen(p.city_reviewer, sub, "county", "复核发现问题", version=sub.version)
    assert sub.stage == Stage.SUBMITTED and not sub.county_locked and sub.county_verdict == ""
    event = AuditEvent.objects.get(action="assessments.reopen.county")
    assert event.reason == "复核发现问题"


def test_a_published_verdict_is_not_reopened_but_looked_back_at(cyc):
    _finish_all(cyc)
    A.do_publish(cyc.p.county_admin, cyc.t.A, 2025)
    sub = fresh(cyc.sub)
    with pytest.raises(ValidationFailed):
        A.do_reopen(cyc.p.city_reviewer, sub, "county", "想改", version=sub.version)
    record = VerdictRecord.objects.get(institution=cyc.t.TA1)
    with pytest.raises(ValidationFailed):
        A.do_lookback(cyc.p.city_reviewer, record, "withdraw", "")
    A.do_lookback(cyc.p.city_reviewer, record, "withdraw", "回头看发现床位未开放")
    record.refresh_from_db()
    assert record.status == VerdictRecord.Status.WITHDRAWN
    assert LookBack.objects.get(record=record).outcome == "withdraw"
    with pytest.raises(ValidationFailed):
        A.do_lookback(cyc.p.city_reviewer, record, "confirm", "再看")
    with pytest.raises(PermissionDenied):
        A.do_lookback(cyc.p.clerk, record, "confirm", "自己确认")


def test_a_withdrawing_look_back_puts_its_finding_on_the_ledger_and_a_confirming_one_does_not(
    cyc,
):
    from jiceng.rectification.models import LedgerEntry

    _finish_all(cyc)
    A.do_publish(cyc.p.county_admin, cyc.t.A, 2025)
    records = list(VerdictRecord.objects.filter(institution__in=[cyc.t.TA1, cyc.t.TA2]))
    confirmed, withdrawn = records[0], records[1]
    A.do_lookback(cyc.p.city_reviewer, confirmed, "confirm", "复核无误")
    assert not LedgerEntry.objects.filter(source="lookback").exists()
    day = dt.date(2026, 3, 2)
    A.do_lookback(cyc.p.city_reviewer, withdrawn, "withdraw", "床位未开放", date=day)
    entry = LedgerEntry.objects.get(source="lookback")
    assert entry.institution == withdrawn.institution
    assert "床位未开放" in entry.description
    assert entry.deadline == day + dt.timedelta(days=30)


# --- evidence ----------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_pdf_is_stored_with_its_sniffed_type_size_and_hash(cyc, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    [ev] = A.do_upload_evidence(
        cyc.p.clerk, cyc.sub, "self", "1.1.1", [SimpleUploadedFile("制度.pdf", PDF)]
    )
    assert ev.kind == "pdf" and ev.size == len(PDF) and len(ev.sha256) == 64
    assert (tmp_path / ev.file.name).read_bytes() == PDF


@pytest.mark.parametrize(
    "name,data",
    [
        ("report.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100),  # a Windows executable renamed
        ("run.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 100),
        ("empty.pdf", b""),
    ],
)
def test_bad_evidence_is_refused_and_nothing_is_stored(cyc, settings, tmp_path, name, data):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationFailed) as exc:
        A.do_upload_evidence(
            cyc.p.clerk,
            cyc.sub,
            "self",
            "1.1.1",
            [SimpleUploadedFile("ok.pdf", PDF), SimpleUploadedFile(name, data)],
        )
    assert name in str(exc.value)
    assert not Evidence.objects.exists()
    assert not any(tmp_path.rglob("*.pdf"))


def test_evidence_over_the_size_limit_is_refused(cyc, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.JICENG_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ValidationFailed) as exc:
        A.do_upload_evidence(
            cyc.p.clerk, cyc.sub, "self", "1.1.1", [SimpleUploadedFile("big.pdf", PDF + b" " * 200)]
        )
    assert "big.pdf" in str(exc.value)
    assert not Evidence.objects.exists()
