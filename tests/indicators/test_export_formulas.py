"""The indicator table export writes unit names that look like formulas as the same text."""

from __future__ import annotations

import pytest
from core.test_exports import NASTY, assert_written_as_text
from django.urls import reverse

from jiceng.orgs.models import Node

pytestmark = pytest.mark.django_db


def test_the_table_export_writes_formula_like_unit_names_as_text(
    personas, values, client_for, tree
):
    Node.objects.filter(pk=tree.TA1.pk).update(name=NASTY[1])
    Node.objects.filter(pk=tree.TA2.pk).update(name="+86 571 0000")
    r = client_for(personas.county_admin).get(
        reverse("indicators:table_export", args=[tree.A.code]) + "?period=2025"
    )
    assert r.status_code == 200
    assert_written_as_text(r.content, [NASTY[1], "+86 571 0000"])
