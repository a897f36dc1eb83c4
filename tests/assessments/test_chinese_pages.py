"""The evaluation pages touched for issue 8 read in Chinese: no English left in their text
(sample catalog titles, "Cohen's kappa", sub-navigation, publishing)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from jiceng.assessments.models import Submission

from .conftest import submit

pytestmark = pytest.mark.django_db

# Latin words a Chinese page may carry: product and file-format names, grade letters.
ALLOWED = {"Kappa", "Excel", "PDF", "Word", "API", "ZIP", "NA"}


VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "wbr"}


class _Text(HTMLParser):
    """The text of <main>, without scripts and without codes (``.mono``, <code>), which are
    identifiers the user types, not words."""

    def __init__(self):
        super().__init__()
        self.stack: list[bool] = []  # per open element: is it skipped?
        self.inside = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        cls = (dict(attrs).get("class") or "").split()
        self.stack.append(tag in ("script", "style", "code") or "mono" in cls)
        if tag == "main":
            self.inside += 1

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.stack:
            self.stack.pop()
        if tag == "main":
            self.inside -= 1

    @property
    def skip(self) -> bool:
        return any(self.stack)

    def handle_data(self, data):
        if self.inside and not self.skip:
            self.parts.append(data)


def english_words(page: str) -> set[str]:
    parser = _Text()
    parser.feed(page)
    text = " ".join(parser.parts)
    return {w for w in re.findall(r"[A-Za-z][A-Za-z']{2,}", text) if w not in ALLOWED}


def get(client, url) -> str:
    r = client.get(url)
    assert r.status_code == 200, url
    return r.content.decode()


def test_the_sample_catalogs_have_chinese_titles_and_versions(personas, client_for):
    from jiceng.standards.actions import do_load_samples

    catalogs = do_load_samples(None)
    for c in catalogs:
        assert not re.search(r"[A-Za-z]{3,}", str(c)), str(c)
    page = get(client_for(personas.province_admin), "/standards/")
    assert not english_words(page), english_words(page)


def test_the_consistency_cycle_and_publication_pages_have_no_english_words(cyc, client_for):
    submit(cyc.p, cyc.sub)
    client = client_for(cyc.p.county_admin)
    query = f"region={cyc.t.A.code}&year=2025"
    consistency = get(client, f"/evaluation/consistency/?{query}")
    assert "Cohen" not in consistency and "Kappa 系数" in consistency
    for url in (
        f"/evaluation/consistency/?{query}",
        f"/evaluation/cycles/{cyc.cycle.pk}/",
        f"/evaluation/publication/?{query}",
        f"/evaluation/s/{Submission.objects.get(pk=cyc.sub.pk).pk}/",
    ):
        words = english_words(get(client, url))
        assert not words, (url, words)


def test_a_refusal_message_has_no_english_words(cyc, client_for):
    client = client_for(cyc.p.clerk)
    data = {"g-1.1.1": "A", "version": "1", "step": "submit"}
    page = client.post(f"/evaluation/s/{cyc.sub.pk}/", data, follow=True).content.decode()
    words = english_words(page)
    assert not words, words
