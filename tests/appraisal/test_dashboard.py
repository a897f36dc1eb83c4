"""The newest published appraisal of a commission's region on its home dashboard: best and
worst units with their scores, a link to the ranking, and nothing outside the user's sight."""

import json
import re

from django.urls import reverse

from jiceng.appraisal import actions, dashboard, results

from .helpers import worked_appraisal


def _ranking_chart(page: str) -> dict | None:
    """The spec of the first appraisal ranking chart drawn on a page, or None."""
    got = re.search(r'<script id="spec-[^"]*ranking0" type="application/json">(.*?)</script>', page)
    return json.loads(got.group(1)) if got else None


def _published(personas):
    appraisal = worked_appraisal(personas)
    actions.do_review(personas.county_admin, appraisal)
    return actions.do_publish(personas.county_admin, appraisal)


def test_the_county_dashboard_shows_its_published_ranking_with_a_link_to_the_table(
    personas, client_for
):
    appraisal = _published(personas)
    t = personas.tree
    page = client_for(personas.county_admin).get("/").content.decode()
    chart = _ranking_chart(page)
    # the worked example: TA1 93.33 (1st), TA2 90.00 (2nd), CA1 66.67 (3rd)
    assert chart["categories"] == [f"1. {t.TA1.name}", f"2. {t.TA2.name}", f"3. {t.CA1.name}"]
    assert chart["series"][0]["data"] == [93.33, 90.0, 66.67]
    assert "测试考核（2025年）：得分最高和最低的单位" in page
    assert f'href="{reverse("appraisal:ranking", args=[appraisal.pk])}"' in page


def test_a_draft_or_another_regions_appraisal_is_not_on_the_dashboard(personas, client_for):
    appraisal = worked_appraisal(personas)
    # a draft: not yet published, no ranking
    assert _ranking_chart(client_for(personas.county_admin).get("/").content.decode()) is None
    actions.do_review(personas.county_admin, appraisal)
    actions.do_publish(personas.county_admin, appraisal)
    # county B's reviewer does not see A's appraisal; the city shows its own appraisals only
    for user in (personas.county_reviewer_b, personas.city_reviewer):
        assert _ranking_chart(client_for(user).get("/").content.decode()) is None


def _row(code: str, rank: int | None, score: str | None) -> results.Row:
    return results.Row(
        unit=code, name=code, path="/", parent="", kind="township_hc", score=score,
        exact=score, rank=rank, grade=None, population=None, weight=None, amount=None,
        vetoed=[], items={},
    )  # fmt: skip


def test_a_long_ranking_shows_its_five_best_and_five_worst_scored_units():
    rows = [_row(f"U{i:02d}", i, str(100 - i)) for i in range(1, 13)] + [_row("X", None, None)]
    # 12 scored units: ranks 1–5 and 8–12; 6 and 7 and the unscored X are left out
    assert [r.unit for r in dashboard.ends(rows)] == [
        "U01", "U02", "U03", "U04", "U05", "U08", "U09", "U10", "U11", "U12",
    ]  # fmt: skip
    assert [r.unit for r in dashboard.ends(rows[:10])] == [f"U{i:02d}" for i in range(1, 11)]
