"""The API shows exactly what the pages show, for every persona and every stage of a
submission: grades and remarks of each level, the verdict with its reasons, the stored
verdicts, and consistency figures. The institution under review never reads a review in
progress (draft grades, remarks, verdict) in either."""

from __future__ import annotations

import pytest
from assessments.conftest import all_grades, fresh, load_mini, open_cycle
from persona_names import PERSONAS

from jiceng.assessments import actions as A
from jiceng.assessments.models import Level, Submission

STAGES = ["draft", "submitted", "county_review", "county_passed", "recheck", "published"]
SECRET = "评审内部意见"
RECHECK_SECRET = "复核内部意见"
BASE = "/api/v1/evaluation"


def _bring(p, sub, stage: str) -> Submission:
    """Take TA1's submission to ``stage``; the reviewers' drafts carry SECRET remarks."""
    sub = A.do_save_grades(
        p.clerk,
        fresh(sub),
        "self",
        {"1.1.1": "A"},
        {"1.1.1": "自评说明"},
        version=fresh(sub).version,
    )
    if stage == "draft":
        return sub
    sub = A.do_save_grades(p.clerk, sub, "self", all_grades("A"), version=sub.version)
    sub = A.do_submit(p.clerk, sub, version=sub.version)
    if stage == "submitted":
        return sub
    county = all_grades("B", **{"2_1_1": "D"})
    sub = A.do_save_grades(
        p.county_reviewer, sub, "county", county, {"1.2.1": SECRET}, version=sub.version
    )
    A.do_add_finding(p.county_reviewer, sub, "county", SECRET + "（发现）")
    if stage == "county_review":
        return sub
    sub = A.do_pass_county(p.county_reviewer, fresh(sub), version=fresh(sub).version)
    if stage == "county_passed":
        return sub
    if stage == "recheck":
        A.do_select_for_recheck(p.city_reviewer, [fresh(sub)])
        sub = fresh(sub)
        return A.do_save_grades(
            p.city_reviewer,
            sub,
            "recheck",
            {"1.1.1": "D"},
            {"1.1.1": RECHECK_SECRET},
            version=sub.version,
        )
    for other in Submission.objects.filter(cycle=sub.cycle).exclude(pk=sub.pk):
        other = A.do_save_grades(None, other, "self", all_grades("A"), version=other.version)
        other = A.do_submit(None, other, version=other.version)
        other = A.do_save_grades(None, other, "county", county, version=other.version)
        A.do_pass_county(None, other, version=other.version)
    A.do_publish(p.county_admin, p.tree.A, 2025)
    return fresh(sub)


def _page(client, sub):
    response = client.get(f"/evaluation/s/{sub.pk}/")
    if response.status_code != 200:
        return response.status_code, None
    ctx = response.context
    grades = {
        (c["level"], item.code, c["grade"], c["remark"])
        for ch in ctx["chapters"]
        for sec in ch.sections
        for item in sec.items
        for c in item.cells
        if c["grade"] or c["remark"]
    }
    labels = {str(label): code for code, label in ctx["levels"]}
    verdicts = {labels[str(v["level"])]: v["verdict"] or "" for v in ctx["verdicts"]}
    return 200, {
        "grades": grades,
        "verdict": (ctx["verdict"]["level"], ctx["verdict"].get("verdict")),
        "verdicts": verdicts,
        "body": response.content.decode(),
    }


def _api(client, sub):
    head = client.get(f"{BASE}/submissions/{sub.pk}")
    if head.status_code != 200:
        return head.status_code, None
    grades, bodies = set(), [head.content.decode()]
    for level in Level:
        r = client.get(f"{BASE}/submissions/{sub.pk}/grades", {"level": level.value})
        bodies.append(r.content.decode())
        assert r.status_code in {200, 403}, r.content
        if r.status_code == 200:
            grades |= {
                (level.value, g["item_code"], g["grade"], g["remark"])
                for g in r.json()["grades"]
                if g["grade"] or g["remark"]
            }
    verdict = client.get(f"{BASE}/submissions/{sub.pk}/verdict").json()
    consistency = client.get(f"{BASE}/submissions/{sub.pk}/consistency").json()
    bodies += [str(verdict), str(consistency)]
    data = head.json()
    return 200, {
        "grades": grades,
        "verdict": (verdict["level"], verdict.get("verdict")),
        "verdicts": {lv.value: data[f"{lv.value}_verdict"] for lv in Level},
        "consistency": consistency,
        "body": "".join(bodies),
    }


@pytest.mark.parametrize("stage", STAGES)
def test_for_every_persona_the_api_shows_what_the_submission_page_shows(
    personas, client_for, stage
):
    load_mini()
    cycle = open_cycle(personas.tree.A)
    sub = _bring(personas, cycle.submissions.get(institution=personas.tree.TA1), stage)
    for name in PERSONAS:
        client = client_for(getattr(personas, name))
        page_status, page = _page(client, sub)
        api_status, api = _api(client, sub)
        assert page_status == api_status, name
        if page is None:
            continue
        assert page["grades"] == api["grades"], name
        assert page["verdict"] == api["verdict"], name
        for level, verdict in api["verdicts"].items():
            assert page["verdicts"].get(level, "") == verdict, (name, level)
        shown_levels = {g[0] for g in page["grades"]} | {"self"}
        pairs = {"self_county": ("self", "county"), "county_recheck": ("county", "recheck")}
        for pair, (x, y) in pairs.items():
            if x not in shown_levels or y not in shown_levels:
                assert api["consistency"][pair]["items"] == 0, (name, pair)
        for secret in (SECRET, RECHECK_SECRET):
            assert (secret in page["body"]) == (secret in api["body"]), (name, secret)
        client.logout()


@pytest.mark.parametrize("stage", ["county_review", "recheck"])
def test_the_institution_under_review_reads_no_review_in_progress(personas, client_for, stage):
    load_mini()
    cycle = open_cycle(personas.tree.A)
    sub = _bring(personas, cycle.submissions.get(institution=personas.tree.TA1), stage)
    level = "county" if stage == "county_review" else "recheck"
    secret = SECRET if level == "county" else RECHECK_SECRET
    client = client_for(personas.clerk)
    grades = client.get(f"{BASE}/submissions/{sub.pk}/grades", {"level": level})
    verdict = client.get(f"{BASE}/submissions/{sub.pk}/verdict", {"level": level})
    consistency = client.get(f"{BASE}/submissions/{sub.pk}/consistency")
    assert grades.status_code == 403 and verdict.status_code == 403
    body = consistency.content.decode()
    assert secret not in grades.content.decode() + verdict.content.decode() + body
    assert (
        consistency.json()[f"{'self_county' if level == 'county' else 'county_recheck'}"]["items"]
        == 0
    )
    page = client.get(f"/evaluation/s/{sub.pk}/").content.decode()
    assert secret not in page
    region = client.get(f"{BASE}/consistency", {"region": personas.tree.TA1.code, "year": 2025})
    assert region.json()["per_reviewer"] == [] or stage == "recheck"
    # the reviewer sees the draft on both
    reviewer = personas.county_reviewer if level == "county" else personas.city_reviewer
    client = client_for(reviewer)
    assert secret in client.get(f"/evaluation/s/{sub.pk}/").content.decode()
    got = client.get(f"{BASE}/submissions/{sub.pk}/grades", {"level": level}).json()
    assert secret in str(got)


def test_a_county_reviewer_reads_no_draft_review_of_their_own_institution(personas, client_for):
    load_mini()
    cycle = open_cycle(personas.tree.A)
    sub = cycle.submissions.get(institution=personas.tree.TA2)
    reviewer_2 = _make_user("reviewer_a2", "county_reviewer", personas.tree.A)
    sub = A.do_save_grades(None, sub, "self", all_grades("A"), version=sub.version)
    sub = A.do_submit(None, sub, version=sub.version)
    A.do_save_grades(
        reviewer_2, sub, "county", {"1.1.1": "D"}, {"1.1.1": SECRET}, version=sub.version
    )
    client = client_for(personas.county_reviewer)  # works at TA2
    assert client.get(f"{BASE}/submissions/{sub.pk}/grades", {"level": "county"}).status_code == 403
    assert SECRET not in client.get(f"/evaluation/s/{sub.pk}/").content.decode()


def _make_user(*args, **kw):
    from conftest import make_user

    return make_user(*args, **kw)


def test_evidence_a_reviewer_uploads_during_the_review_stays_hidden_from_the_institution(
    personas, client_for, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    load_mini()
    cycle = open_cycle(personas.tree.A)
    sub = _bring(personas, cycle.submissions.get(institution=personas.tree.TA1), "county_review")
    [ev] = A.do_upload_evidence(
        personas.county_reviewer,
        fresh(sub),
        "county",
        "1.1.1",
        [SimpleUploadedFile("现场照片.pdf", pdf)],
    )
    url = f"/evaluation/s/{sub.pk}/evidence/{ev.pk}/"
    clerk = client_for(personas.clerk)
    assert "现场照片.pdf" not in clerk.get(f"/evaluation/s/{sub.pk}/").content.decode()
    assert clerk.get(url).status_code == 404
    reviewer = client_for(personas.county_reviewer)
    assert "现场照片.pdf" in reviewer.get(f"/evaluation/s/{sub.pk}/").content.decode()
    assert reviewer.get(url).status_code == 200
    A.do_pass_county(personas.county_reviewer, fresh(sub), version=fresh(sub).version)
    assert client_for(personas.clerk).get(url).status_code == 200


def test_the_verdict_command_shows_a_clerk_what_their_page_shows(personas):
    from io import StringIO

    from django.core.management import CommandError, call_command

    load_mini()
    cycle = open_cycle(personas.tree.A)
    _bring(personas, cycle.submissions.get(institution=personas.tree.TA1), "county_review")
    code = personas.tree.TA1.code
    with pytest.raises(CommandError):
        call_command(
            "evaluation_verdict", institution=code, year=2025, level="county", user="clerk_ta1"
        )
    out = StringIO()
    call_command(
        "evaluation_verdict", institution=code, year=2025, json=True, user="clerk_ta1", stdout=out
    )
    assert '"level": "self"' in out.getvalue()
    out = StringIO()
    call_command(
        "evaluation_verdict", institution=code, year=2025, json=True, user="reviewer_a", stdout=out
    )
    assert '"level": "county"' in out.getvalue()


def test_for_every_persona_the_indicators_api_gives_the_figures_of_the_indicators_page(
    personas, client_for
):
    """County A loaded a record set, county B did not: the city and the province see sums."""
    import re

    from indicators.conftest import make_record_set, put

    t = personas.tree
    rs = make_record_set(node=t.A)
    for node, (n, d) in {t.A: (105, 150), t.TA1: (60, 100), t.VA1: (30, 40)}.items():
        put(rs, node, "2025", "htn_std_mgmt", n, d)
    put(rs, t.A, "2024", "htn_std_mgmt", 90, 150)
    for name in PERSONAS:
        client = client_for(getattr(personas, name))
        page = client.get("/indicators/", follow=True)
        code = page.request["PATH_INFO"].rstrip("/").rsplit("/", 1)[-1]
        html = page.content.decode()
        row = re.search(r'<tr data-indicator="htn_std_mgmt"[^>]*>(.*?)</tr>', html, re.S)[1]
        cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', row)
        answer = client.get(f"/api/v1/indicators/values/{code}")
        if code == t.B.code:  # nothing for county B: the page says so, the API explains why
            assert answer.status_code == 400 and "还没有指标数据" in html, name
            assert not any(c.strip() for c in cells), cells
            client.logout()
            continue
        api = answer.json()
        assert f'data-period="{api["period"]}"' in html, name
        v = next(x for x in api["values"] if x["indicator"] == "htn_std_mgmt")
        expect = ["" if v["value"] is None else f"{v['value'] * 100:.2f}%"]
        assert cells[2:3] == expect, (name, code, cells, v)
        if code in (t.C.code, t.P.code):
            assert v["numerator"] == 105 and api["coverage"]["without_data"] == [t.B.code]
        client.logout()
