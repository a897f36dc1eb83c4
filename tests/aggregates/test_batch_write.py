"""A county's batch written in bulk: new, changed and emptied values, reports and audit rows."""

from jiceng.aggregates.batch import Row, save_rows
from jiceng.aggregates.models import DataValue, Report
from jiceng.core import audit

from .helpers import load_sample


def test_a_second_batch_changes_empties_and_adds_values_with_one_audit_row_per_form(personas):
    t = personas.tree
    version = load_sample("satisfaction", t.P)
    actor = personas.county_admin
    first = [
        Row(2, t.TA1.code, "2025Q1", "OUT_SURVEYED", "", "040"),  # stored as 40
        Row(3, t.TA1.code, "2025Q1", "OUT_SATISFIED", "", "30"),
        Row(4, t.TA2.code, "2025Q1", "OUT_SURVEYED", "", "50"),
    ]
    assert save_rows(actor, "SATISFACTION", first)["forms"] == 2
    report = Report.objects.get(dataset=version, node=t.TA1, period="2025Q1")
    (event,) = audit.trail_for(report)  # the report's own id names its audit row
    assert (event.before, event.after) == (
        {"OUT_SURVEYED": None, "OUT_SATISFIED": None},
        {"OUT_SURVEYED": "40", "OUT_SATISFIED": "30"},
    )
    second = [
        Row(2, t.TA1.code, "2025Q1", "OUT_SURVEYED", "", "41"),  # changed
        Row(3, t.TA1.code, "2025Q1", "OUT_SATISFIED", "", ""),  # emptied: removed
        Row(4, t.TA1.code, "2025Q1", "IN_SURVEYED", "", "7"),  # new
        Row(5, t.TA2.code, "2025Q1", "OUT_SURVEYED", "", "050"),  # the same 50: no change
    ]
    done = save_rows(actor, "SATISFACTION", second)
    assert (done["values"], done["forms"], done["rejected"]) == (4, 2, 0)
    values = {
        (v.node_id, v.element): (v.value, v.number, v.updated_by_id)
        for v in DataValue.objects.filter(dataset=version)
    }
    assert values == {
        (t.TA1.pk, "OUT_SURVEYED"): ("41", 41, actor.pk),
        (t.TA1.pk, "IN_SURVEYED"): ("7", 7, actor.pk),
        (t.TA2.pk, "OUT_SURVEYED"): ("50", 50, actor.pk),
    }
    latest = audit.trail_for(report).first()
    assert (latest.before, latest.after) == (
        {"OUT_SURVEYED": "40", "OUT_SATISFIED": "30", "IN_SURVEYED": None},
        {"OUT_SURVEYED": "41", "OUT_SATISFIED": None, "IN_SURVEYED": "7"},
    )
    unchanged = Report.objects.get(dataset=version, node=t.TA2, period="2025Q1")
    assert audit.trail_for(unchanged).count() == 1  # 50 again: no second audit row
