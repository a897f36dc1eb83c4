"""The units' yearly totals: every write keeps them equal to a rebuild from the values, and a
year's aggregate read from them equals the contract's engine over every value."""

import random
from dataclasses import replace
from decimal import Decimal

from django.core.management import call_command

from jiceng.aggregates import actions, totals
from jiceng.aggregates.batch import Row, save_rows
from jiceng.aggregates.models import UnitTotal
from jiceng.aggregates.queries import province_aggregate
from jiceng.datasets import parse_period
from jiceng.datasets.engine import keys_of

from .helpers import load_sample, random_text, save_random_values
from .test_province_aggregate import engine_and_database


def table() -> set[tuple]:
    return set(
        UnitTotal.objects.values_list(
            "dataset_code", "node_id", "year", "months", "element", "option", "whole",
            "fraction", "periods", "inexact",
        )
    )  # fmt: skip


def rebuilt() -> set[tuple]:
    """The totals as a rebuild from the values gives them (the table is left rebuilt)."""
    totals.rebuild()
    return table()


def test_form_saves_keep_the_totals_of_their_unit_and_year(personas):
    """Values saved, changed and cleared through the form: the totals are what a rebuild
    gives; by hand, TA1's trained staff in 2025 = 12 + 3 = 15 over 2 quarters."""
    t = personas.tree
    version = load_sample("staff_training", t.P)
    actions.do_save_values(None, version, t.TA1, "2025Q1", {"TRAINED": "12", "GP_COUNT": "2"})
    actions.do_save_values(None, version, t.TA1, "2025Q3", {"TRAINED": "3"})
    actions.do_save_values(None, version, t.TA1, "2024Q4", {"TRAINED": "100"})
    got = UnitTotal.objects.get(node=t.TA1, year=2025, element="TRAINED")
    assert (got.whole, got.periods, got.months) == (15, 2, 3)
    actions.do_save_values(None, version, t.TA1, "2025Q3", {"TRAINED": ""})  # cleared
    actions.do_save_values(None, version, t.TA1, "2025Q1", {"TRAINED": "20"})  # changed
    assert UnitTotal.objects.get(node=t.TA1, year=2025, element="TRAINED").whole == 20
    assert UnitTotal.objects.get(node=t.TA1, year=2024, element="TRAINED").whole == 100
    before = table()
    assert before == rebuilt()


def test_a_batch_import_keeps_the_totals_and_the_year_equals_the_engine(personas):
    """A county's batch (new values, then changed ones and a cleared one in a second batch)
    over two years of a monthly data set with decimals: totals = rebuild; the year's
    aggregate from them = the engine over every value."""
    t = personas.tree
    version = load_sample("service_cooperation", t.P)
    ds = version.definition()
    rnd = random.Random("totals-batch")
    units = [t.TA1, t.TA2, t.VA1, t.TB1]
    keys = [
        (key, el)
        for key, el in keys_of(ds)
        if el.value_type != "text" and (not el.options or "." in key)
    ]
    rows, n = [], 0
    for unit in units:
        if unit.kind not in ds.institution_kinds:
            continue
        for month in ("2024-12", "2025-01", "2025-02", "2025-07"):
            for key, el in keys:
                if rnd.random() < 0.7:
                    element, _s, option = key.partition(".")
                    n += 1
                    rows.append(
                        Row(n, unit.code, month, element, option, random_text(rnd, el.value_type))
                    )
    assert save_rows(None, version.code, rows)["forms"] >= 4
    assert table() == rebuilt()
    # a fifth of the values changed to 7, the first of them cleared
    changed = [replace(r, value="7") for r in rows[::5]]
    changed[0] = replace(changed[0], value="")
    save_rows(None, version.code, changed)
    after = table()
    assert after == rebuilt()
    slow, fast = engine_and_database(version, t.P, "2025")
    assert fast == slow


def test_the_year_aggregate_reads_the_totals(personas):
    """The whole-year aggregate reads the totals (a twelfth of a monthly data set's rows):
    a total altered by hand shows in the year, not in a quarter, until a rebuild."""
    t = personas.tree
    version = load_sample("service_cooperation", t.P)
    actions.do_save_values(None, version, t.TA1, "2025-01", {"OUTPATIENT_VISITS": "900"})
    actions.do_save_values(None, version, t.TA1, "2025-02", {"OUTPATIENT_VISITS": "100"})
    year, q1 = parse_period("2025"), parse_period("2025Q1")
    assert province_aggregate(version, t.P, year)[t.P.code]["OUTPATIENT_VISITS"] == 1000
    UnitTotal.objects.filter(node=t.TA1, element="OUTPATIENT_VISITS").update(whole=1)
    assert province_aggregate(version, t.P, year)[t.P.code]["OUTPATIENT_VISITS"] == 1
    assert province_aggregate(version, t.P, q1)[t.P.code]["OUTPATIENT_VISITS"] == 1000
    call_command("aggregates_totals", "--dataset", version.code)
    assert province_aggregate(version, t.P, year)[t.P.code]["OUTPATIENT_VISITS"] == 1000


def test_random_forms_of_every_sample_keep_totals_equal_to_a_rebuild(personas):
    """Seeded random forms of two sample data sets, then half of them saved again with new
    values: the totals kept by the saves are exactly a rebuild's."""
    t = personas.tree
    rnd = random.Random("totals-forms")
    for stem in ("health_education", "service_cooperation"):
        version = load_sample(stem, t.P)
        save_random_values(version, t.P, parse_period("2025"), rnd)
        save_random_values(version, t.P, parse_period("2025"), rnd)
    assert table() == rebuilt()


def test_totals_added_up_from_a_batch_equal_those_read_back(personas):
    """A batch's new values (decimals with up to 10 places, one with 11, negatives, a
    16-digit whole number; two years) are added up without reading them back where a unit
    and year had no totals, and read back where it had: either way the table is a
    rebuild's. By hand, TA2's 2025 hours: 1.25 - 0.5 = 0.75 over 2 periods."""
    from jiceng.aggregates.models import DataValue

    t = personas.tree
    version = load_sample("health_education", t.P)
    actions.do_save_values(None, version, t.TA1, "2025Q1", {"LECTURES": "2"})  # TA1 had totals
    new = [
        (t.TA1, "2025Q2", "LECTURES", "", "3"),
        (t.TA1, "2025Q3", "VIDEO_HOURS", "", "0.12345678901"),  # 11 places: inexact
        (t.TA2, "2025Q1", "VIDEO_HOURS", "", "1.25"),
        (t.TA2, "2025Q4", "VIDEO_HOURS", "", "-0.5"),
        (t.TA2, "2024Q4", "LECTURES", "", "1234567890123456"),  # 16 digits: inexact
        (t.TB1, "2025Q2", "MATERIALS", "leaflet", "40"),
        (t.TB1, "2025Q3", "MATERIALS", "leaflet", "7"),
        (t.TB1, "2025Q3", "MATERIALS", "booklet", "5"),
    ]
    DataValue.objects.bulk_create(
        DataValue(dataset=version, node=n, period=p, element=e, option=o, value=v, number=v)
        for n, p, e, o, v in new
    )
    totals.refresh_with(
        version.code,
        [n.pk for n, *_r in new],
        [2024, 2025],
        [(n.pk, p, {f"{e}.{o}" if o else e: (v, Decimal(v))}) for n, p, e, o, v in new],
    )
    hours = UnitTotal.objects.get(node=t.TA2, year=2025, element="VIDEO_HOURS")
    assert (hours.periods, hours.last_period, hours.last_value) == (2, "2025Q4", "-0.5")
    kept = table()
    assert kept == rebuilt()
    assert len(kept) >= 6
