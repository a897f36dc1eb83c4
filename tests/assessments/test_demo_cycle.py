"""The demo stage "cycle": last year published with look-backs, this year at every stage."""

from __future__ import annotations

import random

import pytest

from jiceng.assessments.models import Cycle, Stage, Submission, VerdictRecord

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _run(seed: int, townships: int | None = None):
    from jiceng.demo import cycle, region

    r = region.build(seed=seed, scale="county", townships=townships)
    cycle.populate(r, random.Random(f"{seed}:cycle"))
    return r


def test_the_demo_cycle_has_a_published_year_and_every_stage_this_year(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    r = _run(5)
    last, this = sorted(r.years)[-2:]
    assert set(Submission.objects.filter(cycle__year=last).values_list("stage", flat=True)) == {
        Stage.PUBLISHED
    }
    stages = set(Submission.objects.filter(cycle__year=this).values_list("stage", flat=True))
    assert stages >= {
        Stage.DRAFT,
        Stage.SUBMITTED,
        Stage.RETURNED,
        Stage.COUNTY_PASSED,
        Stage.RECHECK_PENDING,
        Stage.RECHECKED,
    }
    statuses = set(VerdictRecord.objects.values_list("status", flat=True))
    assert statuses == {"active", "confirmed", "withdrawn"}
    verdicts = set(VerdictRecord.objects.values_list("verdict", flat=True))
    assert verdicts == {"none", "basic", "recommended"}
    clerk_sub = Submission.objects.get(cycle__year=this, institution=r.users["clerk"].node)
    assert clerk_sub.stage == Stage.DRAFT and clerk_sub.grades_at("self")
    assert clerk_sub.evidence.exists()
    chc_sub = Submission.objects.get(cycle__year=this, institution=r.users["chc_clerk"].node)
    assert chc_sub.stage == Stage.RETURNED and chc_sub.findings.filter(kind="return").exists()
    assert Cycle.objects.count() == 2


def test_the_demo_cycle_is_the_same_for_the_same_seed(settings, tmp_path):
    from django.db import transaction

    settings.MEDIA_ROOT = tmp_path

    def run():
        sid = transaction.savepoint()
        _run(3, townships=2)  # a small county: determinism does not need nine townships
        rows = list(
            Submission.objects.order_by("cycle__year", "institution__code").values_list(
                "institution__code", "stage", "self_verdict", "county_verdict", "recheck_verdict"
            )
        )
        transaction.savepoint_rollback(sid)
        return rows

    assert run() == run()
