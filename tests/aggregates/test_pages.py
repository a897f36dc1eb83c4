"""The pages: load a definition, fill a form (drafts, checks, completion), approve and unlock,
the reporting rate and its export, the home panel."""

import io
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.aggregates import actions
from jiceng.aggregates.models import DataSetVersion, DataValue, Report

from .helpers import load_sample


@pytest.fixture
def sat(personas):
    return load_sample("satisfaction", personas.tree.P)


def form_url(version, node, period, what="form"):
    return reverse(f"aggregates:{what}", args=[version.pk, node.code, period])


def test_an_administrator_loads_a_definition_and_sees_every_problem_of_a_bad_one(
    personas, client_for
):
    client = client_for(personas.province_admin)
    bad = b"code: X\nversion: '1'\nname: x\nperiod_type: weekly\ninstitution_kinds: [township_hc]\nsections:\n  - elements:\n      - {code: A, name: a, value_type: money, aggregation: sum}\n"
    response = client.post(
        reverse("aggregates:load"), {"file": SimpleUploadedFile("bad.yaml", bad)}
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "weekly" in text and "money" in text and "未加载任何内容" in text
    assert not DataSetVersion.objects.exists()
    from jiceng.datasets.definition import sample_dataset_paths

    path = sample_dataset_paths()[0]
    response = client.post(
        reverse("aggregates:load"), {"file": SimpleUploadedFile(path.name, path.read_bytes())}
    )
    version = DataSetVersion.objects.get()
    assert response.status_code == 302 and version.owner == personas.tree.P
    assert client.get(reverse("aggregates:dataset", args=[version.pk])).status_code == 200


def test_staff_cannot_load_a_definition(personas, client_for):
    assert client_for(personas.clerk).get(reverse("aggregates:load")).status_code == 403


def test_a_clerk_sees_the_forms_to_fill_on_the_home_page_and_fills_one(personas, client_for, sat):
    t = personas.tree
    client = client_for(personas.clerk)
    home = client.get("/").content.decode()
    assert "待填报" in home and "满意度调查" in home
    url = form_url(sat, t.TA1, "2025Q1")
    page = client.get(url).content.decode()
    assert "门诊调查人数" in page and 'name="v-OUT_SURVEYED"' in page
    # an automatic save (htmx) answers with the checks: the violation shows at once
    response = client.post(
        form_url(sat, t.TA1, "2025Q1", "save"),
        {"v-OUT_SURVEYED": "40", "v-OUT_SATISFIED": "41"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert response.status_code == 200 and "门诊满意人数多于门诊调查人数" in text
    assert "草稿已保存" in text
    # completing without a reason is refused; with one it is done
    response = client.post(form_url(sat, t.TA1, "2025Q1", "complete"), {"reason": ""})
    assert response.status_code == 400 and "理由" in response.content.decode()
    response = client.post(form_url(sat, t.TA1, "2025Q1", "complete"), {"reason": "含复诊"})
    assert response.status_code == 302
    assert Report.objects.get(node=t.TA1).completed_at is not None


def test_a_bad_value_is_named_and_nothing_saved(personas, client_for, sat):
    t = personas.tree
    client = client_for(personas.clerk)
    response = client.post(
        form_url(sat, t.TA1, "2025Q1", "save"),
        {"v-OUT_SURVEYED": "-3", "v-IN_SURVEYED": "5"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert "门诊调查人数" in text and "负数" in text and "未保存任何数据" in text
    assert not DataValue.objects.exists()


def test_the_county_approves_and_unlocks_and_a_locked_form_cannot_be_changed(
    personas, client_for, sat
):
    t = personas.tree
    actions.do_save_values(personas.clerk, sat, t.TA1, "2025Q1", {"OUT_SURVEYED": "40"})
    actions.do_complete(personas.clerk, sat, t.TA1, "2025Q1")
    reviewer = client_for(personas.county_reviewer)
    home = reviewer.get("/").content.decode()
    assert "待审核" in home and form_url(sat, t.TA1, "2025Q1") in home
    assert (
        form_url(sat, t.TA1, "2025Q1") in reviewer.get(reverse("aggregates:index")).content.decode()
    )
    page = reviewer.get(form_url(sat, t.TA1, "2025Q1")).content.decode()
    assert 'data-testid="approve"' in page and "disabled" in page
    reviewer.post(form_url(sat, t.TA1, "2025Q1", "approve"))
    assert Report.objects.get(node=t.TA1).locked
    assert "待审核" not in reviewer.get("/").content.decode()
    clerk = client_for(personas.clerk)
    response = clerk.post(
        form_url(sat, t.TA1, "2025Q1", "save"), {"v-OUT_SURVEYED": "1"}, HTTP_HX_REQUEST="true"
    )
    assert "已审核锁定" in response.content.decode()
    reviewer = client_for(personas.county_reviewer)
    reviewer.post(form_url(sat, t.TA1, "2025Q1", "unlock"), {"reason": "录入错误"})
    report = Report.objects.get(node=t.TA1)
    assert not report.locked and report.unlock_reason == "录入错误"


def test_forms_out_of_sight_are_hidden_and_others_forms_read_only(personas, client_for, sat):
    t = personas.tree
    clerk = client_for(personas.clerk)
    assert clerk.get(form_url(sat, t.TB1, "2025Q1")).status_code == 404
    assert (
        clerk.post(form_url(sat, t.TA2, "2025Q1", "save"), {"v-OUT_SURVEYED": "1"}).status_code
        == 404
    )
    assert (
        clerk.get(reverse("aggregates:form", args=[sat.pk, t.TA1.code, "2025-01"])).status_code
        == 404
    )
    reviewer = client_for(personas.county_reviewer)
    assert (
        reviewer.post(form_url(sat, t.TA1, "2025Q1", "save"), {"v-OUT_SURVEYED": "1"}).status_code
        == 403
    )


def test_the_reporting_rate_lists_late_and_missing_units_and_exports_them(
    personas, client_for, sat
):
    t = personas.tree
    # county A expects TA1, TA2, CA1 for 2025Q1 (due 2025-04-10): TA1 on time, TA2 late, CA1 missing
    actions.do_complete(None, sat, t.TA1, "2025Q1", at=datetime(2025, 4, 8, 2, tzinfo=UTC))
    actions.do_complete(None, sat, t.TA2, "2025Q1", at=datetime(2025, 4, 20, 2, tzinfo=UTC))
    client = client_for(personas.county_reviewer)
    url = reverse("aggregates:reporting", args=[t.A.code]) + f"?dataset={sat.pk}&period=2025Q1"
    response = client.get(url)
    rep = response.context["rep"]
    assert (rep.total["expected"], rep.total["received"], rep.total["on_time"]) == (3, 2, 1)
    assert [m["unit"].code for m in rep.missing] == [t.CA1.code]
    assert [m["unit"].code for m in rep.late] == [t.TA2.code]
    assert "66.7%" in response.content.decode()
    export = client.get(
        reverse("aggregates:reporting_export", args=[t.A.code]) + f"?dataset={sat.pk}&period=2025Q1"
    )
    wb = load_workbook(io.BytesIO(export.content))
    assert [c.value for c in wb.worksheets[2][2]][:2] == [t.CA1.name, t.CA1.code]
    # a year sums its quarters; a month is shorter than the data set's type
    year = client.get(
        reverse("aggregates:reporting", args=[t.C.code]) + f"?dataset={sat.pk}&period=2025"
    )
    assert year.status_code == 404  # the city is out of the county reviewer's sight
    month = client.get(
        reverse("aggregates:reporting", args=[t.A.code]) + f"?dataset={sat.pk}&period=2025-01"
    )
    assert "比数据集的报告周期" in month.content.decode()


def test_validation_rule_analysis_lists_every_violation_of_a_region(personas, client_for, sat):
    t = personas.tree
    actions.do_save_values(
        None, sat, t.TA1, "2025Q1", {"OUT_SURVEYED": "40", "OUT_SATISFIED": "41"}
    )  # 41 > 40: OUT_SATISFIED_WITHIN
    actions.do_save_values(None, sat, t.TA2, "2025Q2", {"OUT_SURVEYED": "12"})  # < 30: sample
    actions.do_save_values(None, sat, t.TB1, "2025Q1", {"IN_SURVEYED": "1", "IN_SATISFIED": "2"})
    client = client_for(personas.county_reviewer)
    url = reverse("aggregates:validation", args=[t.A.code]) + f"?dataset={sat.pk}&period=2025"
    response = client.get(url)
    found = [(v["unit"].code, v["period"], v["rule"].code) for v in response.context["violations"]]
    assert found == [
        (t.TA1.code, "2025Q1", "OUT_SATISFIED_WITHIN"),
        (t.TA2.code, "2025Q2", "OUT_SAMPLE_SIZE"),
    ]
    assert "门诊满意人数多于门诊调查人数" in response.content.decode()


def test_aggregated_values_add_up_the_tree_and_rates_come_from_the_totals(
    personas, client_for, sat
):
    t = personas.tree
    actions.do_save_values(
        None, sat, t.TA1, "2025Q1", {"OUT_SURVEYED": "40", "OUT_SATISFIED": "36"}
    )
    actions.do_save_values(
        None, sat, t.TA2, "2025Q2", {"OUT_SURVEYED": "60", "OUT_SATISFIED": "61"}
    )
    client = client_for(personas.county_reviewer)
    url = reverse("aggregates:values", args=[t.A.code]) + f"?dataset={sat.pk}&period=2025"
    table = client.get(url).context["table"]
    assert [n.code for n in table["columns"]] == [t.A.code, t.TA1.code, t.TA2.code, t.CA1.code]
    rows = {r["code"]: r["values"] for r in table["rows"]}
    assert rows["OUT_SURVEYED"] == ["100", "40", "60", ""]
    # (36 + 61) / (40 + 60) × 100 = 97, not the mean of 90 and 101.67
    assert rows["OUT_SATISFACTION_RATE"] == ["97", "90", "101.6666666667", ""]
    export = client.get(
        reverse("aggregates:values_export", args=[t.A.code]) + f"?dataset={sat.pk}&period=2025"
    )
    ws = load_workbook(io.BytesIO(export.content)).worksheets[0]
    sheet = {r[0]: r[2:] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert sheet["OUT_SURVEYED"] == (100, 40, 60, None)


def test_a_definition_in_the_excel_layout_is_loaded_and_stored_as_yaml(personas, client_for):
    from jiceng.datasets.definition import load_dataset_file, sample_dataset_paths
    from jiceng.datasets.excel import write_dataset_excel

    ds = load_dataset_file(sample_dataset_paths()[0])
    client = client_for(personas.county_admin)
    data = write_dataset_excel(ds)
    response = client.post(
        reverse("aggregates:load"), {"file": SimpleUploadedFile("集.xlsx", data)}
    )
    assert response.status_code == 302
    version = DataSetVersion.objects.get()
    assert version.owner == personas.tree.A and version.source_name == "集.yaml"
    assert version.definition() == ds


def test_the_analysis_lists_outliers_against_each_units_own_history(personas, client_for):
    t = personas.tree
    edu = load_sample("health_education", t.P)
    # TA1 gave 10 lectures a quarter through 2023 and 2024 (median 10, MAD 0), then 60
    for year in (2023, 2024):
        for q in range(1, 5):
            actions.do_save_values(None, edu, t.TA1, f"{year}Q{q}", {"LECTURES": "10"})
    actions.do_save_values(None, edu, t.TA1, "2025Q1", {"LECTURES": "60"})
    actions.do_save_values(None, edu, t.TA2, "2025Q1", {"LECTURES": "60"})  # no history
    client = client_for(personas.county_reviewer)
    url = reverse("aggregates:validation", args=[t.A.code]) + f"?dataset={edu.pk}&period=2025"
    found = client.get(url).context["outliers"]
    assert [(o["unit"].code, o["period"], o["key"], o["value"]) for o in found] == [
        (t.TA1.code, "2025Q1", "LECTURES", "60")
    ]
