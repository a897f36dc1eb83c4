"""Load a data set, save values, complete, approve and unlock: scope, locks and the trail."""

import pytest
from django.core.exceptions import PermissionDenied

from jiceng.aggregates import actions, queries
from jiceng.aggregates.models import DataValue, Report
from jiceng.core.errors import UserError, ValidationFailed
from jiceng.core.models import AuditEvent

from .helpers import load_sample


@pytest.fixture
def sat(personas):
    return load_sample("satisfaction", personas.tree.P)


@pytest.fixture
def edu(personas):
    return load_sample("health_education", personas.tree.P)


def test_loading_a_data_set_is_audited_and_a_second_copy_refused(personas, sat):
    assert sat.name == "满意度调查" and sat.period_type == "quarterly"
    assert AuditEvent.objects.filter(action="aggregates.load_dataset").count() == 1
    with pytest.raises(UserError, match="已经载入"):
        load_sample("satisfaction", personas.tree.P)


def test_a_county_administrator_cannot_load_a_data_set_for_the_province(personas):
    from jiceng.datasets.definition import load_dataset_file, sample_dataset_paths

    path = sample_dataset_paths()[0]
    ds = load_dataset_file(path)
    with pytest.raises(PermissionDenied):
        actions.do_load_dataset(
            personas.county_admin, ds, path.read_text(), path.name, owner=personas.tree.P
        )
    version = actions.do_load_dataset(personas.county_admin, ds, path.read_text(), path.name)
    assert version.owner == personas.tree.A


def test_saving_values_records_each_change_with_before_and_after(personas, sat):
    t = personas.tree
    actions.do_save_values(personas.clerk, sat, t.TA1, "2025Q1", {"OUT_SURVEYED": "40"})
    actions.do_save_values(
        personas.clerk, sat, t.TA1, "2025Q1", {"OUT_SURVEYED": "42", "OUT_SATISFIED": "36"}
    )
    actions.do_save_values(personas.clerk, sat, t.TA1, "2025Q1", {"OUT_SATISFIED": ""})
    assert queries.form_values(sat, t.TA1, "2025Q1") == {"OUT_SURVEYED": "42"}
    rows = list(AuditEvent.objects.filter(action="aggregates.save_values").order_by("pk"))
    assert [(r.before, r.after) for r in rows] == [
        ({"OUT_SURVEYED": None}, {"OUT_SURVEYED": "40"}),
        (
            {"OUT_SURVEYED": "40", "OUT_SATISFIED": None},
            {"OUT_SURVEYED": "42", "OUT_SATISFIED": "36"},
        ),
        ({"OUT_SATISFIED": "36"}, {"OUT_SATISFIED": None}),
    ]
    assert rows[0].node_path == t.TA1.path


def test_bad_values_are_all_listed_and_nothing_is_saved(personas, sat):
    t = personas.tree
    with pytest.raises(ValidationFailed) as exc:
        actions.do_save_values(
            personas.clerk,
            sat,
            t.TA1,
            "2025Q1",
            {"OUT_SURVEYED": "-1", "OUT_SATISFIED": "1.5", "IN_SURVEYED": "12", "NOPE": "1"},
        )
    assert {p.field for p in exc.value.problems} == {"OUT_SURVEYED", "OUT_SATISFIED", "NOPE"}
    assert "负数" in str(exc.value)
    assert not DataValue.objects.exists()


def test_a_period_of_the_wrong_type_or_a_unit_of_another_kind_is_refused(personas, sat):
    t = personas.tree
    with pytest.raises(UserError, match="不是数据集「满意度调查」的报告期"):
        actions.do_save_values(personas.clerk, sat, t.TA1, "2025-03", {"OUT_SURVEYED": "1"})
    with pytest.raises(UserError, match="不填报数据集"):
        actions.do_save_values(personas.clerk, sat, t.VA1, "2025Q1", {"OUT_SURVEYED": "1"})


def test_a_unit_outside_the_users_scope_is_refused_in_chinese(personas, sat, edu):
    t = personas.tree
    with pytest.raises(PermissionDenied, match="不在您可以填报的机构范围内"):
        actions.do_save_values(personas.clerk, sat, t.TA2, "2025Q1", {"OUT_SURVEYED": "1"})
    with pytest.raises(PermissionDenied):
        actions.do_save_values(
            personas.county_reviewer, sat, t.TA1, "2025Q1", {"OUT_SURVEYED": "1"}
        )
    # a township centre fills its village clinics' forms
    actions.do_save_values(personas.clerk, edu, t.VA1, "2025Q1", {"LECTURES": "2"})
    assert DataValue.objects.filter(node=t.VA1).count() == 1


def test_high_importance_violations_block_completion_unless_a_reason_is_given(personas, sat):
    t = personas.tree
    actions.do_save_values(
        personas.clerk, sat, t.TA1, "2025Q1", {"OUT_SURVEYED": "40", "OUT_SATISFIED": "41"}
    )
    checks = queries.form_checks(sat, t.TA1, "2025Q1")
    assert [v["code"] for v in checks.high] == ["OUT_SATISFIED_WITHIN"]
    with pytest.raises(ValidationFailed, match="门诊满意人数多于门诊调查人数"):
        actions.do_complete(personas.clerk, sat, t.TA1, "2025Q1")
    report = actions.do_complete(personas.clerk, sat, t.TA1, "2025Q1", reason="含复诊患者")
    assert report.completed_at and report.completion_reason == "含复诊患者"
    event = AuditEvent.objects.get(action="aggregates.complete")
    assert event.reason == "含复诊患者" and event.after["violations"] == ["OUT_SATISFIED_WITHIN"]


def test_an_approved_form_is_locked_until_the_county_unlocks_it_with_a_reason(personas, sat):
    t = personas.tree
    actions.do_save_values(personas.clerk, sat, t.TA1, "2025Q1", {"OUT_SURVEYED": "40"})
    report = Report.objects.get(node=t.TA1)
    with pytest.raises(UserError, match="只有已完成"):
        actions.do_approve(personas.county_reviewer, report)
    actions.do_complete(personas.clerk, sat, t.TA1, "2025Q1")
    with pytest.raises(PermissionDenied):
        actions.do_approve(personas.clerk, report)
    actions.do_approve(personas.county_reviewer, report)
    with pytest.raises(UserError, match="已审核锁定"):
        actions.do_save_values(personas.clerk, sat, t.TA1, "2025Q1", {"OUT_SURVEYED": "41"})
    with pytest.raises(UserError, match="解锁理由"):
        actions.do_unlock(personas.county_reviewer, report, "")
    actions.do_unlock(personas.county_reviewer, report, "调查人数录入错误")
    actions.do_save_values(personas.clerk, sat, t.TA1, "2025Q1", {"OUT_SURVEYED": "41"})
    assert queries.form_values(sat, t.TA1, "2025Q1") == {"OUT_SURVEYED": "41"}
    assert list(
        AuditEvent.objects.filter(object_type="aggregates.report")
        .values_list("action", flat=True)
        .order_by("pk")
    ) == [
        "aggregates.save_values",
        "aggregates.complete",
        "aggregates.approve",
        "aggregates.unlock",
        "aggregates.save_values",
    ]


def test_a_reviewer_cannot_approve_the_institution_they_work_at(personas, sat):
    t = personas.tree
    report = Report.objects.create(dataset=sat, node=t.TA2, period="2025Q1")
    with pytest.raises(PermissionDenied, match="不能审核"):
        actions.do_approve(personas.county_reviewer, report)
