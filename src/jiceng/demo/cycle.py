"""Demo stage "cycle": last year's published evaluation and this year's cycle in progress.

Loads the sample catalogs, then in the county (``region.county``; every county of the
region in turn):

- last year (``region.years[-2]``): every institution self-assessed, county-reviewed,
  re-checked where the county proposed the recommended standard (and a small sample of
  basic verdicts), and the list published on 20 December; a look-back later withdrew one
  verdict and confirmed another, so verdict histories have something to show;
- this year (``region.years[-1]``): a cycle whose deadlines all lie ahead of
  ``region.today`` (self-assessment in two weeks, county review in six, re-check in ten)
  and institutions at every stage — drafts (the demo clerk's is half filled), submitted,
  returned with a comment, county-passed, awaiting re-check and re-checked.

Grades are drawn from a per-institution "quality"; county grades are a little stricter
than self-grades and re-check grades stricter again, so consistency figures are not
trivial. Deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiceng.assessments import actions as A
from jiceng.assessments.models import Publication, Stage, Submission, VerdictRecord
from jiceng.demo.region import Region
from jiceng.standards.actions import do_load_samples, spec_of
from jiceng.standards.catalog import NA

RETURN_COMMENTS = [
    "1.3 人员配备相关条款自评偏高，请补充执业证书和注册信息后重新自评",
    "部分核心条款缺少佐证材料，请按条款上传制度文件和记录后再提交",
    "2.1 基本医疗服务条款自评与现场查看不符，请核实后修改",
]
FINDINGS = [
    "现场查看发现急救药品有近效期未标识",
    "慢病随访记录抽查10份，3份不完整",
    "院感制度健全，但消毒记录个别日期缺失",
    "家庭医生签约履约记录与系统数据基本一致",
]
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _draw(spec, rng: random.Random, quality: float) -> dict[str, str]:
    """A self-grading: each item meets with probability ``quality`` (core items more)."""
    meet = [g.grade for g in spec.scale if g.meets]
    fail = [g.grade for g in spec.scale if not g.meets]
    out = {}
    for item in spec.items:
        if item.na_allowed and rng.random() < 0.06:
            out[item.code] = NA
            continue
        p = quality if item.tier == "basic" else quality - 0.12  # recommended items are harder
        if item.core:
            p += (1 - p) * 0.85
        out[item.code] = rng.choice(meet) if rng.random() < p else rng.choice(fail)
    return out


def _stricter(spec, rng: random.Random, base: dict[str, str], strictness: float) -> dict[str, str]:
    """Another level's grading of the same institution: mostly the same, a little stricter."""
    meet = [g.grade for g in spec.scale if g.meets]
    fail = [g.grade for g in spec.scale if not g.meets]
    out = {}
    for code, grade in base.items():
        flip = strictness / 4 if spec.item_map[code].core else strictness
        if grade == NA:
            out[code] = NA
        elif spec.meets(grade):
            out[code] = rng.choice(fail) if rng.random() < flip else rng.choice(meet)
        else:
            out[code] = rng.choice(meet) if rng.random() < strictness / 3 else grade
    return out


def _quality(rng: random.Random) -> float:
    r = rng.random()
    if r < 0.3:
        return rng.uniform(0.97, 1.0)
    if r < 0.85:
        return rng.uniform(0.88, 0.95)
    return rng.uniform(0.65, 0.8)


def _save(actor, sub: Submission, level: str, grades: dict[str, str], remarks=None):
    sub = Submission.objects.get(pk=sub.pk)
    return A.do_save_grades(actor, sub, level, grades, remarks or {}, version=sub.version)


def _self_submit(actor, sub, spec, rng, quality):
    grades = _draw(spec, rng, quality)
    sub = _save(actor, sub, "self", grades)
    return A.do_submit(actor, sub, version=sub.version), grades


def _county_pass(reviewer, sub, spec, rng, self_grades, finding=True):
    county = _stricter(spec, rng, self_grades, 0.05)
    fails = [c for c, g in county.items() if g != NA and not spec.meets(g)]
    remarks = {c: "现场核查未达到要求" for c in fails[:3]}
    sub = _save(reviewer, sub, "county", county, remarks)
    text = rng.choice(FINDINGS) if finding else ""
    return A.do_pass_county(reviewer, sub, version=sub.version, finding=text), county


def _recheck(rechecker, sub, spec, rng, county):
    grades = _stricter(spec, rng, county, 0.06)
    sub = _save(rechecker, sub, "recheck", grades)
    return A.do_complete_recheck(rechecker, sub, version=sub.version)


def _actor_for(region: Region, inst, role_key: str):
    """The demo user of that role who may act on ``inst``, or None (system work)."""
    from jiceng.core import scope

    user = region.users.get(role_key)
    if user is None:
        return None
    action = {
        "clerk": scope.Action.SELF_ASSESS,
        "county_reviewer": scope.Action.REVIEW,
        "city_reviewer": scope.Action.RECHECK,
    }[role_key]
    return user if scope.can(user, action, inst) else None


def _clerk_for(region: Region, inst):
    for key in ("clerk", "chc_clerk", "village_clerk"):
        user = region.users.get(key)
        if user is not None and user.home_institution and user.home_institution.pk == inst.pk:
            return user
    return None


def _last_year(region: Region, rng: random.Random, year: int) -> None:
    county = region.county
    cycle = A.do_open_cycle(
        None,
        county,
        year,
        self_deadline=dt.date(year, 6, 30),
        county_deadline=dt.date(year, 8, 31),
        recheck_deadline=dt.date(year, 10, 31),
        validity_years=3,
    )
    reviewer = region.users.get("county_reviewer")
    rechecker = region.users.get("city_reviewer")
    passed_basic = []
    for sub in cycle.submissions.select_related("institution", "catalog").order_by("pk"):
        spec = spec_of(sub.catalog)
        quality = _quality(rng)
        clerk = _clerk_for(region, sub.institution)
        sub, self_grades = _self_submit(clerk, sub, spec, rng, quality)
        actor = reviewer if _actor_for(region, sub.institution, "county_reviewer") else None
        sub, county_grades = _county_pass(actor, sub, spec, rng, self_grades, finding=False)
        if sub.stage == Stage.RECHECK_PENDING:
            _recheck(rechecker, sub, spec, rng, county_grades)
        else:
            passed_basic.append((sub, spec, county_grades))
    sample = rng.sample(passed_basic, k=min(3, len(passed_basic)))
    if sample:
        A.do_select_for_recheck(rechecker, [s for s, _spec, _g in sample])
        for sub, spec, grades in sample:
            _recheck(rechecker, Submission.objects.get(pk=sub.pk), spec, rng, grades)
    admin = region.users.get("admin")
    pub = A.do_publish(admin, county, year, note="公示期7个工作日，如有异议请向县卫健委反映")
    # Back-date what the demo published "last year" (demo data, not an action).
    published = timezone.make_aware(dt.datetime(year, 12, 20, 10, 0))
    valid_from = dt.date(year, 12, 20)
    Publication.objects.filter(pk=pub.pk).update(published_at=published)
    VerdictRecord.objects.filter(publication=pub).update(
        valid_from=valid_from, valid_until=valid_from.replace(year=year + 3)
    )
    cycle.submissions.update(published_at=published)
    # Look-backs: one verdict withdrawn, one confirmed.
    records = list(
        VerdictRecord.objects.filter(publication=pub, verdict__in=["basic", "recommended"])
        .select_related("institution")
        .order_by("institution__path")
    )
    thcs = [r for r in records if r.institution.kind == "township_hc"]
    lookback_by = region.users.get("city_reviewer")
    # look-backs in the spring after publication, but never after today
    first = valid_from + dt.timedelta(days=10)
    withdraw_on = max(min(dt.date(year + 1, 5, 18), region.today - dt.timedelta(days=12)), first)
    confirm_on = max(min(dt.date(year + 1, 5, 20), region.today - dt.timedelta(days=10)), first)
    if len(thcs) >= 2:
        A.do_lookback(
            lookback_by,
            thcs[-1],
            "withdraw",
            "回头看发现：住院床位实际未开放、核心条款“医疗质量安全管理”不再达标，撤销原评价结果",
            date=withdraw_on,
        )
        A.do_lookback(
            lookback_by,
            thcs[0],
            "confirm",
            "回头看：服务能力保持，核心条款均达标，维持原评价结果",
            date=confirm_on,
        )


def _this_year(region: Region, rng: random.Random, year: int) -> None:
    county = region.county
    today = region.today
    cycle = A.do_open_cycle(
        region.users.get("admin"),
        county,
        year,
        self_deadline=today + dt.timedelta(days=14),
        county_deadline=today + dt.timedelta(days=45),
        recheck_deadline=today + dt.timedelta(days=75),
    )
    reviewer = region.users.get("county_reviewer")
    rechecker = region.users.get("city_reviewer")
    subs = list(cycle.submissions.select_related("institution", "catalog").order_by("pk"))
    clerks = {u.home_institution.pk: u for k, u in region.users.items() if k.endswith("clerk")}
    special = {}  # the demo logins' own institutions, each at a stage worth showing them
    for key, stage in (
        ("clerk", "draft_half"),
        ("chc_clerk", "returned"),
        ("village_clerk", "submitted"),
    ):
        if key in region.users:
            special[region.users[key].home_institution.pk] = stage
    reviewer2 = region.users.get("county_reviewer2")
    if reviewer2 is not None and reviewer2.home_institution is not None:
        special.setdefault(reviewer2.home_institution.pk, "submitted")
    plan = (
        ["draft_empty"] * 4
        + ["draft_half"] * 8
        + ["returned"] * 5
        + ["submitted"] * 18
        + ["passed"] * 32
        + ["sampled"] * 6
        + ["rechecked"] * 12
    )
    sample_now = []
    for i, sub in enumerate(subs):
        target = special.get(sub.institution_id) or plan[i * len(plan) // max(len(subs), 1)]
        spec = spec_of(sub.catalog)
        quality = _quality(rng)
        clerk = clerks.get(sub.institution_id)
        if target == "draft_empty":
            continue
        if target == "draft_half":
            grades = _draw(spec, rng, quality)
            codes = list(grades)[: len(grades) * 3 // 5]
            sub = _save(clerk, sub, "self", {c: grades[c] for c in codes}, {codes[0]: "见机构章程"})
            A.do_upload_evidence(
                clerk,
                sub,
                "self",
                codes[0],
                [SimpleUploadedFile("机构职责分工.pdf", PDF)],
            )
            continue
        sub, self_grades = _self_submit(clerk, sub, spec, rng, quality)
        if target == "submitted":
            continue
        actor = reviewer if _actor_for(region, sub.institution, "county_reviewer") else None
        if target == "returned":
            sub = _save(actor, sub, "county", _stricter(spec, rng, self_grades, 0.1))
            A.do_return(actor, sub, rng.choice(RETURN_COMMENTS), version=sub.version)
            continue
        sub, county_grades = _county_pass(actor, sub, spec, rng, self_grades)
        if target == "passed":
            continue
        if sub.stage == Stage.COUNTY_PASSED:
            sample_now.append((sub, spec, county_grades, target))
        elif target == "rechecked":
            _recheck(rechecker, sub, spec, rng, county_grades)
    if sample_now:
        A.do_select_for_recheck(rechecker, [s for s, *_rest in sample_now])
        for sub, spec, grades, target in sample_now:
            if target == "rechecked":
                _recheck(rechecker, Submission.objects.get(pk=sub.pk), spec, rng, grades)


def populate(region: Region, rng: random.Random) -> None:
    """Add last year's published evaluation and this year's cycle to the demo county."""
    do_load_samples(None)
    years = sorted(region.years)
    if len(years) >= 2:
        _last_year(region, rng, years[-2])
    _this_year(region, rng, years[-1])
