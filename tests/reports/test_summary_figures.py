"""The work summary of county A, checked figure by figure against the pages it names.

Arithmetic of the fixture: tests/reports/conftest.py.
"""

from __future__ import annotations

import io
import re

import pytest

from jiceng.reports import document, figures

pytestmark = pytest.mark.django_db


def _build(county):
    return figures.build(county.t.A, 2025)


def _page(client, url):
    r = client.get(url)
    assert r.status_code == 200, url
    return r


def test_every_figure_names_a_page_that_shows_it_to_the_county_administrator(county, client_for):
    _fields, figs = _build(county)
    client = client_for(county.p.county_admin)
    pages: dict[str, str] = {}
    for f in figs:
        if f.url not in pages:
            pages[f.url] = _page(client, f.url).content.decode()
        if f.value != "—":
            assert f.value in pages[f.url], (f.label, f.value, f.url)


def test_the_evaluation_counts_and_shares_are_those_of_the_publication_page(county, client_for):
    fields, _figs = _build(county)
    client = client_for(county.p.county_admin)
    for year, key in ((2025, 0), (2024, 2)):
        page = _page(client, f"/evaluation/publication/?region={county.t.A.code}&year={year}")
        headline = page.context["t"]["headline"]
        assert [r["raw"][key] for r in fields["evaluation"]] == [h["count"] for h in headline]
        assert [r["raw"][key + 1] for r in fields["evaluation"]] == [h["percent"] for h in headline]
    # 2025: recommended 1 of 7 = 14.3%, basic 4 = 57.1%, none 2 = 28.6%
    assert [(r["count"], r["percent"]) for r in fields["evaluation"]] == [
        ("1", "14.3%"),
        ("4", "57.1%"),
        ("2", "28.6%"),
    ]
    # basic 57.1 − 42.9 = +14.2 points; recommended 14.3 − 0.0; none 28.6 − 57.1 = −28.5
    assert [r["change_pp"] for r in fields["evaluation"]] == ["+14.3", "+14.2", "-28.5"]


def test_the_indicators_and_targets_are_those_of_the_indicator_page(county, client_for):
    fields, _figs = _build(county)
    page = _page(
        client_for(county.p.county_admin), f"/indicators/node/{county.t.A.code}/?period=2025"
    )
    shown = {r.code: r for r in page.context["data"].rows if r.has_value_row}
    assert {r["code"] for r in fields["indicators"]} == set(shown)
    htn = next(r for r in fields["indicators"] if r["code"] == "htn_std_mgmt")
    assert htn["raw"].value == shown["htn_std_mgmt"].value == pytest.approx(105 / 150)
    # 70.00% against 60.00% last year: +10.00 points; target ≥ 75.00% missed
    assert (htn["value"], htn["previous"], htn["change_pp"]) == ("70.00%", "60.00%", "+10.00")
    assert (htn["target"], htn["met"]) == ("≥ 75.00%", "未达标")
    assert (fields["targets_set"], fields["targets_met"]) == ("1", "0")


def test_the_ledger_counts_are_those_of_the_ledger_summary_page(county, client_for):
    fields, _figs = _build(county)
    page = _page(
        client_for(county.p.county_admin), f"/rectification/summary/?region={county.t.A.code}"
    )
    total = page.context["total"]
    assert fields["ledger_total"] == str(total["total"]) == "3"
    assert fields["ledger_closed"] == str(total["closed"]) == "1"
    assert fields["overdue_total"] == str(total["overdue"]) == "1"
    assert fields["ledger_close_rate"] == "33.33%"  # 1 of 3


def test_training_and_reporting_rates_are_those_of_the_data_pages(county, client_for):
    fields, _figs = _build(county)
    client = client_for(county.p.county_admin)
    pk = county.training.pk
    values = _page(client, f"/data/values/{county.t.A.code}/?dataset={pk}&period=2025")
    row = next(r for r in values.context["table"]["rows"] if r["code"] == "TRAINED")
    trained = next(r for r in fields["aggregates"] if r["name"] == "参加培训人次")
    # TA1 10 × 4 quarters + TA2 3 = 43; last year TA1 5 × 4 = 20
    assert trained["value"] == row["values"][0] == "43"
    assert trained["previous"] == "20"
    rep = _page(client, f"/data/reporting/{county.t.A.code}/?dataset={pk}&period=2025").context[
        "rep"
    ]
    mine = fields["reporting"][0]
    assert mine["completeness"] == f"{rep.total['completeness']}%"
    assert (mine["late"], mine["missing"]) == (str(len(rep.late)), str(len(rep.missing)))
    # 7 units × 4 quarters = 28 forms due; 5 received (TA1 4, TA2 1): 23 missing
    assert (rep.total["expected"], rep.total["received"], mine["missing"]) == (28, 5, "23")


def test_institutions_and_population_are_those_of_the_unit_page(county, client_for):
    fields, _figs = _build(county)
    page = _page(client_for(county.p.county_admin), f"/orgs/{county.t.A.code}/")
    assert [(str(k), str(n)) for k, n in page.context["institution_counts"]] == [
        (k["kind"], k["count"]) for k in fields["institutions_by_kind"]
    ]
    # TA1 TA2 · CA1 · VA1 VA2 VA3 · SA1 = 7; residents 1200 + 900 + 1500 + 3000 = 6600
    assert fields["institutions_total"] == "7"
    row_2025 = next(r for r in page.context["years"] if r["year"] == 2025)
    assert fields["permanent_residents"] == str(row_2025["figures"][0]) == "6600"


def test_the_problems_name_the_missed_target_the_withdrawn_verdict_and_the_lowest_unit(county):
    fields, _figs = _build(county)
    missed = {(m["unit"], m["value"]) for m in fields["targets_missed"]}
    assert missed == {("甲县", "70.00%"), ("甲一镇卫生院", "60.00%")}
    assert [(w["unit"], w["year"]) for w in fields["withdrawn"]] == [("城关社区卫生服务站", 2024)]
    # TA2 (90.00%) meets the target and is not named among the lowest
    assert fields["lowest_units"] == [
        {"name": "高血压患者规范管理率", "units": "甲一镇卫生院（60.00%）"}
    ]


def test_the_word_document_carries_the_sections_tables_and_the_sources(county):
    from docx import Document

    fields, figs = _build(county)
    data = document.render(document.default_template(), fields)
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    for heading in ("一、基本情况", "二、主要做法与成效", "三、存在问题", "四、下一步打算"):
        assert heading in text
    assert "甲县2025年优质服务基层行工作总结" in text
    assert "绩效考核" not in text  # no appraisal app yet: the section is left out
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "57.1%" in cells and "+14.2" in cells  # the evaluation table
    # the sources table lists every figure with its page
    for f in figs:
        assert f.url in cells
    assert len(doc.inline_shapes) == 2  # the evaluation and indicator charts
    assert re.search(r"2026年下一步|力争2026年", text)


def test_a_quarter_gives_a_progress_report_of_that_quarter(county):
    fields, _figs = figures.build(county.t.A, 2025, quarter=1)
    assert fields["title"] == "甲县2025年第1季度基层卫生健康工作进展情况（调度）"
    trained = next(r for r in fields["aggregates"] if r["name"] == "参加培训人次")
    assert (trained["value"], trained["previous"]) == ("13", "5")  # 10 + 3; last year 5


def test_the_basic_situation_counts_only_grassroots_institutions_in_its_total(county):
    from jiceng.orgs.actions import do_create_node

    do_create_node(
        None, code="330101900000", name="甲县人民医院", kind="county_hospital", parent=county.t.A
    )
    fields, _figs = _build(county)
    # 7 grassroots institutions; the county hospital is named apart, not in the 7
    assert fields["basic_text"].startswith(
        "甲县共有基层医疗卫生机构7家（乡镇卫生院2家、社区卫生服务中心1家、村卫生室3家、"
        "社区卫生服务站1家），另有县级医院1家。"
    )
