"""Every page and every API read costs the same number of queries whatever the size of the tree.

The demo region is built with one county (two townships, each with its clinics, and the
community centres with their stations; the demo's stages: an evaluation cycle of last year,
published, and this year's at every stage, a ledger with visits and entries in every state, a
record set with computed values), plus a cycle of the whole city so that the lists of a cycle
grow too. Every page of the URL map and every GET of the OpenAPI document is asked for by each
persona of ``PERSONAS`` (and with the query strings of ``VARIANTS``); then the demo adds a
second county the same way, with a second city-wide cycle, and everything is asked for again.
The number of queries (and the status) must be the same.

A page or endpoint keyed by an object gets the same object of the first county in both sizes
(``_ids``): one added later without an entry there fails
``test_every_page_and_endpoint_is_checked``, so new pages are covered or the test says which.
Both sizes are built and measured once for the module (``measured``), in one transaction rolled
back at the end. ``JICENG_PRINT_QUERY_COUNTS=1 pytest -s tests/test_query_counts.py`` prints
every count.

SQLite only (``one_database``): the count is the ORM's, the same SQL on both databases, except
that SQLite splits long ``IN`` lists into batches of 999 parameters, so its count is the stricter;
every page's answer on PostgreSQL is checked by ``test_every_page_in_scope.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import importlib
import os
import random
import re
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from unittest import mock

import pytest
from test_every_page_in_scope import PAGES

# Under `--dist loadgroup` one worker runs the module, so its two measured demos (a module
# fixture) are built once (docs/testing.md).
pytestmark = [pytest.mark.one_database, pytest.mark.xdist_group("query_counts")]

# Whose sight grows with the tree (the province's administrator, who also has every page of
# an administrator; a city reviewer), and whose does not (a county reviewer, an institution's
# clerk): a bigger tree elsewhere must not cost them either.
PERSONAS = ["province_admin", "city_reviewer", "county_reviewer", "clerk"]
SKIPPED_PREFIXES = ("/admin/", "/i18n/", "/accounts/logout/")
# Query strings asked for besides the bare page ({name}: an object of ``_objects``).
VARIANTS = {
    "/orgs/": ["?expand={institution}", "?q=卫生"],
    "/evaluation/consistency/": ["?year={last_year}"],
    "/evaluation/progress/": ["?year={last_year}"],
    "/evaluation/publication/": ["?year={last_year}"],
    "/evaluation/cycles/<int:pk>/": ["?page=2"],
    "/rectification/": ["?status=open", "?overdue=1"],
    "/api/v1/evaluation/consistency": ["?year={last_year}"],
    "/surveys/rates/<str:code>/": ["?kind=inpatient&period={last_year}"],
    "/api/v1/evaluation/publications": ["?year={last_year}"],
    "/maps/": [
        "?level=institution&period={last_year}",
        "?level=county&method=equal&indicator=ds:SATISFACTION:OUT_SATISFACTION_RATE",
    ],
    "/appraisal/<int:pk>/": ["?sort=score", "?sort=-amount&page=2"],
    "/insights/visualizer/": [
        "?m=ind:htn_std_mgmt&m=ds:SATISFACTION:OUT_SURVEYED&level=county&pt=year&year={last_year}",
        "?m=verdict:share&m=ledger:overdue&level=institution&pt=quarter&year={last_year}&chart=bar",
    ],
    "/insights/visualizer/export.csv": ["?m=ind:htn_std_mgmt&level=institution"],
    "/api/v1/insights/data": ["?m=ind:htn_std_mgmt&m=ledger:open&level=county&year={last_year}"],
}
RESIDENTS = 600  # a county's residents in the record set: the values, not their number, count


@dataclass
class Objects:
    """The objects of the first county (and the city's cycle) that pages are asked about."""

    county_pk: int
    last_year: int
    institution: str  # the demo clerk's institution, seen by every persona
    token: int
    cycle: int  # the city-wide cycle: the newest, which holds every county
    submission: int  # this year's, of the clerk's institution (a draft with evidence)
    county_passed: int
    evidence: int
    verdict: int
    record_set: int
    target: int
    import_job: int
    entry: int
    entry_evidence: int
    visit: int
    catalog: int
    user: int
    data_set: int  # a data set version the clerk's institution reported
    data_period: str  # one of its periods with a report
    appraisal: int = 0  # last year's published basic public health appraisal of the county
    scheme: int = 0  # its scheme version
    appeal: int = 0  # the appeal against it
    appraisal_file: int = 0  # an evidence file of a manual score or bad-practice points
    bad_practice: int = 0  # bad-practice points recorded in the county
    report: int = 0  # the county's work summary (queued by the demo)
    report_template: int = 0  # the county's summary template
    saved_view: int = 0  # a visualizer view the province's administrator saved and shared
    pin: int = 0  # its pin, published below the province
    questionnaire: int = 0  # a sample questionnaire of the province


def _ids(o: Objects, user) -> dict[str, dict[str, str]]:
    """The object each page or endpoint with parameters is asked about, by pattern."""
    return {
        # pages
        "/account/tokens/<int:pk>/revoke/": {"pk": o.token},
        "/audit/<str:object_type>/<str:object_id>/": {
            "object_type": "orgs.node",
            "object_id": o.county_pk,
        },
        "/data/sets/<int:pk>/": {"pk": o.data_set},
        **{
            f"/appraisal/{tail}": {"pk": o.appraisal, "code": o.institution}
            for tail in (
                "<int:pk>/",
                "<int:pk>/export.xlsx",
                "<int:pk>/export.docx",
                "<int:pk>/funds/",
                "<int:pk>/funds.xlsx",
                "<int:pk>/review/",
                "<int:pk>/publish/",
                "<int:pk>/correct/",
                "<int:pk>/unit/<str:code>/",
                "<int:pk>/unit/<str:code>/manual/",
                "<int:pk>/unit/<str:code>/appeal/",
            )
        },
        "/appraisal/schemes/<int:pk>/": {"pk": o.scheme},
        "/appraisal/schemes/<int:pk>/active/": {"pk": o.scheme},
        "/appraisal/appeals/<int:pk>/answer/": {"pk": o.appeal},
        "/appraisal/files/<int:pk>/": {"pk": o.appraisal_file},
        "/appraisal/bad-practice/<int:pk>/files/": {"pk": o.bad_practice},
        "/data/sets/<int:pk>/bounds/": {"pk": o.data_set},
        "/data/sets/<int:pk>/bounds/<int:bound>/delete/": {"pk": o.data_set, "bound": 0},
        "/data/form/<int:pk>/<str:unit>/<str:period>/": {
            "pk": o.data_set,
            "unit": o.institution,
            "period": o.data_period,
        },
        "/data/form/<int:pk>/<str:unit>/<str:period>/save/": {
            "pk": o.data_set,
            "unit": o.institution,
            "period": o.data_period,
        },
        "/data/form/<int:pk>/<str:unit>/<str:period>/complete/": {
            "pk": o.data_set,
            "unit": o.institution,
            "period": o.data_period,
        },
        "/data/form/<int:pk>/<str:unit>/<str:period>/approve/": {
            "pk": o.data_set,
            "unit": o.institution,
            "period": o.data_period,
        },
        "/data/form/<int:pk>/<str:unit>/<str:period>/unlock/": {
            "pk": o.data_set,
            "unit": o.institution,
            "period": o.data_period,
        },
        "/data/reporting/<str:code>/": {"code": user.node.code},
        "/data/reporting/<str:code>/export.xlsx": {"code": user.node.code},
        "/data/validation/<str:code>/": {"code": user.node.code},
        "/data/values/<str:code>/": {"code": user.node.code},
        "/data/values/<str:code>/export.xlsx": {"code": user.node.code},
        "/evaluation/cycles/<int:pk>/": {"pk": o.cycle},
        "/evaluation/cycles/<int:pk>/recheck-sample/": {"pk": o.cycle},
        "/evaluation/history/<str:code>/": {"code": o.institution},
        "/evaluation/s/<int:pk>/": {"pk": o.submission},
        "/evaluation/s/<int:pk>/adopt/": {"pk": o.submission},
        "/evaluation/s/<int:pk>/draft/": {"pk": o.submission},
        "/evaluation/s/<int:pk>/evidence/": {"pk": o.submission},
        "/evaluation/s/<int:pk>/evidence/<int:ev>/": {"pk": o.submission, "ev": o.evidence},
        "/evaluation/s/<int:pk>/evidence/<int:ev>/delete/": {
            "pk": o.submission,
            "ev": o.evidence,
        },
        "/evaluation/s/<int:pk>/finding/": {"pk": o.submission},
        "/evaluation/s/<int:pk>/import/": {"pk": o.submission},
        "/evaluation/s/<int:pk>/reopen/": {"pk": o.submission},
        "/evaluation/s/<int:pk>/return/": {"pk": o.submission},
        "/evaluation/s/<int:pk>/template.xlsx": {"pk": o.submission},
        "/evaluation/verdicts/<int:pk>/lookback/": {"pk": o.verdict},
        "/indicators/node/<str:code>/": {"code": user.node.code},
        "/insights/pins/<int:pk>/delete/": {"pk": o.pin},
        "/insights/views/<int:pk>/": {"pk": o.saved_view},
        "/insights/views/<int:pk>/delete/": {"pk": o.saved_view},
        "/insights/views/<int:pk>/share/": {"pk": o.saved_view},
        "/indicators/recordsets/<int:pk>/": {"pk": o.record_set},
        "/indicators/recordsets/<int:pk>/compute/": {"pk": o.record_set},
        "/indicators/recordsets/<int:pk>/delete/": {"pk": o.record_set},
        "/indicators/recordsets/<int:pk>/rejects.csv": {"pk": o.record_set},
        "/indicators/recordsets/<int:pk>/retry/": {"pk": o.record_set},
        "/indicators/recordsets/<int:pk>/status/": {"pk": o.record_set},
        "/indicators/table/<str:code>/": {"code": user.node.code},
        "/indicators/table/<str:code>/export.xlsx": {"code": user.node.code},
        "/indicators/targets/<int:pk>/delete/": {"pk": o.target},
        "/orgs/<str:code>/": {"code": user.node.code},
        "/orgs/<str:code>/children/": {"code": user.node.code},
        "/orgs/<str:code>/edit/": {"code": user.node.code},
        "/orgs/<str:code>/new/": {"code": user.node.code},
        "/orgs/<str:code>/years/": {"code": user.node.code},
        "/orgs/import/<int:pk>/": {"pk": o.import_job},
        "/rectification/<int:pk>/": {"pk": o.entry},
        "/rectification/<int:pk>/close/": {"pk": o.entry},
        "/rectification/<int:pk>/extend/": {"pk": o.entry},
        "/rectification/<int:pk>/report/": {"pk": o.entry},
        "/rectification/<int:pk>/send-back/": {"pk": o.entry},
        "/rectification/evidence/<int:pk>/": {"pk": o.entry_evidence},
        "/rectification/evidence/<int:pk>/delete/": {"pk": o.entry_evidence},
        "/rectification/visits/<int:pk>/": {"pk": o.visit},
        "/standards/<int:pk>/": {"pk": o.catalog},
        "/standards/<int:pk>/active/": {"pk": o.catalog},
        "/standards/<int:pk>/catalog.xlsx": {"pk": o.catalog},
        "/standards/<int:pk>/grading-template.xlsx": {"pk": o.catalog},
        "/standards/<int:pk>/source/": {"pk": o.catalog},
        "/reports/<int:pk>/": {"pk": o.report},
        "/reports/<int:pk>/summary.<str:fmt>": {"pk": o.report, "fmt": "docx"},
        "/reports/templates/<int:pk>.docx": {"pk": o.report_template},
        "/users/<int:pk>/": {"pk": o.user},
        "/users/<int:pk>/activate/": {"pk": o.user},
        "/users/<int:pk>/deactivate/": {"pk": o.user},
        "/users/<int:pk>/password/": {"pk": o.user},
        "/surveys/q/<int:pk>/": {"pk": o.questionnaire},
        "/surveys/q/<int:pk>/template.xlsx": {"pk": o.questionnaire},
        "/surveys/q/<int:pk>/enter/": {"pk": o.questionnaire},
        "/surveys/rates/<str:code>/": {"code": user.node.code},
        "/surveys/rates/<str:code>/export.xlsx": {"code": user.node.code},
        "/surveys/comments/<str:code>/": {"code": user.node.code},
        # API
        "/api/v1/orgs/{code}": {"code": user.node.code},
        "/api/v1/orgs/{code}/children": {"code": user.node.code},
        "/api/v1/orgs/{code}/years": {"code": user.node.code},
        "/api/v1/orgs/{code}/history": {"code": o.institution},
        "/api/v1/indicators/values/{code}": {"code": user.node.code},
        "/api/v1/surveys/rates/{code}": {"code": user.node.code},
        "/api/v1/indicators/table/{code}": {"code": user.node.code},
        "/api/v1/indicators/recordsets/{rs_id}": {"rs_id": o.record_set},
        "/api/v1/rectification/entries/{entry_id}": {"entry_id": o.entry},
        "/api/v1/rectification/visits/{visit_id}": {"visit_id": o.visit},
        "/api/v1/standards/catalogs/{catalog_id}": {"catalog_id": o.catalog},
        "/api/v1/evaluation/cycles/{pk}/submissions": {"pk": o.cycle},
        "/api/v1/evaluation/submissions/{pk}": {"pk": o.submission},
        "/api/v1/evaluation/submissions/{pk}/grades": {"pk": o.submission},
        "/api/v1/evaluation/submissions/{pk}/verdict": {"pk": o.submission},
        "/api/v1/evaluation/submissions/{pk}/consistency": {"pk": o.county_passed},
        "/api/v1/evaluation/institutions/{code}/verdicts": {"code": o.institution},
        "/api/v1/maps/{code}": {"code": user.node.code},
        "/api/v1/appraisal/appraisals/{pk}/results": {"pk": o.appraisal},
        "/api/v1/reports/{pk}": {"pk": o.report},
    }


def _fill(pattern: str, params: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        return str(params[match.group(1)])

    return re.sub(r"\{(\w+)\}", value, re.sub(r"<\w+:(\w+)>", value, pattern))


@functools.cache  # building the OpenAPI document takes about a second
def _api_gets() -> list[str]:
    from jiceng.api.main import api

    paths = api.get_openapi_schema()["paths"]
    return sorted(path for path, ops in paths.items() if "get" in ops)


def _patterns() -> list[str]:
    pages = [path for path, _name in PAGES if not path.startswith(SKIPPED_PREFIXES)]
    return pages + _api_gets()


def _objects(region) -> Objects:
    from jiceng.accounts.models import ApiToken
    from jiceng.aggregates.models import Report
    from jiceng.assessments.models import Cycle, Evidence, Stage, Submission, VerdictRecord
    from jiceng.indicators.models import RecordSet, Target
    from jiceng.insights.models import Pin, SavedView
    from jiceng.rectification.models import Evidence as EntryEvidence
    from jiceng.rectification.models import LedgerEntry, SupervisionVisit
    from jiceng.reports.models import GeneratedReport, ReportTemplate
    from jiceng.standards.models import Catalog

    county, clerk = region.county, region.users["clerk"]
    this, last = region.years[1], region.years[0]
    own = clerk.node
    submission = Submission.objects.get(cycle__region=county, cycle__year=this, institution=own)
    in_county = {"institution__path__startswith": county.path}
    report = Report.objects.filter(node=own).order_by("dataset__code", "period").first()
    from jiceng.appraisal.models import Appeal, Appraisal

    appraisal = Appraisal.objects.get(
        region=county, year=last, scheme__code="BPHS_GRASSROOTS", number=1
    )
    return Objects(
        county_pk=county.pk,
        last_year=last,
        institution=own.code,
        token=ApiToken.objects.get(user=clerk).pk,
        cycle=Cycle.objects.filter(region=region.city).order_by("year").first().pk,
        submission=submission.pk,
        county_passed=Submission.objects.filter(
            cycle__region=county, cycle__year=this, stage=Stage.COUNTY_PASSED
        )
        .order_by("institution__path")
        .first()
        .pk,
        evidence=Evidence.objects.filter(submission=submission).order_by("pk").first().pk,
        verdict=VerdictRecord.objects.filter(cycle__year=last, **in_county)
        .order_by("institution__path")
        .first()
        .pk,
        record_set=RecordSet.objects.get(node=county).pk,
        target=Target.objects.filter(node=county).order_by("pk").first().pk,
        import_job=0,
        entry=LedgerEntry.objects.filter(institution=own).order_by("pk").first().pk,
        entry_evidence=EntryEvidence.objects.filter(
            entry__institution__path__startswith=county.path
        )
        .order_by("pk")
        .first()
        .pk,
        visit=SupervisionVisit.objects.filter(node=county).order_by("pk").first().pk,
        catalog=Catalog.objects.filter(active=True).order_by("code").first().pk,
        user=clerk.pk,
        data_set=report.dataset_id,
        data_period=report.period,
        appraisal=appraisal.pk,
        scheme=appraisal.scheme_id,
        appeal=Appeal.objects.filter(appraisal=appraisal).order_by("pk").first().pk,
        appraisal_file=_appraisal_file(county),
        bad_practice=_bad_practice(county),
        report=GeneratedReport.objects.filter(region=county).order_by("pk").first().pk,
        report_template=ReportTemplate.objects.filter(region=county).order_by("pk").first().pk,
        saved_view=SavedView.objects.order_by("pk").first().pk,
        pin=Pin.objects.filter(published_at__isnull=False).order_by("pk").first().pk,
        questionnaire=_questionnaire(),
    )


def _appraisal_file(county) -> int:
    from jiceng.appraisal.models import EvidenceFile

    return EvidenceFile.objects.filter(node__path__startswith=county.path).order_by("pk")[0].pk


def _bad_practice(county) -> int:
    from jiceng.appraisal.models import BadPractice

    return (
        BadPractice.objects.filter(institution__path__startswith=county.path).order_by("pk")[0].pk
    )


def _questionnaire() -> int:
    from jiceng.surveys.models import Questionnaire

    return Questionnaire.objects.order_by("code").first().pk


def _periods(today: dt.date) -> list[str]:
    """One period, last year: enough values to show, one computation instead of six."""
    return [str(today.year - 1)]


def _load_mini_once(actor) -> None:
    """The tests' small catalog (8 items) instead of the samples (about 100): grading is
    what takes the demo's time, and the number of items is the same in both sizes."""
    from assessments.conftest import load_mini

    from jiceng.standards.models import Catalog

    if not Catalog.objects.filter(code="mini").exists():
        load_mini()


@contextmanager
def _small_demo(counties: int):
    """The demo's stages, quicker: few residents, one period, the small catalog."""
    from jiceng.demo import cycle, records
    from jiceng.demo import region as demo_region

    with (
        mock.patch.dict(demo_region.SCALES, {"county": (1, counties)}),
        mock.patch.object(records, "RESIDENTS", RESIDENTS),
        mock.patch.object(records, "periods", _periods),
        mock.patch.object(cycle, "do_load_samples", _load_mini_once),
    ):
        yield


def _populate(region, county) -> None:
    from jiceng import demo

    for name in demo.STAGES:
        module = importlib.import_module(f"jiceng.demo.{name}")
        key = f"2025:{name}" if county.pk == region.county.pk else f"2025:{name}:{county.code}"
        module.populate(region.for_county(county), random.Random(key))


def _open_city_cycle(region, year: int) -> None:
    """A cycle of the whole city: its pages list every institution of every county."""
    from jiceng.assessments.actions import do_open_cycle

    do_open_cycle(region.users["province_admin"], region.city, year)


def _build(today: dt.date):
    """The demo with one county: every stage, a cycle of the city two years ago, and an API
    token of the clerk."""
    from jiceng.accounts.actions import do_create_token
    from jiceng.demo import region as demo_region

    with _small_demo(1):
        region = demo_region.build(seed=2025, scale="county", today=today, townships=2)
        _populate(region, region.county)
    _open_city_cycle(region, region.years[0] - 1)
    clerk = region.users["clerk"]
    do_create_token(clerk, clerk, "query count")
    return region


def _grow(region) -> None:
    """A second county built by the demo the same way, with every stage, a cycle of the
    city three years ago (it holds both counties), and users of its own (the demo gives
    logins to the first county only)."""
    from jiceng.accounts.models import Role, User
    from jiceng.demo import region as demo_region

    with _small_demo(2):
        rng = random.Random(f"2025:grow:{len(region.counties)}")
        county = demo_region._build_county(rng, region.city, len(region.counties), region, [])
        region.counties.append(county)
        _populate(region, county)
    _open_city_cycle(region, region.years[0] - 2)
    institution = region.by_county[county.pk][0]
    for name, role, node, works_at in (
        ("admin_2", Role.ADMIN, county, None),
        ("county_reviewer_2", Role.COUNTY_REVIEWER, county, institution),
        ("clerk_2", Role.INSTITUTION_STAFF, institution, None),
    ):
        User.objects.create_user(name, role=role, node=node, institution=works_at)


def _same_newest_audit_page(region) -> None:
    """The audit trail names the objects of the 50 rows of its page with one query per kind of
    object among them: a cost bounded by the kinds of objects, not by the tree, but one that
    follows whatever happened last. So that both sizes show the same newest page, the first
    county's administrator exports its published list 50 times before each measurement."""
    from jiceng.core.audit import record_download

    admin = region.users["admin"]
    for _ in range(50):
        record_download(admin, "publication_export", region.county, node_path=region.county.path)


@dataclass
class Measure:
    status: int
    queries: int


def _measure(region) -> dict[tuple[str, str], Measure]:
    """Status and number of queries of every page and endpoint, for every persona."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    out = {}
    objects = _objects(region)
    _same_newest_audit_page(region)
    for persona in PERSONAS:
        user = region.users[persona]
        client = Client()
        client.force_login(user)
        client.get("/")  # the session's first request records the login once
        ids = _ids(objects, user)
        for pattern in _patterns():
            if ("<" in pattern or "{" in pattern) and pattern not in ids:
                continue  # reported by test_every_page_and_endpoint_is_checked
            url = _fill(pattern, ids.get(pattern, {}))
            for query in ["", *VARIANTS.get(pattern, [])]:
                cache.clear()  # what a page costs, not what a cache saves
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(url + query.format(**vars(objects)))
                out[(persona, pattern + query)] = Measure(response.status_code, len(queries))
    return out


@pytest.fixture(scope="module")
def measured(django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, dict]:
    """The demo with one county, measured; then with a second county, measured again. All
    in one transaction, rolled back at the end."""
    from django.db import transaction
    from django.test import override_settings

    where = tmp_path_factory.mktemp("query-counts")
    today = dt.date.today()
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=where / "media", JICENG_ANALYTICS_DIR=where / "analytics"),
        transaction.atomic(),
    ):
        region = _build(today)
        small = _measure(region)
        _grow(region)
        large = _measure(region)
        pagers = _pagers(region)
        transaction.set_rollback(True)
    return {"small": small, "large": large, "pagers": pagers}


def _pagers(region) -> dict[str, str]:
    """Each list that grows with the institutions, a row a page: the pager's link to the next
    page, which must keep the list's filters (``PAGED``)."""
    import html

    from django.test import Client

    from jiceng.core import paging

    o = _objects(region)
    values = {**vars(o), "county": region.county.code, "this_year": region.years[1]}
    out = {}
    with mock.patch.object(paging, "PAGE_SIZE", 1):
        for persona, url, _param in PAGED:
            client = Client()
            client.force_login(region.users[persona])
            page = client.get(url.format(**values)).content.decode()
            found = re.search(r'href="([^"]*)" rel="next"', page)
            out[(persona, url)] = html.unescape(found.group(1)) if found else ""
    return out


# Pages listing what grows with the institutions (or the counties), with their filters, and
# the pager's parameter (the first pager of the page is checked).
PAGED = [
    ("province_admin", "/evaluation/cycles/{cycle}/?stage=draft", "page"),
    ("province_admin", "/evaluation/consistency/?region={county}&year={last_year}", "page"),
    ("province_admin", "/evaluation/publication/?region={county}&year={last_year}", "page"),
    ("city_reviewer", "/evaluation/?x=1", "page"),  # what waits for the reviewer
    ("province_admin", "/evaluation/?x=1&page=1", "cycles"),  # nothing waits: the cycles
    ("province_admin", "/indicators/table/{county}/?period={last_year}&level=institution", "page"),
    ("province_admin", "/indicators/targets/?year={this_year}", "page"),
    ("province_admin", "/indicators/recordsets/?x=1", "page"),
    ("province_admin", "/maps/?node={county}&level=institution&period={last_year}", "page"),
    ("province_admin", "/appraisal/{appraisal}/?sort=score", "page"),
    ("province_admin", "/appraisal/{appraisal}/funds/?x=1", "page"),
    ("province_admin", "/appraisal/bad-practice/?x=1", "page"),
    ("province_admin", "/insights/visualizer/?m=ledger:open&level=institution", "page"),
    ("province_admin", "/surveys/rates/{county}/?kind=outpatient&period={last_year}", "page"),
    ("province_admin", "/surveys/comments/{county}/?kind=outpatient&period={last_year}", "page"),
]


@pytest.mark.django_db
def test_long_lists_come_a_page_at_a_time_and_the_pager_keeps_the_filters(measured):
    wrong = {}
    for persona, url, param in PAGED:
        link = measured["pagers"][(persona, url)]
        names = [kv.split("=")[0] for kv in url.split("?", 1)[1].split("&")]
        kept = [n for n in names if n != param]
        if not all(f"{n}=" in link for n in kept) or f"{param}=2" not in link:
            wrong[url] = link
    assert wrong == {}


def test_every_page_and_endpoint_is_checked():
    fake = SimpleNamespace(node=SimpleNamespace(code="x"))
    ids = _ids(Objects(*[1] * len(dataclasses.fields(Objects))), fake)
    missing = [p for p in _patterns() if ("<" in p or "{" in p) and p not in ids]
    assert missing == [], "give these an object in IDS: " + ", ".join(missing)
    assert not set(ids) - set(_patterns()), "IDS names patterns that no longer exist"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_costs_more_queries_on_a_bigger_tree(measured, persona):
    small, large = measured["small"], measured["large"]
    grown = []
    for (who, pattern), m in small.items():
        if who != persona:
            continue
        big = large[(who, pattern)]
        if (m.status, m.queries) != (big.status, big.queries):
            grown.append(f"{pattern}: {m.status}/{m.queries} → {big.status}/{big.queries}")
    assert grown == [], "\n".join(grown)


@pytest.mark.django_db
def test_the_pages_were_seen(measured):
    """Most pages answer 200 to the province administrator: the check measures real pages."""
    ok = [
        p
        for (who, p), m in measured["small"].items()
        if who == "province_admin" and m.status == 200
    ]
    assert len(ok) >= 40, ok


@pytest.mark.django_db
def test_print_the_counts_when_asked(measured):
    """``JICENG_PRINT_QUERY_COUNTS=1 pytest -s tests/test_query_counts.py`` prints the table."""
    if os.environ.get("JICENG_PRINT_QUERY_COUNTS") != "1":
        return
    for (_persona, url), link in measured["pagers"].items():
        print(f"{url:<70} next page: {link}")
    print(f"\n{'persona':<18} {'page':<55} {'one county':>10} {'two':>10}")
    for (who, pattern), m in sorted(measured["small"].items()):
        big = measured["large"][(who, pattern)]
        print(f"{who:<18} {pattern:<55} {m.status}/{m.queries:>6} {big.status}/{big.queries:>6}")
