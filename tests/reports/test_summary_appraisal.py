"""The appraisal in the work summary of county A, checked against the appraisal's own pages.

The appraisal is the hand-worked one of tests/appraisal/helpers.py, built through the
appraisal actions (open, manual values, bad-practice points, review, publish):

    scores  TA1 (8 + 10 + 10)/30 = 93.33 优秀 rank 1
            TA2 (10 + 10 + 7)/30 = 90.00 优秀 rank 2
            CA1 (0 + 10 + 10)/30 = 66.67 合格 rank 3
    grades  优秀 2、合格 1、不合格 0
    fund    pool 10000 yuan by population × score; residents TA1 2100, TA2 1500, CA1 3000:
            weights 1960, 1350, 2000 (Σ 5310); shares in fen 369114.89, 254237.29, 376647.83
            round down to 999998, the 2 fen left go to TA1 (.89) and CA1 (.83):
            3691.15 + 2542.37 + 3766.48 = 10000.00

With three scored units the summary names one first and one last (never more than half
of them each): TA1 among the top, CA1 among the lowest.
"""

from __future__ import annotations

import io

import pytest
from appraisal.helpers import worked_appraisal

from jiceng.appraisal import actions
from jiceng.reports import document, figures

pytestmark = pytest.mark.django_db


def _published(county):
    appraisal = worked_appraisal(county.p)
    actions.do_review(county.p.county_admin, appraisal)
    return actions.do_publish(county.p.county_admin, appraisal)


def _get(client, url):
    r = client.get(url)
    assert r.status_code == 200, url
    return r


def test_a_published_appraisal_gives_the_figures_of_its_ranking_and_funds_pages(county, client_for):
    appraisal = _published(county)
    fields, figs = figures.build(county.t.A, 2025)
    client = client_for(county.p.county_admin)
    ranking = _get(client, f"/appraisal/{appraisal.pk}/?sort=score").context
    funds = _get(client, f"/appraisal/{appraisal.pk}/funds/").context
    assert fields["has_appraisal"] is True
    (quoted,) = fields["appraisals"]
    assert (quoted["title"], quoted["status"]) == ("测试考核", "已发布")
    assert quoted["units"] == str(len(ranking["rows"])) == "3"
    assert [(g["label"], g["count"]) for g in quoted["grades"]] == [
        (label, str(n)) for label, n in ranking["grade_counts"]
    ]
    assert quoted["grades_text"] == "优秀2、合格1、不合格0"
    assert (quoted["pool"], quoted["total"]) == ("10000", str(funds["seen_total"]))
    assert quoted["total"] == "10000.00"  # 3691.15 + 2542.37 + 3766.48
    first = ranking["page"][0]
    assert quoted["top_units"] == [
        {
            "unit": first.name,
            "rank": 1,
            "rank_text": "第1名",
            "score": first.score,
            "grade": first.grade,
        }
    ]
    assert (first.name, first.score) == ("甲一镇卫生院", "93.33")
    assert "共考核3个单位，优秀2家、合格1家、不合格0家。" in fields["appraisal_text"]
    # every appraisal figure names a page that shows its value
    pages: dict[str, str] = {}
    for f in figs:
        if "/appraisal/" in f.url:
            pages.setdefault(f.url, _get(client, f.url).content.decode())
            assert f.value in pages[f.url], (f.label, f.value, f.url)
    assert {u.split("?")[0] for u in pages} == {
        f"/appraisal/{appraisal.pk}/",
        f"/appraisal/{appraisal.pk}/funds/",
    }


def test_the_lowest_units_come_from_the_appraisal_ranking_instead_of_the_indicators(
    county, client_for
):
    appraisal = _published(county)
    fields, _figs = figures.build(county.t.A, 2025)
    last = _get(client_for(county.p.county_admin), f"/appraisal/{appraisal.pk}/?sort=-score")
    bottom = last.context["page"][0]
    assert (bottom.name, bottom.rank, bottom.score) == ("甲县城关社区卫生服务中心", 3, "66.67")
    assert fields["lowest_units"] == [
        {"name": "测试考核", "units": "甲县城关社区卫生服务中心（第3名，66.67分，合格）"}
    ]
    text = fields["problems_text"]
    assert "部分单位绩效考核排名靠后。测试考核排名靠后的是甲县城关社区卫生服务中心" in text
    # the missed target is still said, without the indicator's own lowest units
    assert "高血压患者规范管理率" in text and "排名靠后的是甲一镇卫生院" not in text


def test_a_draft_is_quoted_only_while_nothing_is_published_and_says_so(county):
    draft = worked_appraisal(county.p)
    fields, figs = figures.build(county.t.A, 2025)
    assert fields["appraisals"][0]["status"] == "草稿"
    assert "测试考核（草稿，尚未发布，得分随数据变化）" in fields["appraisal_text"]
    assert any(f.label == "测试考核（草稿）考核单位数" for f in figs)
    # published, then corrected: the open correction (a draft) does not replace it
    actions.do_review(county.p.county_admin, draft)
    published = actions.do_publish(county.p.county_admin, draft)
    correction = actions.do_correct(county.p.county_admin, published, "核查记录补充")
    fields, figs = figures.build(county.t.A, 2025)
    assert fields["appraisals"][0]["status"] == "已发布"
    urls = {f.url for f in figs}
    assert f"/appraisal/{published.pk}/" in urls
    assert not any(u.startswith(f"/appraisal/{correction.pk}/") for u in urls)


def test_a_published_correction_replaces_the_version_it_corrects(county, client_for):
    first = _published(county)
    admin = county.p.county_admin
    correction = actions.do_correct(admin, first, "城关中心现场核查补录")
    actions.do_enter_manual(
        admin, correction, county.t.CA1, {"A": ("9", "补录", "现场核查记录 3 号")}
    )
    actions.do_review(admin, correction)
    actions.do_publish(admin, correction)
    fields, _figs = figures.build(county.t.A, 2025)
    # CA1 now (9 + 10 + 10)/30 = 96.67 优秀, first; TA2 90.00 is last, of the best grade
    (quoted,) = fields["appraisals"]
    assert quoted["grades_text"] == "优秀3、合格0、不合格0"
    assert quoted["top_units"][0]["unit"] == "甲县城关社区卫生服务中心"
    assert quoted["top_units"][0]["score"] == "96.67"
    page = _get(client_for(admin), f"/appraisal/{correction.pk}/").content.decode()
    assert "96.67" in page
    # the last ranked unit is 优秀, the best grade: no unit is named as lagging
    assert fields["lowest_units"] == []


def test_the_word_document_has_the_appraisal_section_and_table(county):
    from docx import Document

    _published(county)
    fields, _figs = figures.build(county.t.A, 2025)
    doc = Document(io.BytesIO(document.render(document.default_template(), fields)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "（五）绩效考核与资金分配" in text and "共考核3个单位" in text
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "优秀2、合格1、不合格0" in cells and "10000.00" in cells
