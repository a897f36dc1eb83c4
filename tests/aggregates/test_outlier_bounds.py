"""Administrators' min/max per data element and unit kind (DHIS2's min-max outliers), beside
the statistical rule: set on the data set's page, flagged on the form and in the analysis."""

import pytest
from django.urls import reverse

from jiceng.aggregates import actions
from jiceng.aggregates.models import OutlierBound
from jiceng.core.errors import UserError, ValidationFailed
from jiceng.core.models import AuditEvent

from .helpers import load_sample


@pytest.fixture
def edu(personas):
    return load_sample("health_education", personas.tree.P)


def set_bound(client, version, **fields):
    return client.post(reverse("aggregates:set_bound", args=[version.pk]), fields)


def test_the_nearest_regions_min_max_flags_a_value_on_the_form_and_in_the_analysis(
    personas, client_for, edu
):
    t = personas.tree
    # the province allows up to 100 lectures a quarter at township centres, county A up to 20
    # (one test client: each log-in replaces the last)
    province = client_for(personas.province_admin)
    response = set_bound(
        province, edu, key="LECTURES", kind="township_hc", maximum="100", owner=t.P.code
    )
    assert response.status_code == 302
    county = client_for(personas.county_admin)
    response = set_bound(
        county, edu, key="LECTURES", kind="township_hc", minimum="1", maximum="20", owner=t.A.code
    )
    assert response.status_code == 302
    for unit in (t.TA1, t.TB1):  # no history: the statistical rule cannot flag them
        actions.do_save_values(None, edu, unit, "2025Q1", {"LECTURES": "30"})
    form = county.get(reverse("aggregates:form", args=[edu.pk, t.TA1.code, "2025Q1"]))
    assert form.context["checks"].out_of_bounds == {"LECTURES": "高于最大值 20"}
    assert "超出设定范围" in form.content.decode()
    province = client_for(personas.province_admin)
    other = province.get(reverse("aggregates:form", args=[edu.pk, t.TB1.code, "2025Q1"]))
    assert other.context["checks"].outliers == set()  # 30 ≤ 100, county B's bound
    url = reverse("aggregates:validation", args=[t.P.code]) + f"?dataset={edu.pk}&period=2025"
    found = province.get(url).context["outliers"]
    assert [(o["unit"].code, o["key"], o["reason"]) for o in found] == [
        (t.TA1.code, "LECTURES", "高于最大值 20")
    ]
    assert AuditEvent.objects.filter(action="aggregates.set_outlier_bound").count() == 2


def test_a_bound_is_for_one_unit_kind_and_one_option(personas, edu):
    t = personas.tree
    actions.do_set_outlier_bound(None, edu, t.A, "MATERIALS.leaflet", "township_hc", "", "5")
    actions.do_save_values(None, edu, t.TA1, "2025Q1", {"MATERIALS.leaflet": "9"})
    actions.do_save_values(None, edu, t.CA1, "2025Q1", {"MATERIALS.leaflet": "9"})
    from jiceng.aggregates.queries import form_checks

    assert form_checks(edu, t.TA1, "2025Q1").out_of_bounds == {"MATERIALS.leaflet": "高于最大值 5"}
    assert form_checks(edu, t.CA1, "2025Q1").outliers == set()  # a community centre


def test_setting_again_changes_the_bound_and_keeps_before_and_after(personas, edu):
    t = personas.tree
    actions.do_set_outlier_bound(None, edu, t.A, "LECTURES", "township_hc", "1", "20")
    actions.do_set_outlier_bound(None, edu, t.A, "LECTURES", "township_hc", "2", "")
    bound = OutlierBound.objects.get()
    assert (bound.minimum, bound.maximum) == (2, None)
    last = AuditEvent.objects.filter(action="aggregates.set_outlier_bound").latest("pk")
    assert last.before == {"minimum": "1", "maximum": "20"}
    assert (last.after["minimum"], last.after["maximum"]) == ("2", None)


@pytest.mark.parametrize(
    ("key", "kind", "low", "high", "message"),
    [
        ("NOPE", "township_hc", "1", "2", "未知的数据元"),
        ("LECTURES", "county", "1", "2", "不填报此数据集"),
        ("LECTURES", "township_hc", "多", "2", "最小值不是数字：多"),
        ("LECTURES", "township_hc", "5", "2", "最小值大于最大值"),
        ("LECTURES", "township_hc", "", "", "请填写最小值、最大值或两者"),
    ],
)
def test_a_bad_bound_is_named_in_chinese_and_nothing_is_saved(
    personas, edu, key, kind, low, high, message
):
    with pytest.raises((ValidationFailed, UserError)) as caught:
        actions.do_set_outlier_bound(None, edu, personas.tree.A, key, kind, low, high)
    err = caught.value
    text = str(err) + "".join(p.message for p in getattr(err, "problems", []))
    assert message in text
    assert not OutlierBound.objects.exists()


def test_staff_cannot_set_bounds_and_an_administrator_removes_one(personas, client_for, edu):
    t = personas.tree
    response = set_bound(
        client_for(personas.clerk), edu, key="LECTURES", kind="township_hc", maximum="9"
    )
    assert response.status_code == 403 and not OutlierBound.objects.exists()
    bound = actions.do_set_outlier_bound(None, edu, t.A, "LECTURES", "township_hc", "", "9")
    in_b = actions.do_set_outlier_bound(None, edu, t.B, "LECTURES", "township_hc", "", "9")
    county = client_for(personas.county_admin)
    # county B's bound is out of county A's administrator's sight
    assert (
        county.post(reverse("aggregates:delete_bound", args=[edu.pk, in_b.pk])).status_code == 404
    )
    page = county.get(reverse("aggregates:dataset", args=[edu.pk]))
    assert 'data-key="LECTURES"' in page.content.decode()
    county.post(reverse("aggregates:delete_bound", args=[edu.pk, bound.pk]))
    assert list(OutlierBound.objects.all()) == [in_b]
    assert AuditEvent.objects.filter(action="aggregates.delete_outlier_bound").count() == 1
