"""The publication list export writes institution names that look like formulas as text."""

from __future__ import annotations

import pytest
from core.test_exports import assert_written_as_text

from jiceng.assessments import actions as A
from jiceng.orgs.models import Node

from .test_actions import _finish_all

pytestmark = pytest.mark.django_db


def test_the_publication_list_writes_formula_like_names_as_text(cyc, client_for):
    Node.objects.filter(pk=cyc.t.TA1.pk).update(name='=HYPERLINK("http://x","y")')
    Node.objects.filter(pk=cyc.t.A.pk).update(name="@甲县")
    _finish_all(cyc)
    A.do_publish(cyc.p.county_admin, cyc.t.A, 2025)
    r = client_for(cyc.p.county_admin).get(
        f"/evaluation/publication.xlsx?region={cyc.t.A.code}&year=2025"
    )
    assert r.status_code == 200
    assert_written_as_text(r.content, ['=HYPERLINK("http://x","y")', "@甲县"])
