"""Refusals with many problems give ONE message: a count, the items in a collapsible block,
the items highlighted in the form, and never an internal field name (issue 8, defect 3)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from jiceng.assessments.models import Stage, Submission

from .conftest import CODES, fresh, submit

pytestmark = pytest.mark.django_db

INTERNAL = re.compile(r"字段|\bgrades\b|\bevidence\b|\bitem_code\b|\bfield\b")


class _Messages(HTMLParser):
    """The messages area: each top-level message's text, and the text of its <details>."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # depth inside <ul class="messages">
        self.items: list[dict] = []
        self.in_details = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.depth == 0 and tag == "ul" and "messages" in (a.get("class") or "").split():
            self.depth = 1
            return
        if self.depth:
            if tag == "ul":
                self.depth += 1
            if tag == "li" and self.depth == 1:
                self.items.append({"class": a.get("class", ""), "text": "", "details": ""})
            if tag == "details":
                self.in_details += 1

    def handle_endtag(self, tag):
        if self.depth:
            if tag == "ul":
                self.depth -= 1
            if tag == "details":
                self.in_details -= 1

    def handle_data(self, data):
        if self.depth and self.items:
            self.items[-1]["text"] += data
            if self.in_details:
                self.items[-1]["details"] += data


def messages_of(page: str) -> list[dict]:
    parser = _Messages()
    parser.feed(page)
    return parser.items


def errors_of(page: str) -> list[dict]:
    return [m for m in messages_of(page) if "error" in m["class"].split()]


def row_classes(page: str, code: str) -> list[str]:
    m = re.search(rf'<tr id="item-{re.escape(code)}"[^>]*class="([^"]*)"', page)
    return m.group(1).split() if m else []


def grade_post(sub, grades, step):
    data = {f"g-{k}": v for k, v in grades.items()}
    data.update(version=str(fresh(sub).version), step=step)
    return data


def test_submitting_an_incomplete_self_assessment_gives_one_message_listing_the_items(
    cyc, client_for
):
    client = client_for(cyc.p.clerk)
    r = client.post(
        f"/evaluation/s/{cyc.sub.pk}/", grade_post(cyc.sub, {"1.1.1": "A"}, "submit"), follow=True
    )
    page = r.content.decode()
    errors = errors_of(page)
    assert len(errors) == 1, errors
    assert "尚有 7 个条款未评分" in errors[0]["text"]
    for code in CODES[1:]:
        assert code in errors[0]["details"]
        assert "flagged" in row_classes(page, code)
    assert "flagged" not in row_classes(page, "1.1.1")
    assert "<details" in page and 'href="#item-2.1.3"' in page
    assert not INTERNAL.search(errors[0]["text"])
    assert "字段" not in page
    assert fresh(cyc.sub).stage == Stage.DRAFT


def test_the_highlight_is_shown_once_and_not_on_the_next_visit(cyc, client_for):
    client = client_for(cyc.p.clerk)
    client.post(f"/evaluation/s/{cyc.sub.pk}/", grade_post(cyc.sub, {"1.1.1": "A"}, "submit"))
    assert "flagged" in row_classes(
        client.get(f"/evaluation/s/{cyc.sub.pk}/").content.decode(), "2.1.3"
    )
    again = client.get(f"/evaluation/s/{cyc.sub.pk}/").content.decode()
    assert "flagged" not in row_classes(again, "2.1.3") and not errors_of(again)


def test_a_reviewer_passing_an_incomplete_review_gets_one_message_listing_the_items(
    cyc, client_for
):
    sub = submit(cyc.p, cyc.sub)
    client = client_for(cyc.p.county_reviewer)
    r = client.post(
        f"/evaluation/s/{sub.pk}/",
        grade_post(sub, {"1.1.1": "B", "1.1.2": "B"}, "pass"),
        follow=True,
    )
    page = r.content.decode()
    errors = errors_of(page)
    assert len(errors) == 1, errors
    assert "尚有 6 个条款未评分" in errors[0]["text"]
    assert all(code in errors[0]["details"] for code in CODES[2:])
    assert "flagged" in row_classes(page, "2.1.3")
    assert "字段" not in page
    assert fresh(sub).stage == Stage.SUBMITTED


def test_a_bad_grade_shows_one_block_without_field_names(cyc, client_for):
    client = client_for(cyc.p.clerk)
    r = client.post(
        f"/evaluation/s/{cyc.sub.pk}/",
        grade_post(cyc.sub, {"1.1.1": "Z", "1.1.2": "Y", "1.2.1": "X"}, "save"),
    )
    page = r.content.decode()
    errors = errors_of(page)
    assert len(errors) == 1, errors
    assert "3" in errors[0]["text"] and "1.2.1" in errors[0]["details"]
    assert "flagged" in row_classes(page, "1.1.2")
    assert "字段" not in page


def test_publishing_an_incomplete_list_gives_one_message_naming_the_institutions(cyc, client_for):
    submit(cyc.p, cyc.sub)
    client = client_for(cyc.p.county_admin)
    r = client.post(
        "/evaluation/publication/publish/",
        {"region": cyc.t.A.code, "year": "2025", "confirmed": "1"},
        follow=True,
    )
    page = r.content.decode()
    errors = errors_of(page)
    assert len(errors) == 1, errors
    n = Submission.objects.filter(cycle=cyc.cycle).count()
    assert f"尚有 {n} 家机构没有最终评定结果" in errors[0]["text"]
    assert cyc.t.TA1.name in errors[0]["details"] and cyc.t.TA2.name in errors[0]["details"]
    assert "字段" not in page
