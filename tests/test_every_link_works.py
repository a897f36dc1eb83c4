"""Every link works: each persona follows every same-site link from the home page.

A crawler logs in as each persona of the shared tree (with a little data: a cycle with
submissions, a ledger entry, a record set with values), starts at ``/`` and follows every
``<a href>`` of every page it reaches (GET only). Anything an ordinary link leads to must
answer without a 4xx or 5xx for the persona who sees the link.

SQLite only (``one_database``): where a link leads is the same on both databases, and every
page's answer on PostgreSQL is checked by ``test_every_page_in_scope.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from persona_names import PERSONAS

pytestmark = pytest.mark.one_database

SKIP_PREFIXES = ("/accounts/logout/", "/i18n/", "/admin/", "/static/", "/media/")
MAX_PAGES = 300
# Pages of one shape (database ids replaced; unit codes, 12 digits, kept apart since a link's
# fate can depend on the unit's kind) are fetched at most this many times.
PER_SHAPE = 4
_DB_ID = re.compile(r"(?<!\d)\d{1,9}(?!\d)")


def shape(url: str) -> str:
    """``url`` with its database ids as N: the page it is, not which object it shows."""
    return _DB_ID.sub("N", url)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _links(base: str, html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    out = []
    for href in parser.hrefs:
        if href.startswith(("mailto:", "tel:", "javascript:", "#")):
            continue
        url = urldefrag(urljoin("http://testserver" + base, href)).url
        parts = urlsplit(url)
        if parts.netloc != "testserver":
            continue
        path = parts.path + ("?" + parts.query if parts.query else "")
        if parts.path.startswith(SKIP_PREFIXES):
            continue
        out.append(path)
    return out


def crawl(client) -> dict[str, tuple[int, str]]:
    """Follow every link from the home page; answer {url: (status, referrer)} of failures."""
    seen = {"/": "(start)"}
    queue = ["/"]
    failures: dict[str, tuple[int, str]] = {}
    shapes: Counter[str] = Counter()
    while queue and len(seen) <= MAX_PAGES:
        url = queue.pop(0)
        shapes[shape(url)] += 1
        if shapes[shape(url)] > PER_SHAPE:
            continue
        response = client.get(url)
        if response.status_code in (301, 302):
            target = response["Location"]
            if not urlsplit(target).path.startswith(SKIP_PREFIXES) and target not in seen:
                seen[target] = url
                queue.append(target)
            continue
        if response.status_code >= 400:
            failures[url] = (response.status_code, seen[url])
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for link in _links(url, response.content.decode("utf-8", "replace")):
            if link not in seen:
                seen[link] = url
                queue.append(link)
    return failures


@pytest.fixture
def data(personas):
    """A cycle of county A with submissions, a ledger entry of a village clinic, values."""
    from assessments.conftest import load_mini, open_cycle, submit

    from jiceng.assessments.models import Submission
    from jiceng.rectification.actions import do_open_entry

    t = personas.tree
    load_mini()
    cycle = open_cycle(t.A)
    submit(personas, Submission.objects.get(cycle=cycle, institution=t.TA1))
    today = dt.date.today()
    for unit in (t.TA1, t.VA1, t.SA1):
        do_open_entry(
            personas.county_reviewer,
            unit,
            source="other",
            description="药房温湿度记录不全",
            responsible="王医生",
            deadline=today + dt.timedelta(days=10),
        )
    _put_values(t)
    _put_aggregates(t)
    return personas


def _put_aggregates(t) -> None:
    """Two sample data sets with a few forms: draft, completed late, approved."""
    from jiceng.aggregates import actions
    from jiceng.aggregates.models import Report
    from jiceng.datasets.definition import load_dataset_file, sample_dataset_paths

    loaded = {}
    for path in sample_dataset_paths():
        if path.stem in ("satisfaction", "health_education"):
            text = path.read_text(encoding="utf-8")
            ds = load_dataset_file(path)
            loaded[path.stem] = actions.do_load_dataset(None, ds, text, path.name, owner=t.P)
    sat, edu = loaded["satisfaction"], loaded["health_education"]
    actions.do_save_values(
        None, sat, t.TA1, "2025Q1", {"OUT_SURVEYED": "40", "OUT_SATISFIED": "41"}
    )
    actions.do_complete(None, sat, t.TA1, "2025Q1", reason="含复诊患者")
    actions.do_approve(None, Report.objects.get(dataset=sat, node=t.TA1, period="2025Q1"))
    actions.do_save_values(None, edu, t.VA1, "2025Q1", {"LECTURES": "2"})
    actions.do_complete(None, edu, t.TB1, "2025Q1")


def _put_values(t) -> None:
    from decimal import Decimal

    from django.utils import timezone

    from jiceng.indicators.models import IndicatorValue, RecordSet

    rs = RecordSet.objects.create(
        name="测试记录集", node=t.A, status=RecordSet.Status.READY, loaded_at=timezone.now()
    )
    for node, (n, d) in {
        t.TA1: (60, 100),
        t.VA1: (30, 40),
        t.SA1: (20, 30),
        t.A: (90, 140),
    }.items():
        IndicatorValue.objects.create(
            record_set=rs,
            org_code=node.code,
            node=node,
            period="2025",
            indicator="htn_std_mgmt",
            numerator=Decimal(n),
            denominator=Decimal(d),
            value=n / d,
            definition_version="2025.1",
        )


@pytest.mark.slow
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_link_a_persona_sees_works(client, data, persona, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(getattr(data, persona))
    failures = crawl(client)
    assert not failures, "\n".join(
        f"{status} {url}  (linked from {ref})" for url, (status, ref) in sorted(failures.items())
    )
