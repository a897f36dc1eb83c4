"""``jiceng demo`` is dated relative to its day (``--today``) and fills every county."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from jiceng.assessments.models import Cycle, Publication, Stage, Submission
from jiceng.demo import STAGES, records
from jiceng.indicators.models import IndicatorValue, RecordSet
from jiceng.orgs.models import Node, NodeYear
from jiceng.rectification.models import LedgerEntry, Status

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

SMALL = ["--townships", "2"]  # two townships per county instead of nine: a quick demo
# The stages these tests look at (the record sets, the cycles, the ledger); each of the other
# stages has a demo test of its own.
CHECKED = ("records", "cycle", "ledger")
SMALL += [arg for stage in STAGES if stage not in CHECKED for arg in ("--skip", stage)]


@pytest.fixture
def small_demo(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JICENG_ANALYTICS_DIR = tmp_path / "analytics"
    monkeypatch.setattr(records, "RESIDENTS", 4_000)

    def run(*args: str) -> str:
        out = io.StringIO()
        call_command("demo", *SMALL, *args, stdout=out)
        return out.getvalue()

    return run


def _period_end(label: str) -> dt.date:
    if "Q" in label:
        year, q = label.split("Q")
        month = 3 * int(q)
    elif "-" in label:
        year, m = label.split("-")
        month = int(m)
    else:
        year, month = label, 12
    first_of_next = dt.date(int(year) + month // 12, month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


# The second day runs the same code on other dates: once (on SQLite) is enough for it.
@pytest.mark.parametrize(
    "today",
    [dt.date(2025, 3, 15), pytest.param(dt.date(2026, 12, 2), marks=pytest.mark.one_database)],
)
def test_the_demo_is_dated_relative_to_the_day_it_is_run_for(small_demo, today):
    out = small_demo("--today", today.isoformat())
    assert today.isoformat() in out
    this, last = today.year, today.year - 1
    assert set(NodeYear.objects.values_list("year", flat=True)) == {last, this}
    # this year's cycle is open, every deadline ahead; last year's is published
    assert set(Cycle.objects.values_list("year", flat=True)) == {last, this}
    cycle = Cycle.objects.get(year=this)
    assert today < cycle.self_deadline < cycle.county_deadline < cycle.recheck_deadline
    assert cycle.recheck_deadline <= today + dt.timedelta(days=120)
    stages = set(Submission.objects.filter(cycle=cycle).values_list("stage", flat=True))
    assert {Stage.DRAFT, Stage.SUBMITTED, Stage.COUNTY_PASSED} <= stages
    assert set(Submission.objects.filter(cycle__year=last).values_list("stage", flat=True)) == {
        Stage.PUBLISHED
    }
    published = Publication.objects.get(year=last).published_at.date()
    assert published.year == last and published < today
    # the ledger: nothing opened after today, a few entries days or weeks overdue
    entries = LedgerEntry.objects.all()
    assert entries.exists() and max(e.opened_on for e in entries) <= today
    late = [
        (today - e.deadline).days for e in entries if e.status == Status.OPEN and e.deadline < today
    ]
    assert late and max(late) <= 45, late
    assert entries.filter(deadline__gt=today).exclude(status=Status.CLOSED).exists()
    # record sets: last year and this year, every period finished before today
    rs = RecordSet.objects.get()
    assert str(last) in rs.name and str(this) in rs.name
    periods = set(IndicatorValue.objects.values_list("period", flat=True))
    assert periods == set(records.periods(today))
    assert str(last) in periods and all(_period_end(p) < today for p in periods)


def test_the_periods_are_the_finished_quarters_and_the_last_finished_month():
    assert records.periods(dt.date(2026, 12, 2)) == [
        "2025Q1",
        "2025Q2",
        "2025Q3",
        "2025",
        "2026Q1",
        "2026Q2",
        "2026Q3",
        "2026-11",
    ]
    assert records.periods(dt.date(2026, 1, 10)) == ["2025Q1", "2025Q2", "2025Q3", "2025"]
    assert records.periods(dt.date(2026, 4, 1))[-1] == "2026Q1"
    assert records.periods(dt.date(2026, 5, 20))[-2:] == ["2026Q1", "2026-04"]


def test_a_wrong_today_is_refused_in_chinese(small_demo):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        small_demo("--today", "2026-13-01")
    assert not Node.objects.exists()


# The city scale runs, county by county, the code the county-scale tests above run on both
# databases; once (on SQLite) is enough for it.
@pytest.mark.one_database
def test_the_city_scale_fills_every_county(small_demo, monkeypatch):
    monkeypatch.setattr(records, "RESIDENTS", 1_500)  # sizes do not matter here
    small_demo("--scale", "city", "--today", "2026-12-02")
    counties = list(Node.objects.filter(kind="county").order_by("code"))
    assert len(counties) == 6
    assert len({c.name for c in counties}) == 6  # no two counties share a name
    for county in counties:
        below = Submission.objects.filter(institution__path__startswith=county.path)
        assert set(Cycle.objects.filter(region=county).values_list("year", flat=True)) == {
            2025,
            2026,
        }, county.name
        assert below.filter(cycle__year=2025, stage=Stage.PUBLISHED).exists(), county.name
        assert below.filter(cycle__year=2026).exclude(stage=Stage.DRAFT).exists(), county.name
        entries = LedgerEntry.objects.filter(institution__path__startswith=county.path)
        assert entries.filter(status=Status.CLOSED).exists(), county.name
        assert entries.exclude(status=Status.CLOSED).exists(), county.name
        rs = RecordSet.objects.get(node=county)
        assert rs.status == RecordSet.Status.READY, county.name
        assert IndicatorValue.objects.filter(node=county, period="2025").count() >= 10
