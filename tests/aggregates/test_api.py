"""/api/v1/datavalues: read a subtree's values by period; write a batch, all or nothing."""

import json

import pytest

from jiceng.aggregates import actions
from jiceng.aggregates.models import DataValue, Report
from jiceng.core.models import AuditEvent

from .helpers import load_sample

URL = "/api/v1/datavalues"


@pytest.fixture
def sat(personas):
    return load_sample("satisfaction", personas.tree.P)


def post(client, body):
    return client.post(URL, json.dumps(body), content_type="application/json")


def test_a_county_administrator_writes_a_batch_for_many_units(personas, client_for, sat):
    t = personas.tree
    client = client_for(personas.county_admin)
    body = {
        "dataset": "SATISFACTION",
        "values": [
            {"org_code": t.TA1.code, "period": "2025Q1", "element": "OUT_SURVEYED", "value": "40"},
            {"org_code": t.TA1.code, "period": "2025Q1", "element": "OUT_SATISFIED", "value": "36"},
            {"org_code": t.TA2.code, "period": "2025Q2", "element": "OUT_SURVEYED", "value": "50"},
        ],
    }
    response = post(client, body)
    assert response.status_code == 200, response.content
    assert response.json() == {"values": 3, "forms": 2, "rejected": 0, "rejects": []}
    assert AuditEvent.objects.filter(action="aggregates.save_values").count() == 2
    got = client.get(URL, {"dataset": "SATISFACTION", "org": t.A.code, "period": "2025"}).json()
    assert got["count"] == 3
    assert {(v["org_code"], v["period"], v["element"], v["value"]) for v in got["items"]} == {
        (t.TA1.code, "2025Q1", "OUT_SURVEYED", "40"),
        (t.TA1.code, "2025Q1", "OUT_SATISFIED", "36"),
        (t.TA2.code, "2025Q2", "OUT_SURVEYED", "50"),
    }


def test_a_batch_with_any_bad_row_saves_nothing_and_names_every_row(personas, client_for, sat):
    t = personas.tree
    actions.do_save_values(None, sat, t.TA2, "2025Q1", {"OUT_SURVEYED": "5"})
    actions.do_complete(None, sat, t.TA2, "2025Q1")
    actions.do_approve(None, Report.objects.get(node=t.TA2))
    client = client_for(personas.county_admin)
    body = {
        "dataset": "SATISFACTION",
        "values": [
            {"org_code": t.TA1.code, "period": "2025Q1", "element": "OUT_SURVEYED", "value": "40"},
            {"org_code": t.TA1.code, "period": "2025Q1", "element": "OUT_SATISFIED", "value": "-1"},
            {"org_code": t.TB1.code, "period": "2025Q1", "element": "OUT_SURVEYED", "value": "1"},
            {"org_code": t.TA2.code, "period": "2025Q1", "element": "OUT_SURVEYED", "value": "6"},
            {"org_code": t.CA1.code, "period": "2025-01", "element": "OUT_SURVEYED", "value": "6"},
            {"org_code": t.CA1.code, "period": "2025Q1", "element": "NOPE", "value": "6"},
        ],
    }
    response = post(client, body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["row"] for e in errors] == [1, 2, 3, 4, 5]
    text = json.dumps(errors, ensure_ascii=False)
    assert "负数" in text and "未知的机构" in text and "已审核锁定" in text
    assert "未知的数据元" in text and "报告期" in text
    assert DataValue.objects.count() == 1  # only the value written before


def test_staff_cannot_write_batches(personas, client_for, sat):
    t = personas.tree
    response = post(
        client_for(personas.clerk),
        {
            "dataset": "SATISFACTION",
            "values": [
                {
                    "org_code": t.TA1.code,
                    "period": "2025Q1",
                    "element": "OUT_SURVEYED",
                    "value": "1",
                }
            ],
        },
    )
    assert response.status_code == 422 and "不在您可以填报" in response.content.decode()
    assert not DataValue.objects.exists()


def test_reading_a_unit_out_of_sight_is_404(personas, client_for, sat):
    response = client_for(personas.clerk).get(
        URL, {"dataset": "SATISFACTION", "org": personas.tree.TB1.code, "period": "2025"}
    )
    assert response.status_code == 404


def test_a_batch_may_set_its_bad_values_aside_and_save_the_others(personas, client_for, sat):
    t = personas.tree
    actions.do_save_values(None, sat, t.TA2, "2025Q1", {"OUT_SURVEYED": "5"})
    actions.do_complete(None, sat, t.TA2, "2025Q1")
    actions.do_approve(None, Report.objects.get(node=t.TA2))
    client = client_for(personas.county_admin)
    body = {
        "dataset": "SATISFACTION",
        "set_aside": True,
        "values": [
            {"org_code": t.TA1.code, "period": "2025Q1", "element": "OUT_SURVEYED", "value": "40"},
            {"org_code": t.TA1.code, "period": "2025Q1", "element": "OUT_SATISFIED", "value": "-1"},
            {"org_code": t.TA2.code, "period": "2025Q1", "element": "OUT_SURVEYED", "value": "6"},
            {"org_code": t.TA1.code, "period": "2025Q2", "element": "OUT_SURVEYED", "value": "7"},
        ],
    }
    response = post(client, body)
    assert response.status_code == 200, response.content
    got = response.json()
    # rows 0 and 3 saved (two forms of TA1); row 1 negative, row 2 in a locked form
    assert (got["values"], got["forms"], got["rejected"]) == (2, 2, 2)
    assert [(r["row"], r["element"], r["value"]) for r in got["rejects"]] == [
        (1, "OUT_SATISFIED", "-1"),
        (2, "OUT_SURVEYED", "6"),
    ]
    assert "value列" in got["rejects"][0]["problem"] and "负数" in got["rejects"][0]["problem"]
    assert "已审核锁定" in got["rejects"][1]["problem"]
    saved = set(DataValue.objects.values_list("node__code", "period", "element", "value"))
    assert saved == {
        (t.TA1.code, "2025Q1", "OUT_SURVEYED", "40"),
        (t.TA1.code, "2025Q2", "OUT_SURVEYED", "7"),
        (t.TA2.code, "2025Q1", "OUT_SURVEYED", "5"),  # locked, unchanged
    }
