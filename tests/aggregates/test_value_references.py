"""A value's unit, data set and user are references kept by Django, not by database
constraints (a bulk import would pay a lookup per row): deleting what values point to is
refused, or clears the user, exactly as the constraints would have it."""

import pytest
from django.db.models import ProtectedError

from jiceng.aggregates.batch import Row, save_rows
from jiceng.aggregates.models import DataValue

from .helpers import load_sample


@pytest.fixture
def saved(personas):
    t = personas.tree
    version = load_sample("satisfaction", t.P)
    save_rows(
        personas.county_admin,
        "SATISFACTION",
        [Row(2, t.TA1.code, "2025Q1", "OUT_SURVEYED", "", "40")],
    )
    return personas, version


def test_a_unit_with_values_cannot_be_deleted(saved):
    personas, _version = saved
    with pytest.raises(ProtectedError):
        personas.tree.TA1.delete()
    assert DataValue.objects.filter(node=personas.tree.TA1).count() == 1


def test_a_data_set_version_with_values_cannot_be_deleted(saved):
    _personas, version = saved
    with pytest.raises(ProtectedError):
        version.delete()
    assert DataValue.objects.filter(dataset=version).count() == 1


def test_deleting_the_user_who_saved_a_value_keeps_the_value_without_its_user(saved):
    personas, version = saved
    value = DataValue.objects.get(dataset=version)
    assert value.updated_by_id == personas.county_admin.pk
    personas.county_admin.delete()
    value.refresh_from_db()
    assert value.updated_by_id is None and value.value == "40"
