"""The evaluation pages: who sees what (404), who may do what (403), and the forms."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiceng.assessments import actions as A
from jiceng.assessments.models import Evidence, Stage, Submission

from .conftest import all_grades, county_pass, fresh, submit

pytestmark = pytest.mark.django_db


def url(sub, suffix=""):
    return f"/evaluation/s/{sub.pk}/{suffix}"


def grade_post(sub, grades, step="save", version=None):
    data = {f"g-{k}": v for k, v in grades.items()}
    data["version"] = str(version if version is not None else fresh(sub).version)
    data["step"] = step
    return data


# persona → expected status of GET on TA1's submission page
PAGE_ACCESS = {
    "clerk": 200,
    "village_clerk": 404,
    "county_reviewer": 200,
    "county_reviewer_b": 404,
    "city_reviewer": 200,
    "province_reviewer": 200,
    "analyst": 200,
    "county_admin": 200,
}


@pytest.mark.parametrize("persona,status", PAGE_ACCESS.items())
def test_the_submission_page_is_seen_only_within_scope(cyc, client_for, persona, status):
    client = client_for(getattr(cyc.p, persona))
    assert client.get(url(cyc.sub)).status_code == status


# persona → status of POSTing county grades on TA1 (submitted) and on TA2 (their own)
@pytest.mark.parametrize(
    "persona,status",
    [("clerk", 403), ("analyst", 403), ("city_reviewer", 403), ("county_reviewer_b", 404)],
)
def test_only_the_county_reviewer_grades_a_submitted_form(cyc, client_for, persona, status):
    sub = submit(cyc.p, cyc.sub)
    client = client_for(getattr(cyc.p, persona))
    r = client.post(url(sub), grade_post(sub, {"1.1.1": "D"}))
    assert r.status_code == status
    assert fresh(sub).grades_at("county") == {}


def test_the_reviewer_is_refused_on_their_own_institution_page(cyc, client_for):
    own = Submission.objects.get(cycle=cyc.cycle, institution=cyc.t.TA2)
    own = A.do_save_grades(None, own, "self", all_grades("A"), version=1)
    own = A.do_submit(None, own, version=own.version)
    client = client_for(cyc.p.county_reviewer)
    assert client.get(url(own)).status_code == 200  # may look
    r = client.post(url(own), grade_post(own, {"1.1.1": "D"}))
    assert r.status_code == 403
    assert fresh(own).grades_at("county") == {}


def test_a_clerk_fills_in_saves_and_sees_what_is_missing(cyc, client_for):
    client = client_for(cyc.p.clerk)
    page = client.get(url(cyc.sub)).content.decode()
    assert 'name="g-1.1.1"' in page and "8" in page
    r = client.post(url(cyc.sub), grade_post(cyc.sub, {"1.1.1": "A", "1.1.2": "B"}))
    assert r.status_code == 302
    page = client.get(url(cyc.sub)).content.decode()
    assert 'data-testid="missing"' in page and 'href="#item-1.2.1"' in page
    assert fresh(cyc.sub).grades_at("self") == {"1.1.1": "A", "1.1.2": "B"}


def test_submitting_an_incomplete_form_keeps_the_draft_and_lists_the_missing_items(cyc, client_for):
    client = client_for(cyc.p.clerk)
    r = client.post(url(cyc.sub), grade_post(cyc.sub, {"1.1.1": "A"}, step="submit"), follow=True)
    page = r.content.decode()
    assert "2.1.3" in page
    sub = fresh(cyc.sub)
    assert sub.stage == Stage.DRAFT and sub.grades_at("self") == {"1.1.1": "A"}


def test_a_grade_outside_the_scale_is_refused_with_a_message_and_nothing_saved(cyc, client_for):
    client = client_for(cyc.p.clerk)
    r = client.post(url(cyc.sub), grade_post(cyc.sub, {"1.1.1": "A", "1.1.2": "Z"}))
    assert r.status_code == 200
    assert "1.1.2" in r.content.decode() and "Z" in r.content.decode()
    assert fresh(cyc.sub).grades_at("self") == {} and fresh(cyc.sub).version == 1


def test_the_second_of_two_simultaneous_saves_is_told_and_overwrites_nothing(cyc, client_for):
    sub = submit(cyc.p, cyc.sub)
    version = fresh(sub).version
    first = client_for(cyc.p.county_reviewer)
    r1 = first.post(url(sub), grade_post(sub, {"1.1.1": "A"}, version=version))
    assert r1.status_code == 302
    from conftest import make_user

    other = make_user("reviewer_a2", "county_reviewer", cyc.t.A)
    from django.test import Client

    second = Client()
    second.force_login(other)
    r2 = second.post(url(sub), grade_post(sub, {"1.1.1": "D"}, version=version))
    assert r2.status_code == 200
    assert 'data-testid="form-errors"' in r2.content.decode()
    assert fresh(sub).grades_at("county") == {"1.1.1": "A"}


def test_the_county_returns_from_the_page_and_the_clerk_sees_the_comment(cyc, client_for):
    sub = submit(cyc.p, cyc.sub)
    client = client_for(cyc.p.county_reviewer)
    r = client.post(
        url(sub, "return/"), {"comment": "请补充1.2.1的证明材料", "version": sub.version}
    )
    assert r.status_code == 302
    assert fresh(sub).stage == Stage.RETURNED
    client = client_for(cyc.p.clerk)
    assert "请补充1.2.1的证明材料" in client.get(url(sub)).content.decode()


def test_an_executable_renamed_to_pdf_is_refused_on_upload(cyc, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(cyc.p.clerk)
    exe = SimpleUploadedFile("制度.pdf", b"MZ\x90\x00" + b"\x00" * 64)
    r = client.post(url(cyc.sub, "evidence/"), {"item_code": "1.1.1", "files": [exe]}, follow=True)
    assert "制度.pdf" in r.content.decode()
    assert not Evidence.objects.exists()


def test_evidence_is_downloaded_only_within_scope(cyc, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    [ev] = A.do_upload_evidence(
        cyc.p.clerk, cyc.sub, "self", "1.1.1", [SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")]
    )
    assert client_for(cyc.p.clerk).get(url(cyc.sub, f"evidence/{ev.pk}/")).status_code == 200
    assert (
        client_for(cyc.p.county_reviewer_b).get(url(cyc.sub, f"evidence/{ev.pk}/")).status_code
        == 404
    )


def test_the_verdict_panel_shows_the_reasons(cyc, client_for):
    sub = submit(cyc.p, cyc.sub)
    sub = county_pass(cyc.p, sub, all_grades("B", **{"2_1_1": "D"}))
    page = client_for(cyc.p.city_reviewer).get(url(sub)).content.decode()
    assert 'data-verdict="basic"' in page
    assert "2.1.1" in page and 'data-testid="next-tier-gap"' in page


@pytest.mark.parametrize(
    "path",
    [
        "/evaluation/",
        "/evaluation/progress/",
        "/evaluation/publication/",
        "/evaluation/consistency/",
        "/evaluation/publication.xlsx",
    ],
)
@pytest.mark.parametrize("persona", ["county_reviewer", "city_reviewer", "analyst", "county_admin"])
def test_report_pages_open_for_people_of_the_region(cyc, client_for, path, persona):
    assert client_for(getattr(cyc.p, persona)).get(path).status_code == 200


def test_report_pages_of_another_county_are_not_found(cyc, client_for):
    client = client_for(cyc.p.county_reviewer_b)
    for path in ("/evaluation/publication/", "/evaluation/progress/", "/evaluation/consistency/"):
        assert client.get(f"{path}?region={cyc.t.A.code}&year=2025").status_code == 404
    assert client.get(f"/evaluation/history/{cyc.t.TA1.code}/").status_code == 404
    assert client.get(f"/evaluation/cycles/{cyc.cycle.pk}/").status_code == 404


@pytest.mark.parametrize(
    "persona,status", [("analyst", 403), ("clerk", 404), ("county_reviewer_b", 404)]
)
def test_only_people_who_may_publish_publish(cyc, client_for, persona, status):
    r = client_for(getattr(cyc.p, persona)).post(
        "/evaluation/publication/publish/", {"region": cyc.t.A.code, "year": "2025"}
    )
    assert r.status_code == status


def test_the_open_cycle_page_is_for_administrators(personas, client_for):
    assert client_for(personas.county_reviewer).get("/evaluation/cycles/new/").status_code == 403
    assert client_for(personas.county_admin).get("/evaluation/cycles/new/").status_code == 200


@pytest.mark.parametrize(
    "persona,panel",
    [
        ("clerk", "my-self-assessment"),
        ("county_reviewer", "evaluation-waiting"),
        ("county_admin", "evaluation-progress"),
    ],
)
def test_the_home_page_shows_each_role_its_evaluation_panel(cyc, client_for, persona, panel):
    submit(cyc.p, cyc.sub)
    page = client_for(getattr(cyc.p, persona)).get("/").content.decode()
    assert f'data-panel="{panel}"' in page
    assert 'href="/evaluation/"' in page


def test_the_verdict_history_tag_renders_for_institutions_only(cyc):
    from django.template import Context, Template

    tpl = Template("{% load evaluation %}{% verdict_history node %}")
    assert 'data-testid="verdict-history"' in tpl.render(Context({"node": cyc.t.TA1}))
    assert "verdict-history" not in tpl.render(Context({"node": cyc.t.A}))


def test_reopening_from_the_page_needs_a_reason_and_shows_it(cyc, client_for):
    sub = county_pass(cyc.p, submit(cyc.p, cyc.sub), all_grades("B", **{"2_1_1": "D"}))
    city = client_for(cyc.p.city_reviewer)
    assert 'data-testid="reopen-form"' in city.get(url(sub)).content.decode()
    r = city.post(url(sub, "reopen/"), {"level": "county", "reason": "", "version": sub.version})
    assert fresh(sub).stage == Stage.COUNTY_PASSED
    r = city.post(
        url(sub, "reopen/"),
        {"level": "county", "reason": "复核发现评分错误", "version": sub.version},
    )
    assert r.status_code == 302 and fresh(sub).stage == Stage.SUBMITTED
    assert "复核发现评分错误" in city.get(url(sub)).content.decode()


def test_a_county_reviewer_imports_a_review_from_excel_on_the_page(cyc, client_for, tmp_path):
    from .test_commands import filled_workbook

    sub = submit(cyc.p, cyc.sub)
    path = filled_workbook(cyc.catalog, all_grades("C"), tmp_path)
    client = client_for(cyc.p.county_reviewer)
    template = client.get(url(sub, "template.xlsx"))
    assert template.status_code == 200 and template.content[:2] == b"PK"
    with open(path, "rb") as f:
        r = client.post(url(sub, "import/"), {"file": f, "version": sub.version})
    assert r.status_code == 302
    assert fresh(sub).grades_at("county") == all_grades("C")


def test_the_history_page_shows_each_published_verdict_with_its_reasons(cyc, client_for):
    from .test_actions import _finish_all

    _finish_all(cyc)
    A.do_publish(cyc.p.county_admin, cyc.t.A, 2025)
    page = client_for(cyc.p.clerk).get(f"/evaluation/history/{cyc.t.TA1.code}/").content.decode()
    assert 'data-status="active"' in page
    assert "达到基本标准" in page and "2.1.1" in page  # the failed core recommended item


def test_an_administrator_opens_a_cycle_through_the_page(personas, client_for):
    from jiceng.assessments.models import Cycle

    from .conftest import load_mini

    catalog = load_mini()
    client = client_for(personas.county_admin)
    data = {
        "region": personas.tree.A.code,
        "year": "2026",
        "title": "",
        "self_deadline": "2026-06-30",
        "county_deadline": "2026-05-31",  # before the self-assessment deadline: refused
        "recheck_deadline": "",
        "validity_years": "3",
        "catalog_township_hc": str(catalog.pk),
    }
    r = client.post("/evaluation/cycles/new/", data)
    assert r.status_code == 200 and not Cycle.objects.exists()
    assert "早于" in r.content.decode()
    data["county_deadline"] = "2026-08-31"
    r = client.post("/evaluation/cycles/new/", data)
    cycle = Cycle.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/evaluation/cycles/{cycle.pk}/"
    assert cycle.submissions.count() == 7 and cycle.title == "甲县2026年度优质服务基层行评价"


def test_the_cycle_page_lists_its_institutions_a_page_at_a_time_keeping_the_filter(
    cyc, client_for, monkeypatch
):
    import re

    from jiceng.core import paging

    monkeypatch.setattr(paging, "PAGE_SIZE", 3)
    client = client_for(cyc.p.county_admin)
    url = f"/evaluation/cycles/{cyc.cycle.pk}/"
    rows = [
        re.findall(r'data-code="(\d+)"', client.get(f"{url}?page={n}").content.decode())
        for n in (1, 2, 3)
    ]
    assert [len(r) for r in rows] == [3, 3, 1]  # the 7 institutions of county A
    assert len({code for r in rows for code in r}) == 7
    page = client.get(f"{url}?stage=draft&page=2").content.decode()
    assert "共 7 家机构" in page and "第 2 页，共 3 页" in page
    assert 'href="?stage=draft&amp;page=1"' in page and 'href="?stage=draft&amp;page=3"' in page
