"""Loading, deactivating and looking up catalogs in the platform."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from jiceng.core.audit import trail_for
from jiceng.core.errors import UserError
from jiceng.standards.actions import (
    catalog_for,
    do_load_catalog,
    do_load_samples,
    do_set_catalog_active,
    spec_of,
)
from jiceng.standards.catalog import load_catalog_file, sample_catalog_paths
from jiceng.standards.excel import write_catalog_excel
from jiceng.standards.models import Catalog, Item


def township():
    path = sample_catalog_paths()["township_hc"]
    return load_catalog_file(path), path.read_text(encoding="utf-8"), path.name


def test_an_admin_loads_a_catalog_with_its_items_in_order_and_one_audit_row(personas):
    spec, text, name = township()
    catalog = do_load_catalog(personas.county_admin, spec, text, name)
    items = list(Item.objects.filter(catalog=catalog))
    assert [i.code for i in items] == [i.code for i in spec.items]
    first = items[0]
    assert (first.chapter, first.chapter_title, first.section, first.section_title) == (
        "1",
        "功能任务与资源配置",
        "1.1",
        "功能任务",
    )
    assert catalog.source == text and catalog.active
    trail = list(trail_for(catalog))
    assert [e.action for e in trail] == ["standards.load_catalog"]
    assert trail[0].actor == personas.county_admin


def test_loading_the_same_code_and_version_twice_is_refused(personas):
    spec, text, name = township()
    do_load_catalog(None, spec, text, name)
    with pytest.raises(UserError):
        do_load_catalog(None, spec, text, name)
    assert Catalog.objects.count() == 1


@pytest.mark.parametrize("who", ["clerk", "county_reviewer", "analyst", "province_reviewer"])
def test_only_administrators_load_catalogs(personas, who):
    spec, text, name = township()
    with pytest.raises(PermissionDenied):
        do_load_catalog(getattr(personas, who), spec, text, name)
    assert not Catalog.objects.exists()


def test_spec_of_gives_back_the_loaded_spec(personas):
    spec, text, name = township()
    catalog = do_load_catalog(None, spec, text, name)
    assert spec_of(Catalog.objects.get(pk=catalog.pk)) == spec


def test_an_excel_upload_is_stored_as_yaml_and_reads_back(personas):
    spec, _text, _name = township()
    write_catalog_excel(spec)
    catalog = do_load_catalog(personas.province_admin, spec, "", "official.xlsx")
    assert catalog.source_name == "official.yaml"
    assert spec_of(catalog) == spec


def test_catalog_for_gives_the_newest_active_catalog_of_a_kind(personas):
    spec, text, name = township()
    old = do_load_catalog(None, spec, text, name)
    newer_spec = spec.model_copy(update={"version": "2023"})
    newer = do_load_catalog(None, newer_spec, newer_spec.to_yaml(), "v2023.yaml")
    region = personas.tree.A
    assert catalog_for("township_hc", region) == newer
    do_set_catalog_active(personas.province_admin, newer, False, reason="作废")
    assert catalog_for("township_hc", region) == old
    assert catalog_for("community_hc", region) is None
    assert [e.action for e in trail_for(newer)][0] == "standards.deactivate_catalog"


def test_the_samples_cover_every_grassroots_kind_and_load_once(personas):
    loaded = do_load_samples(None)
    assert len(loaded) == 3
    assert do_load_samples(None) == []
    for kind in ("township_hc", "community_hc", "village_clinic", "community_station"):
        assert catalog_for(kind, personas.tree.A) is not None
