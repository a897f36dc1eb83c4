"""Aggregate data entry in a real browser: the clerk fills a form (saved as typed), sees the
violation, completes with a reason; the county approves (the form is locked) and unlocks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _load_satisfaction(owner):
    from jiceng.aggregates.actions import do_load_dataset
    from jiceng.datasets.definition import load_dataset_file, sample_dataset_paths

    path = next(p for p in sample_dataset_paths() if p.stem == "satisfaction")
    text = path.read_text(encoding="utf-8")
    return do_load_dataset(None, load_dataset_file(path), text, path.name, owner=owner)


def test_fill_violate_complete_with_reason_approve_unlock(personas, login):
    from jiceng.aggregates.models import Report

    t = personas.tree
    sat = _load_satisfaction(t.P)
    url = f"/data/form/{sat.pk}/{t.TA1.code}/2025Q1/"
    clerk = login(None, "clerk_ta1")
    clerk.goto(url)
    clerk.fill("input[name='v-OUT_SURVEYED']", "40")
    clerk.fill("input[name='v-OUT_SATISFIED']", "41")
    clerk.locator("input[name='v-IN_SURVEYED']").focus()  # leaving the cell saves the form
    expect(clerk.get_by_test_id("violations")).to_contain_text("门诊满意人数多于门诊调查人数")
    clerk.reload()  # the violation is known to the page: a reason is asked for
    clerk.get_by_test_id("complete").click()
    expect(clerk.locator(".messages, [role=alert]").first).to_contain_text("理由")
    clerk.fill("#reason", "含复诊患者，已核实")
    clerk.get_by_test_id("complete").click()
    expect(clerk.get_by_test_id("state")).to_contain_text("已完成")

    reviewer = login(None, "reviewer_a")
    reviewer.goto(url)
    reviewer.get_by_test_id("approve").click()
    expect(reviewer.get_by_test_id("state")).to_contain_text("已审核锁定")
    clerk.goto(url)
    expect(clerk.locator("input[name='v-OUT_SURVEYED']")).to_be_disabled()
    reviewer.fill("#unlock-reason", "满意人数录入错误")
    reviewer.get_by_test_id("unlock").click()
    expect(reviewer.get_by_test_id("state")).to_contain_text("已完成")
    clerk.goto(url)
    expect(clerk.locator("input[name='v-OUT_SURVEYED']")).to_be_enabled()
    report = Report.objects.get(node=t.TA1)
    assert not report.locked and report.unlock_reason == "满意人数录入错误"
