"""Editing the tree on its pages: add a unit, edit (rename, move, close), enter figures."""

from __future__ import annotations

import pytest

from jiceng.core.models import AuditEvent
from jiceng.orgs.models import Node, NodeEvent, NodeYear

from .helpers import db_state


def test_an_admin_adds_a_unit_below_a_township(personas, client_for):
    tree = personas.tree
    c = client_for(personas.county_admin)
    page = c.get(f"/orgs/{tree.TA1.code}/new/")
    assert page.status_code == 200 and tree.TA1.code in page.content.decode()
    r = c.post(
        f"/orgs/{tree.TA1.code}/new/",
        {
            "code": "330101100203",
            "name": "北坡村卫生室",
            "kind": "village_clinic",
            "parent_code": tree.TA1.code,
        },
    )
    assert r.status_code == 302 and r["Location"] == "/orgs/330101100203/"
    node = Node.objects.get(code="330101100203")
    assert node.parent == tree.TA1
    assert AuditEvent.objects.filter(action="orgs.create_node", object_id=str(node.pk)).exists()


def test_adding_a_unit_with_a_used_code_or_a_wrong_type_says_why(personas, client_for):
    tree = personas.tree
    c = client_for(personas.county_admin)
    before = db_state()
    r = c.post(
        f"/orgs/{tree.TA1.code}/new/",
        {
            "code": tree.VA1.code,
            "name": "x",
            "kind": "village_clinic",
            "parent_code": tree.TA1.code,
        },
    )
    assert r.status_code == 400 and "已被使用" in r.content.decode()
    r = c.post(
        f"/orgs/{tree.TA1.code}/new/",
        {"code": "X1", "name": "x", "kind": "county", "parent_code": tree.TA1.code},
    )
    assert r.status_code == 400 and "不能放在" in r.content.decode()
    assert db_state() == before


def test_an_admin_renames_and_moves_a_unit_with_history(personas, client_for):
    tree = personas.tree
    c = client_for(personas.county_admin)
    r = c.post(
        f"/orgs/{tree.VA2.code}/edit/",
        {"name": "西村新卫生室", "kind": "village_clinic", "parent_code": tree.TA2.code},
    )
    assert r.status_code == 302
    tree.VA2.refresh_from_db()
    assert tree.VA2.name == "西村新卫生室" and tree.VA2.is_within(tree.TA2)
    kinds = set(NodeEvent.objects.filter(node=tree.VA2).values_list("kind", flat=True))
    assert {"renamed", "moved"} <= kinds


def test_an_unchanged_form_writes_nothing(personas, client_for):
    tree = personas.tree
    c = client_for(personas.county_admin)
    before = db_state()
    r = c.post(
        f"/orgs/{tree.VA2.code}/edit/",
        {"name": tree.VA2.name, "kind": "village_clinic", "parent_code": tree.TA1.code},
    )
    assert r.status_code == 302 and db_state() == before


def test_closing_a_unit_on_its_edit_page_records_the_closure(personas, client_for):
    tree = personas.tree
    c = client_for(personas.county_admin)
    c.post(
        f"/orgs/{tree.VA2.code}/edit/",
        {
            "name": tree.VA2.name,
            "kind": "village_clinic",
            "parent_code": tree.TA1.code,
            "closed": "2025-06-30",
        },
    )
    assert NodeEvent.objects.filter(node=tree.VA2, kind="closed").exists()


def test_a_unit_cannot_be_moved_out_of_the_admins_area(personas, client_for):
    tree = personas.tree
    c = client_for(personas.county_admin)
    before = db_state()
    r = c.post(
        f"/orgs/{tree.VA2.code}/edit/",
        {"name": tree.VA2.name, "kind": "village_clinic", "parent_code": tree.TB1.code},
    )
    assert r.status_code == 400 and "不是您管辖范围内的单位" in r.content.decode()
    assert db_state() == before


def test_closing_before_opening_is_refused(personas, client_for):
    tree = personas.tree
    c = client_for(personas.county_admin)
    r = c.post(
        f"/orgs/{tree.VA2.code}/edit/",
        {
            "name": tree.VA2.name,
            "kind": "village_clinic",
            "parent_code": tree.TA1.code,
            "opened": "2025-01-01",
            "closed": "2024-01-01",
        },
    )
    assert r.status_code == 400 and "早于" in r.content.decode()


def test_an_admin_enters_yearly_figures_and_a_part_above_the_whole_is_refused(personas, client_for):
    tree = personas.tree
    c = client_for(personas.county_admin)
    page = c.get(f"/orgs/{tree.VA1.code}/years/", {"year": 2025}).content.decode()
    assert 'value="1200"' in page
    r = c.post(
        f"/orgs/{tree.VA1.code}/years/", {"year": 2026, "permanent_residents": 1250, "beds": 3}
    )
    assert r.status_code == 302
    assert NodeYear.objects.get(node=tree.VA1, year=2026).beds == 3
    before = db_state()
    r = c.post(
        f"/orgs/{tree.VA1.code}/years/",
        {"year": 2026, "permanent_residents": 100, "residents_65_plus": 101},
    )
    assert r.status_code == 400 and "大于常住人口" in r.content.decode()
    assert db_state() == before


@pytest.mark.parametrize("suffix", ["edit/", "new/", "years/"])
def test_edit_pages_are_403_for_non_admins_and_404_outside_the_area(personas, client_for, suffix):
    tree = personas.tree
    assert (
        client_for(personas.county_reviewer).get(f"/orgs/{tree.TA1.code}/{suffix}").status_code
        == 403
    )
    assert (
        client_for(personas.county_admin).get(f"/orgs/{tree.TB1.code}/{suffix}").status_code == 404
    )


def test_the_edit_form_shows_dates_as_the_date_input_expects(personas, client_for):
    import datetime as dt

    from jiceng.orgs.actions import do_update_node

    tree = personas.tree
    do_update_node(None, tree.VA2, opened=dt.date(2001, 5, 1))
    html = client_for(personas.county_admin).get(f"/orgs/{tree.VA2.code}/edit/").content.decode()
    assert 'type="date" name="opened" value="2001-05-01"' in html
