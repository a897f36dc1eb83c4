"""The demo stage "appraisal": last year's published appraisal and this year's draft."""

from __future__ import annotations

import random

import pytest
from django.urls import reverse

from jiceng.appraisal import results
from jiceng.appraisal.models import (
    Appeal,
    Appraisal,
    BadPractice,
    EvidenceFile,
    ManualValue,
    Status,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_publishes_last_year_and_drafts_this_year_for_the_county(
    client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    from jiceng.demo import appraisal, region, surveys

    r = region.build(seed=7, scale="county", townships=2)
    surveys.populate(r, random.Random("7:surveys"))
    appraisal.populate(r, random.Random("7:appraisal"))
    last, this = r.years
    published = Appraisal.objects.filter(region=r.county, year=last, status=Status.PUBLISHED)
    drafts = Appraisal.objects.filter(region=r.county, year=this, status=Status.DRAFT)
    assert published.count() == 2 and drafts.count() == 2
    assert all(a.frozen["units"] for a in published)
    # the city's appraisal of its counties: the demo's one county, scored
    city = Appraisal.objects.get(region=r.city, year=last, status=Status.PUBLISHED)
    assert list(city.frozen["units"]) == [r.county.code]
    assert Appraisal.objects.filter(region=r.city, year=this, status=Status.DRAFT).count() == 1
    assert Appeal.objects.filter(outcome="rejected").count() == 1
    assert BadPractice.objects.count() == 6
    # generated PDFs as evidence: one institution's points each year (2 records), and the
    # first two units' on-site scores in each appraisal that has manual items
    assert BadPractice.objects.filter(files__isnull=False).count() == 2
    with_files = ManualValue.objects.filter(files__isnull=False, appraisal__in=published)
    assert with_files.exists() and with_files.count() <= 2 * published.count()
    f = EvidenceFile.objects.order_by("pk").first()
    assert f.kind == "pdf" and f.file.read().startswith(b"%PDF-")
    client.force_login(r.users["county_reviewer"])
    bphs = published.get(scheme__code="BPHS_GRASSROOTS")
    page = client.get(reverse("appraisal:ranking", args=[bphs.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and bphs.frozen["order"][0] in text
    # the demo's surveys give every centre a public-health satisfaction rate (item M5.1)
    rows = results.results_of(bphs).units
    assert rows and all(row.items["M5.1"].points is not None for row in rows)
    assert all("无数据" not in row.items["M5.1"].flags for row in rows)
    integrity = published.get(scheme__code="INTEGRITY")
    inst = next(iter(integrity.frozen["units"]))
    page = client.get(reverse("orgs:node", args=[inst])).content.decode()
    assert 'data-testid="integrity-grade"' in page
