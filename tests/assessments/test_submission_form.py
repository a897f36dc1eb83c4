"""The grading form of a submission: drafts saved item by item, evidence uploaded beside each
item without losing grades, chapters with progress, reviewers adopting the grades of the level
before theirs, reviewers told why they have no form, and late self-assessments marked."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.assessments import actions as A
from jiceng.assessments.models import Cycle, Evidence, Submission
from jiceng.core.models import AuditEvent

from .conftest import all_grades, county_pass, fresh, submit

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def url(sub, suffix=""):
    return f"/evaluation/s/{sub.pk}/{suffix}"


def draft(client, sub, item, grade, remark=None, version=None):
    data = {"item": item, "grade": grade, "version": str(version or fresh(sub).version)}
    if remark is not None:
        data["remark"] = remark
    return client.post(url(sub, "draft/"), data)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- drafts saved as the user goes ---------------------------------------------------------


def test_a_grade_chosen_on_the_form_is_saved_at_once_and_audited(cyc, client_for):
    client = client_for(cyc.p.clerk)
    before = fresh(cyc.sub).version
    r = draft(client, cyc.sub, "1.1.2", "B", remark="制度已上墙")
    assert r.status_code == 200
    assert r.json()["version"] == before + 1
    assert "已保存" in r.json()["saved"]
    sub = fresh(cyc.sub)
    assert sub.grades_at("self") == {"1.1.2": "B"}
    assert sub.grades.get(level="self", item_code="1.1.2").remark == "制度已上墙"
    event = AuditEvent.objects.filter(action="assessments.save_draft_grade.self").get()
    assert event.after == {"1.1.2": ["B", "制度已上墙"]}


def test_a_draft_save_without_a_remark_keeps_the_remark(cyc, client_for):
    client = client_for(cyc.p.clerk)
    draft(client, cyc.sub, "1.1.2", "B", remark="已整改")
    draft(client, cyc.sub, "1.1.2", "C")
    row = fresh(cyc.sub).grades.get(level="self", item_code="1.1.2")
    assert (row.grade, row.remark) == ("C", "已整改")


def test_a_draft_save_on_a_stale_version_is_refused_and_changes_nothing(cyc, client_for):
    client = client_for(cyc.p.clerk)
    old = fresh(cyc.sub).version
    draft(client, cyc.sub, "1.1.1", "A", version=old)
    r = draft(client, cyc.sub, "1.1.2", "B", version=old)
    assert r.status_code == 409
    assert "他人保存" in r.json()["error"]
    assert fresh(cyc.sub).grades_at("self") == {"1.1.1": "A"}


def test_a_draft_grade_outside_the_scale_is_refused_in_chinese(cyc, client_for):
    client = client_for(cyc.p.clerk)
    r = draft(client, cyc.sub, "1.1.2", "Z")
    assert r.status_code == 400
    assert "1.1.2" in r.json()["error"] and "Z" in r.json()["error"]
    assert fresh(cyc.sub).grades_at("self") == {}


def test_only_who_edits_the_level_saves_drafts(cyc, client_for):
    r = draft(client_for(cyc.p.county_reviewer), cyc.sub, "1.1.1", "A")
    assert r.status_code == 403
    assert fresh(cyc.sub).grades_at("self") == {}


# --- evidence beside each item --------------------------------------------------------------


def test_uploading_evidence_from_an_item_saves_the_grades_entered_and_lands_at_the_item(
    cyc, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(cyc.p.clerk)
    data = {f"g-{c}": "A" for c in ["1.1.1", "1.1.2", "1.2.1"]}
    data.update(
        version=str(fresh(cyc.sub).version),
        item_code="1.2.1",
        **{"files-1.2.1": SimpleUploadedFile("执业证书.pdf", PDF)},
    )
    r = client.post(url(cyc.sub, "evidence/"), data)
    assert r.status_code == 302
    assert r["Location"].endswith(f"/evaluation/s/{cyc.sub.pk}/#item-1.2.1")
    assert fresh(cyc.sub).grades_at("self") == {"1.1.1": "A", "1.1.2": "A", "1.2.1": "A"}
    ev = Evidence.objects.get()
    assert (ev.item_code, ev.original_name) == ("1.2.1", "执业证书.pdf")
    page = client.get(url(cyc.sub)).content.decode()
    row = page[page.index('id="item-1.2.1"') :]
    row = row[: row.index("</tr>")]
    assert "执业证书.pdf" in row and 'data-testid="item-notice"' in row and "已上传" in row
    assert 'data-testid="item-notice"' not in client.get(url(cyc.sub)).content.decode()


def test_a_refused_upload_is_told_at_its_item_and_the_grades_are_still_saved(
    cyc, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(cyc.p.clerk)
    exe = SimpleUploadedFile("制度.pdf", b"MZ\x90\x00" + b"\x00" * 64)
    data = {"g-1.1.1": "B", "version": str(fresh(cyc.sub).version), "item_code": "1.1.1"}
    r = client.post(url(cyc.sub, "evidence/"), {**data, "files-1.1.1": exe}, follow=True)
    page = r.content.decode()
    row = page[page.index('id="item-1.1.1"') :]
    row = row[: row.index("</tr>")]
    assert "制度.pdf" in row and "message error" in row
    assert not Evidence.objects.exists()
    assert fresh(cyc.sub).grades_at("self") == {"1.1.1": "B"}


def test_each_item_has_its_own_upload_and_there_is_no_bare_code_picker(cyc, client_for):
    page = client_for(cyc.p.clerk).get(url(cyc.sub)).content.decode()
    for code in ["1.1.1", "2.1.3"]:
        assert f'name="files-{code}"' in page
        assert f'name="item_code" value="{code}"' in page
    assert 'id="ev-item"' not in page


# --- chapters with progress -----------------------------------------------------------------


def test_the_form_is_grouped_by_chapter_with_the_progress_of_each(cyc, client_for):
    client = client_for(cyc.p.clerk)
    draft(client, cyc.sub, "1.1.1", "A")
    draft(client, cyc.sub, "1.2.2", "B")
    draft(client, cyc.sub, "2.1.1", "A")
    page = text(client.get(url(cyc.sub)))
    assert page.count('<details class="chapter"') == 2
    one = page[page.index('id="chapter-1"') : page.index('id="chapter-2"')]
    assert re.search(r'已评 <span class="n-graded">2</span>/5', one)
    assert 'id="item-1.2.2"' in one and 'id="item-2.1.1"' not in one
    two = page[page.index('id="chapter-2"') :]
    assert re.search(r'已评 <span class="n-graded">1</span>/3', two)


# --- reviewers: adopt the self grades, or be told why there is no form ------------------------


def test_a_reviewer_adopts_the_self_grades_of_a_chapter_and_keeps_their_own(cyc, client_for):
    sub = submit(cyc.p, cyc.sub, all_grades("A", **{"1_1_2": "C", "2_1_1": "B"}))
    sub = A.do_save_grades(
        cyc.p.county_reviewer, sub, "county", {"1.1.1": "D"}, version=sub.version
    )
    client = client_for(cyc.p.county_reviewer)
    r = client.post(url(sub, "adopt/"), {"chapter": "1", "version": str(fresh(sub).version)})
    assert r.status_code == 302 and r["Location"].endswith("#chapter-1")
    county = fresh(sub).grades_at("county")
    assert county == {"1.1.1": "D", "1.1.2": "C", "1.1.3": "A", "1.2.1": "A", "1.2.2": "A"}
    event = AuditEvent.objects.filter(action="assessments.adopt_grades.county").get()
    assert event.after == {"1.1.2": "C", "1.1.3": "A", "1.2.1": "A", "1.2.2": "A"}
    page = client.get(url(sub)).content.decode()
    assert "4 个条款采用了上一级的等级" in page


def test_a_reviewer_adopts_every_item_and_the_grades_they_changed_on_the_page_win(cyc, client_for):
    sub = submit(cyc.p, cyc.sub, all_grades("A"))
    client = client_for(cyc.p.county_reviewer)
    data = {"chapter": "", "g-2.1.2": "D", "version": str(fresh(sub).version)}
    assert client.post(url(sub, "adopt/"), data).status_code == 302
    county = fresh(sub).grades_at("county")
    assert county == {**all_grades("A"), "2.1.2": "D"}


def test_the_adopt_buttons_are_shown_only_to_reviewers(cyc, client_for):
    page = client_for(cyc.p.clerk).get(url(cyc.sub)).content.decode()
    assert 'data-testid="adopt-all"' not in page
    sub = submit(cyc.p, cyc.sub)
    page = client_for(cyc.p.county_reviewer).get(url(sub)).content.decode()
    assert 'data-testid="adopt-all"' in page and "采用自评等级" in page
    assert 'name="chapter" value="2"' in page


def test_adopting_is_refused_to_the_institution_and_to_an_unknown_chapter(cyc, client_for):
    sub = submit(cyc.p, cyc.sub)
    assert client_for(cyc.p.clerk).post(url(sub, "adopt/"), {"chapter": ""}).status_code == 403
    with pytest.raises(A.ValidationFailed):
        A.do_adopt_grades(cyc.p.county_reviewer, sub, "county", "9", version=sub.version)
    with pytest.raises(A.UserError):
        A.do_adopt_grades(cyc.p.clerk, sub, "self", "", version=sub.version)
    assert fresh(sub).grades_at("county") == {}


def test_a_reviewer_on_their_own_institution_is_told_why_there_is_no_form(cyc, client_for):
    own = Submission.objects.get(cycle=cyc.cycle, institution=cyc.t.TA2)
    own = A.do_save_grades(None, own, "self", all_grades("A"), version=own.version)
    own = A.do_submit(None, own, version=own.version)
    page = client_for(cyc.p.county_reviewer).get(url(own)).content.decode()
    assert 'data-testid="why-not"' in page
    assert "不能评审自己所在的机构" in page
    assert "data-draft-url" not in page


@pytest.mark.parametrize(
    "persona,stage,words",
    [
        ("county_reviewer", "draft", "尚未提交自评"),
        ("city_reviewer", "submitted", "复核抽样"),
        ("county_reviewer", "county_passed", "已完成"),
        ("analyst", "draft", "不参与评分"),
    ],
)
def test_who_may_not_grade_now_is_told_why(cyc, client_for, persona, stage, words):
    sub = cyc.sub
    if stage in {"submitted", "county_passed"}:
        sub = submit(cyc.p, sub)
    if stage == "county_passed":
        sub = county_pass(cyc.p, sub, all_grades("A"))
    page = client_for(getattr(cyc.p, persona)).get(url(sub)).content.decode()
    why = page[page.index('data-testid="why-not"') :]
    assert words in why[: why.index("</p>")]


def test_who_grades_sees_no_reason_box(cyc, client_for):
    page = client_for(cyc.p.clerk).get(url(cyc.sub)).content.decode()
    assert 'data-testid="why-not"' not in page


# --- late self-assessments --------------------------------------------------------------------


def set_deadline(cycle, day):
    Cycle.objects.filter(pk=cycle.pk).update(self_deadline=day)


def test_a_self_assessment_after_its_deadline_is_accepted_with_a_warning_naming_it(cyc, client_for):
    set_deadline(cyc.cycle, dt.date(2025, 6, 30))
    sub = A.do_save_grades(cyc.p.clerk, cyc.sub, "self", all_grades("A"), version=1)
    client = client_for(cyc.p.clerk)
    r = client.post(url(sub), {"step": "submit", "version": str(sub.version)}, follow=True)
    assert fresh(sub).stage == "submitted"
    page = text(r)
    assert "message warning" in page and "2025-06-30" in page and "逾期" in page
    event = AuditEvent.objects.filter(action="assessments.submit").get()
    assert event.after["late"] is True
    review = client_for(cyc.p.county_reviewer).get(url(sub)).content.decode()
    assert 'data-testid="late"' in review and "逾期提交" in review


def test_a_self_assessment_before_its_deadline_gets_no_late_mark(cyc, client_for):
    set_deadline(cyc.cycle, dt.date.today() + dt.timedelta(days=3))
    sub = A.do_save_grades(cyc.p.clerk, cyc.sub, "self", all_grades("A"), version=1)
    client = client_for(cyc.p.clerk)
    r = client.post(url(sub), {"step": "submit", "version": str(sub.version)}, follow=True)
    assert fresh(sub).stage == "submitted"
    assert "message warning" not in r.content.decode()
    review = client_for(cyc.p.county_reviewer).get(url(sub)).content.decode()
    assert 'data-testid="late"' not in review
    assert AuditEvent.objects.filter(action="assessments.submit").get().after["late"] is False


def test_the_api_says_whether_a_submission_came_late(cyc, client_for):
    set_deadline(cyc.cycle, dt.date(2025, 6, 30))
    sub = submit(cyc.p, cyc.sub)
    r = client_for(cyc.p.county_reviewer).get(f"/api/v1/evaluation/submissions/{sub.pk}")
    assert r.status_code == 200, r.content
    assert r.json()["submitted_late"] is True


# --- cost ----------------------------------------------------------------------------------


def count_queries(client, path, method="get", data=None):
    with CaptureQueriesContext(connection) as ctx:
        r = getattr(client, method)(path, data or {})
    assert r.status_code in {200, 302}, r.status_code
    return len(ctx)


def test_the_form_and_its_draft_saves_cost_the_same_queries_however_big_the_tree_and_the_form(
    cyc, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(cyc.p.clerk)
    client.get(url(cyc.sub))  # the first request of a session loads more (session, caches)
    empty_page = count_queries(client, url(cyc.sub))
    empty_save = count_queries(
        client,
        url(cyc.sub, "draft/"),
        "post",
        {"item": "1.1.1", "grade": "A", "version": str(fresh(cyc.sub).version)},
    )
    from jiceng.orgs.actions import do_create_node

    for n in range(3, 7):  # a bigger tree: more counties, each with an institution
        county = do_create_node(
            None, code=f"33010{n}000000", name=f"县{n}", kind="county", parent=cyc.t.C
        )
        do_create_node(
            None, code=f"33010{n}100000", name=f"镇{n}", kind="township_hc", parent=county
        )
    sub = A.do_save_grades(cyc.p.clerk, fresh(cyc.sub), "self", all_grades("B"), version=None)
    for code in ["1.1.1", "1.2.1", "2.1.3"]:
        A.do_upload_evidence(
            cyc.p.clerk, sub, "self", code, [SimpleUploadedFile(f"{code}.pdf", PDF)]
        )
    full_page = count_queries(client, url(cyc.sub))
    full_save = count_queries(
        client,
        url(cyc.sub, "draft/"),
        "post",
        {"item": "1.1.1", "grade": "C", "version": str(fresh(cyc.sub).version)},
    )
    assert full_page == empty_page
    assert full_save == empty_save


def test_a_reviewer_adopts_the_self_grades_through_the_api(cyc, client_for):
    import json

    sub = submit(cyc.p, cyc.sub, all_grades("B"))
    c = client_for(cyc.p.county_reviewer)
    body = {"level": "county", "chapter": "2", "version": fresh(sub).version}
    r = c.post(
        f"/api/v1/evaluation/submissions/{sub.pk}/adopt-grades",
        json.dumps(body),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert fresh(sub).grades_at("county") == {"2.1.1": "B", "2.1.2": "B", "2.1.3": "B"}
    r = c.post(
        f"/api/v1/evaluation/submissions/{sub.pk}/adopt-grades",
        json.dumps(body),
        content_type="application/json",
    )
    assert r.status_code == 409


def test_a_reviewer_on_a_published_submission_is_told_it_is_final(cyc, client_for):
    from .test_actions import _finish_all

    _finish_all(cyc)
    A.do_publish(cyc.p.county_admin, cyc.t.A, 2025)
    page = client_for(cyc.p.county_reviewer).get(url(fresh(cyc.sub))).content.decode()
    why = page[page.index('data-testid="why-not"') :]
    assert "已公示" in why[: why.index("</p>")] and "回头看" in why[: why.index("</p>")]


def test_files_chosen_in_other_items_are_uploaded_too_and_each_item_tells_its_outcome(
    cyc, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(cyc.p.clerk)
    data = {
        "item_code": "1.1.1",
        "files-1.1.1": SimpleUploadedFile("职能文件.pdf", PDF),
        "files-2.1.2": SimpleUploadedFile("会诊记录.pdf", PDF),
        "files-1.2.2": SimpleUploadedFile("setup.pdf", b"MZ\x90\x00" + b"\x00" * 64),
    }
    r = client.post(url(cyc.sub, "evidence/"), data, follow=True)
    got = sorted(Evidence.objects.values_list("item_code", "original_name"))
    assert got == [("1.1.1", "职能文件.pdf"), ("2.1.2", "会诊记录.pdf")]
    page = r.content.decode()

    def row(code):
        part = page[page.index(f'id="item-{code}"') :]
        return part[: part.index("</tr>")]

    assert "已上传" in row("1.1.1") and "已上传" in row("2.1.2")
    assert "setup.pdf" in row("1.2.2") and "message error" in row("1.2.2")


def test_files_chosen_then_saved_as_a_draft_are_uploaded_with_the_grades(
    cyc, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(cyc.p.clerk)
    data = {
        "step": "save",
        "version": str(fresh(cyc.sub).version),
        "g-1.2.1": "B",
        "files-1.2.1": SimpleUploadedFile("花名册.pdf", PDF),
    }
    assert client.post(url(cyc.sub), data).status_code == 302
    assert fresh(cyc.sub).grades_at("self") == {"1.2.1": "B"}
    assert Evidence.objects.get().item_code == "1.2.1"
