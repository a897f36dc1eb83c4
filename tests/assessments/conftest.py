"""Fixtures of the evaluation cycle: a tiny catalog for every grassroots kind and a cycle.

The catalog ``mini`` has 5 basic items (1.1.1 core; 1.1.3 may be NA) and 3 recommended
items (2.1.1 core); both thresholds are 0.80, so basic needs 4 of 5 and recommended 3 of 3.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from snapshot import Snapshot

MINI = """
code: mini
version: "1"
title: 测试标准
institution_kinds: [township_hc, community_hc, village_clinic, community_station]
scale:
  - {grade: A, label: 优秀, meets: true}
  - {grade: B, label: 良好, meets: true}
  - {grade: C, label: 合格, meets: true}
  - {grade: D, label: 不合格, meets: false}
basic_threshold: 0.80
recommended_threshold: 0.80
chapters:
  - code: "1"
    title: 功能任务与资源配置
    sections:
      - code: "1.1"
        title: 功能任务
        items:
          - {code: "1.1.1", tier: basic, core: true, text: 功能定位明确}
          - {code: "1.1.2", tier: basic, text: 承担公共卫生管理}
          - {code: "1.1.3", tier: basic, na_allowed: true, text: 设置住院床位}
      - code: "1.2"
        title: 人员配备
        items:
          - {code: "1.2.1", tier: basic, text: 全科医生不少于3名}
          - {code: "1.2.2", tier: basic, text: 配备公共卫生医师}
  - code: "2"
    title: 基本医疗和公共卫生服务
    sections:
      - code: "2.1"
        title: 医疗服务
        items:
          - {code: "2.1.1", tier: recommended, core: true, text: 开展二级手术}
          - {code: "2.1.2", tier: recommended, text: 开展远程会诊}
          - {code: "2.1.3", tier: recommended, text: 设置康复科}
"""
CODES = ["1.1.1", "1.1.2", "1.1.3", "1.2.1", "1.2.2", "2.1.1", "2.1.2", "2.1.3"]
TODAY = dt.date(2025, 6, 1)


def load_mini():
    from jiceng.standards.actions import do_load_catalog
    from jiceng.standards.catalog import parse_catalog

    return do_load_catalog(None, parse_catalog(MINI, "mini.yaml"), MINI, "mini.yaml")


def open_cycle(region, year=2025, **kw):
    from jiceng.assessments.actions import do_open_cycle

    kw.setdefault("self_deadline", dt.date(year, 6, 30))
    kw.setdefault("county_deadline", dt.date(year, 8, 31))
    kw.setdefault("recheck_deadline", dt.date(year, 10, 31))
    return do_open_cycle(None, region, year, **kw)


def all_grades(grade="A", **overrides):
    """Every item graded ``grade``; ``overrides`` by code with dots as underscores."""
    out = dict.fromkeys(CODES, grade)
    for key, value in overrides.items():
        out[key.replace("_", ".")] = value
    return out


def fresh(sub):
    from jiceng.assessments.models import Submission

    return Submission.objects.get(pk=sub.pk)


def build_cycle(p, t):
    from jiceng.assessments.models import Submission

    catalog = load_mini()
    cycle = open_cycle(t.A)
    ns = SimpleNamespace(p=p, t=t, catalog=catalog, cycle=cycle)
    ns.sub = Submission.objects.get(cycle=cycle, institution=t.TA1)
    return ns


_CYCLE = Snapshot(build_cycle)


@pytest.fixture
def cyc(personas):
    """County A's 2025 cycle with the mini catalog, and TA1's submission."""
    return _CYCLE.load(p=personas, t=personas.tree)


def submit(p, sub, grades=None):
    from jiceng.assessments.actions import do_save_grades, do_submit

    sub = do_save_grades(
        p.clerk, fresh(sub), "self", grades or all_grades("A"), version=fresh(sub).version
    )
    return do_submit(p.clerk, sub, version=sub.version)


def county_pass(p, sub, grades=None):
    from jiceng.assessments.actions import do_pass_county, do_save_grades

    sub = fresh(sub)
    sub = do_save_grades(
        p.county_reviewer, sub, "county", grades or all_grades("B"), version=sub.version
    )
    return do_pass_county(p.county_reviewer, sub, version=sub.version)
