"""The audit trail's filter by object type offers the appraisal's objects."""

import datetime as dt

from jiceng.appraisal import actions


def test_the_audit_trail_filters_on_bad_practice_records(personas, client_for):
    actions.do_record_bad_practice(
        personas.city_reviewer, personas.tree.TA1, dt.date(2025, 2, 1), "规定", "2", "证据"
    )
    page = client_for(personas.county_admin).get("/audit/?type=appraisal.badpractice")
    text = page.content.decode()
    assert 'value="appraisal.badpractice" selected' in text
    events = text.split('data-testid="audit-events"', 1)[1]
    assert "记录不良执业行为记分" in events
