"""The audit trail reads as people speak: Chinese actions, fields and values, local times,
display names, links to the objects, and filters by person, object type, action and date."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import strip_tags

from jiceng.core import audit
from jiceng.core.models import AuditEvent
from jiceng.rectification.actions import do_open_entry, do_report_fixed, do_verify_close

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
RAW = re.compile(r"\b(rectification|assessments|orgs|accounts|indicators|standards)\.[a-z_]+")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def closed_entry(personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    personas.county_reviewer.display_name = "李审核"
    personas.county_reviewer.save()
    entry = do_open_entry(
        personas.county_reviewer,
        personas.tree.TA1,
        source="other",
        description="药房温湿度记录不全",
        responsible="王医生",
        deadline=timezone.localdate() + dt.timedelta(days=10),
    )
    entry = do_report_fixed(
        personas.clerk, entry, measures="补齐记录", files=[SimpleUploadedFile("记录.pdf", PDF)]
    )
    return do_verify_close(personas.county_reviewer, entry, note="已核实")


def _text(response) -> str:
    return re.sub(r"\s+", " ", strip_tags(response.content.decode()))


def _table(response, testid: str) -> str:
    html = response.content.decode()
    start = html.index(f'data-testid="{testid}"')
    return re.sub(r"\s+", " ", strip_tags(html[start : html.index("</table>", start)]))


def test_the_trail_shows_a_verify_close_in_chinese_local_time_and_display_name(
    closed_entry, personas, client_for, settings
):
    settings.TIME_ZONE = "Asia/Shanghai"
    event = AuditEvent.objects.get(action="rectification.verify_close")
    local = timezone.localtime(event.at, zoneinfo.ZoneInfo("Asia/Shanghai"))
    response = client_for(personas.county_admin).get("/audit/")
    table = _table(response, "audit-events")
    assert "核验销号" in table
    assert "整改事项" in table
    assert "李审核" in table and "reviewer_a" not in table
    assert local.strftime("%Y-%m-%d %H:%M:%S") in table
    assert not RAW.search(table), RAW.search(table)
    html = response.content.decode()
    assert f'href="/rectification/{closed_entry.pk}/"' in html
    assert 'title="reviewer_a"' in html


def test_the_object_trail_shows_chinese_fields_and_values_as_users_see_them(
    closed_entry, personas, client_for, settings
):
    settings.TIME_ZONE = "Asia/Shanghai"
    response = client_for(personas.county_admin).get(
        f"/audit/rectification.ledgerentry/{closed_entry.pk}/"
    )
    assert response.status_code == 200
    text = _text(response)
    verify = _text_of_event(response, "rectification.verify_close")
    assert "核验销号" in verify
    assert "核验人" in verify and "李审核" in verify
    assert "状态" in verify and "已销号" in verify and "待核验" in verify
    for raw in ("verified_by_id", "reported_fixed", "verify_close", "closed_at", "+00:00"):
        assert raw not in text
    local = timezone.localtime(closed_entry.closed_at, zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert local.strftime("%Y-%m-%d %H:%M:%S") in verify
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d", text), "microseconds shown"
    assert "整改事项" in text  # the object type, in words


def _text_of_event(response, action: str) -> str:
    html = response.content.decode()
    event = AuditEvent.objects.filter(action=action).latest("id")
    start = html.index(f'data-event="{event.pk}"')
    return re.sub(r"\s+", " ", strip_tags(html[start : html.index("</section>", start)]))


def test_times_follow_the_configured_time_zone(closed_entry, personas, client_for, settings):
    settings.TIME_ZONE = "Europe/London"
    event = AuditEvent.objects.get(action="rectification.verify_close")
    london = timezone.localtime(event.at, zoneinfo.ZoneInfo("Europe/London"))
    table = _table(client_for(personas.county_admin).get("/audit/"), "audit-events")
    assert london.strftime("%Y-%m-%d %H:%M:%S") in table


def test_the_filters_are_chinese_selects_not_typed_codes(closed_entry, personas, client_for):
    response = client_for(personas.county_admin).get("/audit/")
    form = response.context["form"]
    actions = {
        code: label
        for _group, options in form.fields["action"].choices[1:]
        for code, label in options
    }
    assert actions["rectification.verify_close"] == "核验销号"
    types = dict(form.fields["type"].choices)
    assert types["orgs.node"] == "组织机构"
    assert types["rectification.ledgerentry"] == "整改事项"
    people = {str(v): str(label) for v, label in form.fields["actor"].choices}
    assert people[str(personas.county_reviewer.pk)].startswith("李审核")
    # users of another county are not offered to a county administrator
    assert str(personas.county_reviewer_b.pk) not in people
    html = response.content.decode()
    assert '<select name="action"' in html and '<select name="type"' in html
    assert '<select name="actor"' in html


def test_filters_by_person_type_action_and_local_dates(closed_entry, personas, client_for):
    client = client_for(personas.county_admin)

    def actions(**params) -> set[str]:
        return {e.action for e in client.get("/audit/", params).context["page"].object_list}

    assert actions(actor=personas.clerk.pk) == {"rectification.report_fixed"}
    assert actions(actor=personas.county_reviewer.pk) == {
        "rectification.open_entry",
        "rectification.verify_close",
    }
    assert actions(type="rectification.ledgerentry") == {
        "rectification.open_entry",
        "rectification.report_fixed",
        "rectification.verify_close",
    }
    assert actions(action="rectification.verify_close") == {"rectification.verify_close"}
    today = timezone.localdate()
    assert "rectification.verify_close" in actions(date_from=today, date_to=today)
    assert actions(date_to=today - dt.timedelta(days=1)) == set()


def test_the_date_filter_uses_local_days_not_utc_days(personas, client_for, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    event = audit.record(personas.county_admin, "orgs.update_node", personas.tree.TA1)
    # 2026-03-01 23:30 UTC is 2026-03-02 07:30 in Shanghai
    AuditEvent.objects.filter(pk=event.pk).update(at=dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC))
    client = client_for(personas.county_admin)

    def ids(**params) -> set[int]:
        return {e.pk for e in client.get("/audit/", params).context["page"].object_list}

    assert event.pk in ids(date_from="2026-03-02", date_to="2026-03-02")
    assert event.pk not in ids(date_from="2026-03-01", date_to="2026-03-01")


def test_an_unknown_action_or_type_in_the_query_is_a_form_error(personas, client_for):
    response = client_for(personas.county_admin).get("/audit/", {"action": "orgs.nonsense"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert response.context["form"].errors


def test_the_api_gives_labels_beside_the_codes(closed_entry, personas, client_for):
    response = client_for(personas.county_admin).get(
        "/api/v1/audit", {"action": "rectification.verify_close"}
    )
    assert response.status_code == 200
    item = response.json()["items"][0]
    assert item["action"] == "rectification.verify_close"
    assert item["action_label"] == "核验销号"
    assert item["object_type_label"] == "整改事项"
    assert item["actor"] == "reviewer_a" and item["actor_display"] == "李审核"


def _pages_with(personas, client_for, entries: int) -> tuple[int, int]:
    from jiceng.rectification.actions import do_open_entry

    for n in range(entries):
        do_open_entry(
            personas.county_reviewer,
            personas.tree.TA1 if n % 2 else personas.tree.CA1,
            source="other",
            description=f"问题{n}",
            responsible="王医生",
            deadline=timezone.localdate() + dt.timedelta(days=10),
        )
        node = personas.tree.TA1 if n % 2 else personas.tree.VA1
        audit.record(
            personas.county_admin,
            "orgs.update_node",
            node,
            before=audit.snapshot(node),
            after=audit.snapshot(node),
        )
    client = client_for(personas.county_admin)
    counts = []
    for url in (
        "/audit/?type=rectification.ledgerentry",
        f"/audit/orgs.node/{personas.tree.TA1.pk}/?all=1",
    ):
        client.get(url)  # warm caches (session, content types)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    return counts[0], counts[1]


def test_the_query_count_does_not_grow_with_the_rows(personas, client_for):
    small = _pages_with(personas, client_for, 2)
    large = _pages_with(personas, client_for, 30)
    assert small == large


def test_the_link_from_a_unit_page_says_it_shows_one_object(personas, client_for):
    node = personas.tree.TA1
    response = client_for(personas.county_admin).get(
        "/audit/", {"type": "orgs.node", "id": node.pk}
    )
    assert {e.object_id for e in response.context["page"].object_list} == {str(node.pk)}
    text = _text(response)
    assert "只显示一个对象的记录" in text
    assert f'href="/audit/orgs.node/{node.pk}/"' in response.content.decode()


def test_in_english_the_trail_reads_in_english(closed_entry, personas, client_for):
    client = client_for(personas.county_admin)
    client.post("/i18n/setlang/", {"language": "en", "next": "/audit/"})
    table = _table(client.get("/audit/"), "audit-events")
    assert "Verify and close" in table and "核验销号" not in table
    assert not RAW.search(table)
