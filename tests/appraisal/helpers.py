"""A small hand-worked scheme and its appraisal of county A (tests/conftest.py's tree).

Units (township and community centres of A) and their 2025 residents, from the tree's
villages and stations: TA1 = VA1 1200 + VA2 900 = 2100, TA2 = VA3 1500, CA1 = SA1 3000.
"""

from __future__ import annotations

import datetime as dt

from jiceng.appraisal import actions, engine

SCHEME = """\
code: T
version: "1"
title: 测试考核
year: 2025
unit_kinds: [township_hc, community_hc]
peer_group: all
grades:
  - {label: 优秀, min: 90}
  - {label: 合格, min: 60}
  - {label: 不合格}
fund: {pool: 10000, rule: score_population}
modules:
  - code: M
    name: 模块
    items:
      - {code: A, name: 现场核查, points: 10, source: manual, rule: manual}
      - {code: B, name: 逾期未整改, points: 10, source: ledger_overdue, rule: {deduct: {per: 2}}}
      - {code: C, name: 不良执业, points: 10, source: bad_practice, rule: {deduct: {per: 1}}}
      - {code: D, name: 满意率, points: 10, source: "satisfaction:PUBLIC_HEALTH",
         rule: {linear: {floor: 80, target: 95}}, missing: exempt}
"""


def load_scheme(owner, text: str = SCHEME, name: str = "t.yaml"):
    scheme, source, stored = engine.read_scheme(text.encode(), name)
    return actions.do_load_scheme(None, scheme, source, stored, owner=owner)


def worked_appraisal(personas):
    """The appraisal of A in 2025 with the hand-worked inputs:

    - manual A: TA1 8, TA2 10, CA1 none (0 points, 无数据);
    - no ledger entries: 0 overdue, B earns 10 everywhere;
    - bad practice: TA2 3 points in 2025, so C = 10 − 1 × 3 = 7; others 10;
    - D (satisfaction) has no data and is exempt: left out, 30 points remain.

    Scores: TA1 (8+10+10)/30 = 93.33 优秀 rank 1; TA2 27/30 = 90.00 优秀 rank 2;
    CA1 20/30 = 66.67 合格 rank 3.
    """
    t = personas.tree
    version = load_scheme(t.P)
    appraisal = actions.do_open_appraisal(personas.county_admin, version, t.A, 2025)
    actions.do_enter_manual(
        personas.county_admin, appraisal, t.TA1, {"A": ("8", "制度齐全", "现场核查记录 1 号")}
    )
    actions.do_enter_manual(
        personas.county_admin, appraisal, t.TA2, {"A": ("10", "全部达标", "现场核查记录 2 号")}
    )
    actions.do_record_bad_practice(
        personas.city_reviewer,
        t.TA2,
        dt.date(2025, 5, 6),
        "超范围执业",
        "3",
        "监督意见书 2025-17",
    )
    return appraisal
