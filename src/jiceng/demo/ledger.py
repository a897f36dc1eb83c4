"""Demo stage "ledger": a rectification ledger with entries in every state.

Supervision visits (督导检查, 专项检查, 回头看) to the county (``region.county``; every
county of the region in turn) over the past two and a half months put findings on the
ledger; entries that the "cycle" stage opened from review grades (if it ran) are moved
along too. The result has open, overdue, reported-fixed, sent-back and closed (销号)
entries, dated relative to ``region.today``: overdue entries are days or weeks late, and
last year's review entries are closed but for a few whose extended deadline just passed.
"""

from __future__ import annotations

import datetime as dt
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from jiceng.demo.region import Region
from jiceng.orgs.models import Node
from jiceng.rectification.actions import (
    FindingInput,
    do_extend_deadline,
    do_record_visit,
    do_report_fixed,
    do_send_back,
    do_verify_close,
)
from jiceng.rectification.models import EntryEvent, EventKind, LedgerEntry, Status

PROBLEMS = [
    "慢性病患者随访记录不完整，部分高血压患者未按季度随访",
    "药房药品效期管理不规范，近效期药品未标识",
    "消毒记录缺失，医疗废物交接登记不全",
    "家庭医生签约服务履约记录不完整",
    "居民健康档案更新不及时，档案动态使用率偏低",
    "急救药品和设备未定期检查，除颤仪未按要求充电",
    "中医药适宜技术开展项目少于6类",
    "0-6岁儿童健康管理随访不及时",
    "门诊日志登记项目不全，传染病报告登记不规范",
    "收费标准和服务项目未公示上墙",
    "病历书写不规范，存在复制粘贴现象",
    "孕产妇系统管理建册率偏低",
    "应急预案未组织演练，演练记录缺失",
    "处方点评未按月开展",
]
MEASURES = [
    "已组织专项培训，补齐相关记录，明确专人负责并每月自查",
    "已制定整改方案，完善管理制度，整改情况已在院周会通报",
    "已完成补录和核对，建立台账，纳入月度绩效考核",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林"
GIVEN = ["建国", "丽华", "志强", "秀英", "海燕", "国庆", "晓明", "春梅", "文杰", "桂兰"]
# (days ago, kind, team, number of findings, deadline in days after the visit): the first
# two visits' deadlines fall 5-25 days before today, the last two's after it.
VISITS = [
    (75, "supervision", "县卫健委基层卫生股督导组（组长：{lead}）", 6, 60),
    (50, "special", "县卫健委医政股专项检查组（药事管理与院感）", 5, 35),
    (30, "supervision", "县卫健委督导组（组长：{lead}）及县医共体专家", 6, 45),
    (12, "lookback", "县卫健委“回头看”工作组", 4, 60),
]
LOGIN_VISITS = (75, 30)
LATE_DAYS = 45  # no entry left open is more than this many days overdue  # the visits that always include the demo logins' institutions
# Minimal valid PDF, as evidence of a fix.
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _evidence(rng: random.Random, n: int) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"整改佐证材料{i + 1}.pdf", PDF) for i in range(n)]


def _clerk_for(region: Region, inst: Node):
    for user in region.users.values():
        if user.role == "institution_staff" and user.node_id == inst.pk:
            return user
    return None


@transaction.atomic
def populate(region: Region, rng: random.Random) -> None:
    reviewer = region.users.get("county_reviewer")
    today = region.today
    grassroots = [n for n in region.institutions if n.kind in ("township_hc", "community_hc")]
    villages = [n for n in region.institutions if n not in grassroots]
    # The institutions with demo logins always get entries, so every login sees some.
    logins = [u.node for u in region.users.values() if u.role == "institution_staff"]
    for days_ago, kind, team, n, days in VISITS:
        visited_on = today - dt.timedelta(days=days_ago)
        pool = grassroots + rng.sample(villages, min(len(villages), 6))
        first = logins if days_ago in LOGIN_VISITS else []
        chosen = list(dict.fromkeys(first + rng.sample(pool, n)))
        findings = [
            FindingInput(
                institution=inst,
                description=rng.choice(PROBLEMS),
                deadline=visited_on + dt.timedelta(days=days + rng.randint(-10, 10)),
                responsible=_person(rng) if rng.random() < 0.8 else "",
            )
            for inst in chosen
        ]
        do_record_visit(
            reviewer,
            region.county,
            visited_on=visited_on,
            kind=kind,
            team=team.format(lead=_person(rng)),
            notes="现场查看、查阅资料、访谈医务人员和群众。",
            findings=findings,
        )
    _date_earlier_cycles(region)
    entries = list(
        LedgerEntry.objects.filter(institution__path__startswith=region.county.path)
        .select_related("institution", "submission__cycle")
        .order_by("pk")
    )
    latest = max((e.submission.cycle.year for e in entries if e.submission_id), default=0)
    long_ago = today - dt.timedelta(days=LATE_DAYS)
    for entry in entries:
        # an earlier cycle's entries, and any whose deadline is long past (a look-back's in
        # the spring), are dealt with but for a few: overdue means days or weeks here
        earlier = (
            entry.submission_id and entry.submission.cycle.year < latest
        ) or entry.deadline < long_ago
        _advance(region, reviewer, entry, rng, today, earlier=bool(earlier))


def _date_earlier_cycles(region: Region) -> None:
    """Entries of an earlier year's cycle were found at that year's county review (the demo
    builds every cycle today): date them to that autumn."""
    entries = LedgerEntry.objects.filter(
        institution__path__startswith=region.county.path, submission__isnull=False
    ).select_related("submission__cycle")
    years = sorted({e.submission.cycle.year for e in entries})
    for year in years[:-1]:
        found, due = dt.date(year, 8, 20), dt.date(year, 10, 31)
        old = LedgerEntry.objects.filter(
            pk__in=[e.pk for e in entries if e.submission.cycle.year == year]
        )
        old.update(opened_on=found, deadline=due)
        at = timezone.make_aware(dt.datetime.combine(found, dt.time(10, 0)))
        EntryEvent.objects.filter(entry__in=old, kind=EventKind.OPENED).update(at=at)


def _advance(
    region: Region,
    reviewer,
    entry: LedgerEntry,
    rng: random.Random,
    today: dt.date,
    earlier: bool = False,
) -> None:
    """Move one entry along: about a third closed, a quarter reported fixed, the rest open
    (an earlier year's entry: closed, but for a few whose deadline was extended once and
    has passed again a few weeks ago)."""
    roll = rng.random()
    if earlier and entry.status == Status.OPEN:
        if roll < 0.04:
            new = today - dt.timedelta(days=rng.randint(5, 40))
            entry = do_extend_deadline(
                reviewer, entry, deadline=new, reason="涉及设备采购和人员招聘，经申请同意延期"
            )
            at = timezone.make_aware(dt.datetime.combine(new - dt.timedelta(days=60), dt.time(9)))
            EntryEvent.objects.filter(entry=entry, kind=EventKind.DEADLINE_EXTENDED).update(at=at)
            return
        roll = 0.8  # reported and closed
    if roll < 0.4 or entry.status != Status.OPEN:
        if roll < 0.08 and entry.deadline < today:
            do_extend_deadline(
                reviewer,
                entry,
                deadline=today + dt.timedelta(days=rng.randint(10, 30)),
                reason="涉及设备采购，经申请同意延期",
            )
        return
    clerk = _clerk_for(region, entry.institution)
    entry = do_report_fixed(
        clerk,
        entry,
        measures=rng.choice(MEASURES),
        responsible=entry.responsible or _person(rng),
        files=_evidence(rng, rng.randint(1, 2)),
    )
    if roll < 0.5:
        do_send_back(reviewer, entry, reason="佐证材料不足，未见整改前后对比照片，请补充")
        return
    if roll < 0.75:
        return
    do_verify_close(reviewer, entry, note="经现场核实，整改到位，同意销号")
