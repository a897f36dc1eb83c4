"""Catalogs belong to the region that loaded them, apply within it, and only that region's
administrators (or those above) change them."""

from __future__ import annotations

import importlib

import pytest
from django.core.exceptions import PermissionDenied

from jiceng.core.errors import UserError, ValidationFailed
from jiceng.standards.actions import (
    catalog_for,
    do_load_catalog,
    do_load_samples,
    do_set_catalog_active,
)
from jiceng.standards.catalog import load_catalog_file, sample_catalog_paths
from jiceng.standards.models import Catalog


def make_user(*args, **kw):
    from conftest import make_user

    return make_user(*args, **kw)


@pytest.fixture
def api(client_for):
    """``api(user)(method, path, json=..., data=...)`` through the session login."""

    def for_user(user):
        client = client_for(user)

        def call(method, path, **kwargs):
            if "json" in kwargs:
                kwargs["data"] = kwargs.pop("json")
                kwargs["content_type"] = "application/json"
            return getattr(client, method.lower())(f"/api/v1{path}", **kwargs)

        return call

    return for_user


def township(version=None):
    path = sample_catalog_paths()["township_hc"]
    spec = load_catalog_file(path)
    if version:
        spec = spec.model_copy(update={"version": version})
        return spec, spec.to_yaml(), f"v{version}.yaml"
    return spec, path.read_text(encoding="utf-8"), path.name


@pytest.fixture
def admin_b(personas):
    return make_user("admin_b", "admin", personas.tree.B)


def test_a_catalog_loaded_by_a_county_admin_belongs_to_that_county(personas):
    catalog = do_load_catalog(personas.county_admin, *township())
    assert catalog.owner == personas.tree.A


def test_the_samples_loaded_by_the_system_belong_to_the_root_of_the_tree(personas):
    loaded = do_load_samples(None)
    assert {c.owner for c in loaded} == {personas.tree.P}


def test_a_county_admin_cannot_deactivate_a_province_catalog(personas):
    catalog = do_load_catalog(personas.province_admin, *township())
    with pytest.raises(PermissionDenied):
        do_set_catalog_active(personas.county_admin, catalog, False, reason="不想用")
    catalog.refresh_from_db()
    assert catalog.active


def test_a_county_admin_gets_403_deactivating_a_province_catalog_on_the_page(personas, client_for):
    catalog = do_load_catalog(personas.province_admin, *township())
    client = client_for(personas.county_admin)
    response = client.post(f"/standards/{catalog.pk}/active/", {"active": "0"})
    assert response.status_code == 403
    assert (
        'data-testid="active-form"' not in client.get(f"/standards/{catalog.pk}/").content.decode()
    )
    catalog.refresh_from_db()
    assert catalog.active


def test_the_province_admin_may_deactivate_a_county_catalog(personas):
    catalog = do_load_catalog(personas.county_admin, *township())
    do_set_catalog_active(personas.province_admin, catalog, False)
    catalog.refresh_from_db()
    assert not catalog.active


def test_the_province_may_load_a_catalog_code_a_county_uses_too(personas):
    do_load_catalog(personas.county_admin, *township())
    assert do_load_catalog(personas.province_admin, *township()).owner == personas.tree.P


def test_a_county_admin_cannot_load_a_new_version_of_a_province_catalog(personas):
    do_load_catalog(personas.province_admin, *township())
    with pytest.raises(UserError, match="测试省"):
        do_load_catalog(personas.county_admin, *township("2099"))
    assert Catalog.objects.count() == 1
    assert do_load_catalog(personas.province_admin, *township("2099")).owner == personas.tree.P


def test_a_county_admin_cannot_load_a_catalog_for_the_province(personas):
    with pytest.raises(PermissionDenied):
        do_load_catalog(personas.county_admin, *township(), owner=personas.tree.P)


def test_two_counties_may_each_load_their_own_catalog_with_the_same_code(personas, admin_b):
    a = do_load_catalog(personas.county_admin, *township())
    b = do_load_catalog(admin_b, *township())
    assert (a.owner, b.owner) == (personas.tree.A, personas.tree.B)


def test_a_county_catalog_is_invisible_to_another_county(personas, admin_b, client_for):
    catalog = do_load_catalog(personas.county_admin, *township())
    for user in (admin_b, personas.county_reviewer_b):
        client = client_for(user)
        assert catalog.title not in client.get("/standards/").content.decode()
        assert client.get(f"/standards/{catalog.pk}/").status_code == 404
        assert client.get(f"/standards/{catalog.pk}/source/").status_code == 404
        assert client.get(f"/standards/{catalog.pk}/catalog.xlsx").status_code == 404
        client.logout()
    for user in (personas.clerk, personas.county_reviewer, personas.province_admin):
        client = client_for(user)
        assert client.get(f"/standards/{catalog.pk}/").status_code == 200
        client.logout()


def test_the_list_and_detail_pages_name_the_owner_region(personas, client_for):
    catalog = do_load_catalog(personas.county_admin, *township())
    client = client_for(personas.clerk)
    for url in ("/standards/", f"/standards/{catalog.pk}/"):
        html = client.get(url).content.decode()
        assert 'data-testid="owner"' in html and "甲县" in html


def test_the_api_names_the_owner_and_hides_other_regions_catalogs(personas, admin_b, api):
    catalog = do_load_catalog(personas.county_admin, *township())
    rows = api(personas.clerk)("get", "/standards/catalogs").json()["items"]
    assert [(r["id"], r["owner_code"], r["owner_name"]) for r in rows] == [
        (catalog.pk, personas.tree.A.code, "甲县")
    ]
    call_b = api(admin_b)
    assert call_b("get", "/standards/catalogs").json() == {"items": [], "count": 0}
    assert call_b("get", f"/standards/catalogs/{catalog.pk}").status_code == 404
    answer = call_b("post", "/standards/verdict", json={"catalog_id": catalog.pk, "grades": {}})
    assert answer.status_code == 404


def test_the_api_loads_a_catalog_for_a_region_below_but_not_above(personas, api):
    path = sample_catalog_paths()["village_clinic"]
    call = api(personas.county_admin)
    with path.open("rb") as f:
        refused = call(
            "post", "/standards/catalogs", data={"file": f, "owner": personas.tree.P.code}
        )
    assert refused.status_code == 404  # the province is out of the county's sight
    call = api(personas.province_admin)
    with path.open("rb") as f:
        ok = call("post", "/standards/catalogs", data={"file": f, "owner": personas.tree.A.code})
    assert ok.status_code == 201, ok.content
    assert ok.json()["owner_code"] == personas.tree.A.code


def test_a_cycle_only_uses_catalogs_that_apply_to_its_region(personas, admin_b):
    from jiceng.assessments.actions import do_open_cycle

    a_catalogs = do_load_samples(personas.county_admin)
    with pytest.raises(ValidationFailed) as exc:
        do_open_cycle(admin_b, personas.tree.B, 2025)
    assert "township_hc" in str([p.field for p in exc.value.problems])
    with pytest.raises(ValidationFailed) as exc:
        do_open_cycle(
            admin_b,
            personas.tree.B,
            2025,
            catalogs={c.institution_kinds[0]: c for c in a_catalogs},
        )
    assert any("甲县" in str(p) for p in exc.value.problems)
    assert catalog_for("township_hc", personas.tree.B) is None
    assert catalog_for("township_hc", personas.tree.TA1) is not None


def test_the_cycle_api_does_not_take_another_regions_catalog(personas, admin_b, api):
    catalog = do_load_catalog(personas.county_admin, *township())
    do_load_samples(None)
    answer = api(admin_b)(
        "post",
        "/evaluation/cycles",
        json={
            "region": personas.tree.B.code,
            "year": 2025,
            "catalogs": {"township_hc": catalog.pk},
        },
    )
    assert answer.status_code == 422
    assert str(catalog.pk) in answer.content.decode()


def test_the_open_cycle_form_offers_only_catalogs_the_admin_sees(personas, admin_b, client_for):
    catalog = do_load_catalog(personas.county_admin, *township())
    html = client_for(admin_b).get("/evaluation/cycles/new/").content.decode()
    assert f'value="{catalog.pk}"' not in html


def test_the_migration_gives_ownerless_catalogs_the_root_of_the_tree(personas):
    from django.apps import apps

    catalog = do_load_catalog(None, *township(), owner=None)
    assert catalog.owner is None
    migration = importlib.import_module("jiceng.standards.migrations.0003_catalog_owner_region")
    migration.assign_owners(apps, None)
    catalog.refresh_from_db()
    assert catalog.owner == personas.tree.P


def test_the_migration_follows_the_cycles_when_the_tree_has_several_roots(personas):
    from django.apps import apps

    from jiceng.assessments.models import CycleCatalog
    from jiceng.orgs.actions import do_create_node

    catalog = do_load_catalog(None, *township(), owner=None)
    do_create_node(None, code="990000000000", name="另一省", kind="province", parent=None)
    from assessments.conftest import open_cycle

    do_load_samples(None, owner=None)
    unused = do_load_catalog(None, *township("2099"), owner=None)
    cycle = open_cycle(personas.tree.A, catalogs={"township_hc": catalog})
    assert CycleCatalog.objects.filter(cycle=cycle, catalog=catalog).exists()
    migration = importlib.import_module("jiceng.standards.migrations.0003_catalog_owner_region")
    migration.assign_owners(apps, None)
    catalog.refresh_from_db()
    assert catalog.owner == personas.tree.P
    unused.refresh_from_db()
    assert unused.owner is None  # used nowhere, loaded by the system: stays national


def test_the_samples_command_loads_for_the_region_it_is_given(personas):
    from django.core.management import CommandError, call_command

    call_command("standards_samples", region=personas.tree.A.code, user="admin_a")
    assert set(Catalog.objects.values_list("owner", flat=True)) == {personas.tree.A.pk}
    with pytest.raises(CommandError):
        call_command("standards_samples", region=personas.tree.P.code, user="admin_a")
    with pytest.raises(CommandError):
        call_command("standards_samples", region="no-such-code")
