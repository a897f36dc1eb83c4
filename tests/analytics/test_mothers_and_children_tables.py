"""The optional tables pregnancies and vaccinations, the new service codes and their load checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from jiceng.analytics import check_recordset, load_recordset
from jiceng.analytics.immunization import NATIONAL_2021, validate_schedule

from .helpers import write_recordset
from .test_bad_input import KEY, assert_refused, edit, good


def with_new_tables() -> dict:
    data = good()
    data["residents"] += [
        {"resident_id": "M1", "sex": "F", "birth_date": date(1995, 2, 1), "org_code": "A1"},
        {"resident_id": "C1", "sex": "M", "birth_date": date(2025, 3, 10), "org_code": "A1"},
    ]
    data["services"] += [
        {"resident_id": "M1", "service_date": date(2024, 8, 1), "service": "prenatal_first"},
        {"resident_id": "M1", "service_date": date(2024, 9, 1), "service": "prenatal_followup"},
        {"resident_id": "M1", "service_date": date(2024, 10, 1), "service": "prenatal_check"},
        {"resident_id": "M1", "service_date": date(2025, 3, 20), "service": "postpartum_visit"},
        {"resident_id": "C1", "service_date": date(2025, 3, 20), "service": "newborn_visit"},
        {"resident_id": "C1", "service_date": date(2025, 9, 20), "service": "tcm_child"},
        {"resident_id": "C1", "service_date": date(2025, 9, 20), "service": "child_checkup"},
    ]
    data["exams"].append(
        {"resident_id": "R2", "exam_date": date(2025, 6, 1), "kind": "general", "complete": True}
    )
    data["conditions"] += [
        {"resident_id": "R2", "condition": "smi", "enrolled_date": date(2024, 1, 1)},
        {"resident_id": "R1", "condition": "tb", "enrolled_date": date(2025, 2, 1)},
    ]
    data["pregnancies"] = [
        {
            "resident_id": "M1",
            "registered_date": date(2024, 8, 1),
            "registered_weeks": 11,
            "delivery_date": date(2025, 3, 10),
            "live_births": 1,
            "org_code": "A1",
        },
        {  # registered, not delivered yet
            "resident_id": "R2",
            "registered_date": date(2025, 10, 1),
            "registered_weeks": 9,
            "live_births": 0,
        },
    ]
    data["vaccinations"] = [
        {"resident_id": "C1", "vaccine": "HepB", "dose": 1, "vaccination_date": date(2025, 3, 10)},
        {"resident_id": "C1", "vaccine": "BCG", "dose": 1, "vaccination_date": date(2025, 3, 11)},
        {"resident_id": "C1", "vaccine": "HepB", "dose": 2, "vaccination_date": date(2025, 4, 10)},
    ]
    return data


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return write_recordset(tmp_path / "rs", with_new_tables())


def test_a_record_set_with_both_tables_loads_with_their_rows(src, tmp_path):
    assert check_recordset(src).problems == []
    store = tmp_path / "s.duckdb"
    res = load_recordset(src, store, pii_key=KEY)
    assert res.counts["pregnancies"] == 2 and res.counts["vaccinations"] == 3
    con = duckdb.connect(str(store), read_only=True)
    try:
        pregnancies = con.execute(
            "SELECT resident_id, registered_date, registered_weeks, delivery_date, live_births, "
            "org_code FROM pregnancies JOIN resident_ids USING (rid) ORDER BY resident_id"
        ).fetchall()
        vaccinations = con.execute(
            "SELECT resident_id, vaccine, dose, vaccination_date FROM vaccinations "
            "JOIN resident_ids USING (rid) ORDER BY vaccination_date"
        ).fetchall()
        types = dict(
            con.execute("SELECT column_name, column_type FROM (DESCRIBE pregnancies)").fetchall()
        )
    finally:
        con.close()
    assert pregnancies == [
        ("M1", date(2024, 8, 1), 11, date(2025, 3, 10), 1, "A1"),
        ("R2", date(2025, 10, 1), 9, None, 0, None),
    ]
    assert vaccinations == [
        ("C1", "HepB", 1, date(2025, 3, 10)),
        ("C1", "BCG", 1, date(2025, 3, 11)),
        ("C1", "HepB", 2, date(2025, 4, 10)),
    ]
    assert types["registered_weeks"] == "BIGINT" and types["delivery_date"] == "DATE"


def test_the_older_prenatal_codes_are_accepted_and_stored_as_prenatal_check(src, tmp_path):
    store = tmp_path / "s.duckdb"
    load_recordset(src, store, pii_key=KEY)
    con = duckdb.connect(str(store), read_only=True)
    try:
        got = con.execute(
            "SELECT service_date, service FROM services JOIN resident_ids USING (rid) "
            "WHERE resident_id = 'M1' "
            "AND service_date < DATE '2025-01-01' ORDER BY service_date"
        ).fetchall()
    finally:
        con.close()
    assert got == [
        (date(2024, 8, 1), "prenatal_check"),
        (date(2024, 9, 1), "prenatal_check"),
        (date(2024, 10, 1), "prenatal_check"),
    ]


def test_a_record_set_without_the_new_tables_loads_as_before(tmp_path):
    src = write_recordset(tmp_path / "rs", good())
    assert not (src / "pregnancies.csv").exists() and not (src / "vaccinations.csv").exists()
    result = check_recordset(src)
    assert result.problems == [] and result.warnings == []
    assert "pregnancies" not in result.counts and "vaccinations" not in result.counts
    store = tmp_path / "s.duckdb"
    res = load_recordset(src, store, pii_key=KEY)
    assert res.counts["residents"] == 2
    con = duckdb.connect(str(store), read_only=True)
    try:  # the tables exist, empty, so that SQL over them runs
        assert con.execute("SELECT count(*) FROM pregnancies").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM vaccinations").fetchone() == (0,)
    finally:
        con.close()


@pytest.mark.parametrize(
    "row,column,value,text",
    [
        (2, "registered_weeks", "46", "建册孕周 46 超出合理范围（0–45）"),
        (2, "registered_weeks", "-1", "建册孕周 -1 超出合理范围（0–45）"),
        (2, "registered_weeks", "12.5", "「12.5」不是整数"),
        (2, "delivery_date", "2024-07-31", "分娩日期 2024-07-31 早于建册日期 2024-08-01"),
        (2, "live_births", "-1", "活产数 -1 不能为负数"),
        (3, "live_births", "1", "活产数 1 大于 0，但没有填写分娩日期"),
        (3, "registered_date", "", "必填项为空"),
    ],
)
def test_it_rejects_a_bad_pregnancy(src, tmp_path, row, column, value, text):
    edit(src / "pregnancies.csv", row, column, value)
    assert_refused(src, tmp_path, f"pregnancies.csv，第{row}行，{column}列：{text}")


@pytest.mark.parametrize(
    "row,column,value,text",
    [
        (2, "vaccine", "COVID", "疫苗代码「COVID」不在免疫程序中（可用：HepB、BCG、"),
        (2, "vaccine", "hepb", "疫苗代码「hepb」不在免疫程序中"),
        (2, "dose", "0", "剂次 0 无效：应为 1 及以上的整数"),
        (2, "dose", "-2", "剂次 -2 无效：应为 1 及以上的整数"),
        (4, "dose", "4", "剂次 4 超出免疫程序：疫苗 HepB 只有 3 剂"),
        (3, "dose", "2", "剂次 2 超出免疫程序：疫苗 BCG 只有 1 剂"),
        (
            2,
            "vaccination_date",
            "2025-03-09",
            "接种日期 2025-03-09 早于居民「C1」的出生日期 2025-03-10",
        ),
        (2, "resident_id", "NOBODY", "居民编号「NOBODY」在 residents 表中不存在"),
    ],
)
def test_it_rejects_a_bad_vaccination(src, tmp_path, row, column, value, text):
    edit(src / "vaccinations.csv", row, column, value)
    assert_refused(src, tmp_path, f"vaccinations.csv，第{row}行，{column}列：{text}")


def test_a_pregnancy_of_an_unknown_resident_is_refused(src, tmp_path):
    edit(src / "pregnancies.csv", 2, "resident_id", "NOBODY")
    assert_refused(
        src,
        tmp_path,
        "pregnancies.csv，第2行，resident_id列：居民编号「NOBODY」在 residents 表中不存在",
    )


def test_skip_invalid_sets_aside_bad_pregnancies_and_vaccinations(src, tmp_path):
    edit(src / "pregnancies.csv", 3, "live_births", "2")
    edit(src / "vaccinations.csv", 3, "vaccine", "XYZ")
    edit(src / "vaccinations.csv", 4, "vaccination_date", "2020-01-01")
    rejects = tmp_path / "rejects.csv"
    store = tmp_path / "s.duckdb"
    res = load_recordset(src, store, pii_key=KEY, skip_invalid=True, rejects=rejects)
    assert res.counts["pregnancies"] == 1 and res.counts["vaccinations"] == 1
    assert res.rejected == 3
    text = rejects.read_text(encoding="utf-8-sig")
    assert "pregnancies.csv,3,有活产但没有分娩日期" in text
    assert "vaccinations.csv,3,疫苗代码不在免疫程序中" in text
    assert "vaccinations.csv,4,接种日期早于出生日期" in text
    con = duckdb.connect(str(store), read_only=True)
    try:
        assert con.execute("SELECT vaccine, dose FROM vaccinations").fetchall() == [("HepB", 1)]
    finally:
        con.close()


def test_a_vaccination_of_a_set_aside_resident_is_set_aside_too(src, tmp_path):
    edit(src / "residents.csv", 5, "sex", "X")  # C1
    res = load_recordset(src, tmp_path / "s.duckdb", pii_key=KEY, skip_invalid=True)
    assert res.counts["vaccinations"] == 0


def test_xlsx_and_parquet_tables_are_read_too(src, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from openpyxl import Workbook

    (src / "pregnancies.csv").unlink()
    wb = Workbook()
    ws = wb.active
    ws.title = "pregnancies"
    ws.append(
        ["resident_id", "registered_date", "registered_weeks", "delivery_date", "live_births"]
    )
    ws.append(["M1", date(2024, 8, 1), 11, date(2025, 3, 10), 1])
    ws.append(["R2", "2025-10-01", 50, None, 0])
    wb.save(src / "pregnancies.xlsx")
    (src / "vaccinations.csv").unlink()
    pq.write_table(
        pa.table(
            {
                "resident_id": ["C1", "C1"],
                "vaccine": ["HepB", "MMR"],
                "dose": pa.array([1, 3], type=pa.int32()),
                "vaccination_date": [date(2025, 3, 10), date(2026, 1, 1)],
            }
        ),
        src / "vaccinations.parquet",
    )
    found = [str(p) for p in check_recordset(src).problems]
    assert found == [
        "pregnancies.xlsx，第3行，registered_weeks列：建册孕周 50 超出合理范围（0–45）",
        "vaccinations.parquet，第2行，dose列：剂次 3 超出免疫程序：疫苗 MMR 只有 2 剂",
    ]


def test_a_province_schedule_replaces_the_national_one_in_the_checks(src):
    own = {**NATIONAL_2021, "EV71": {1: 6, 2: 7}}
    own["BCG"] = {1: 0, 2: 84}
    edit(src / "vaccinations.csv", 2, "vaccine", "EV71")
    edit(src / "vaccinations.csv", 3, "dose", "2")
    assert any("EV71" in str(p) for p in check_recordset(src).problems)
    assert check_recordset(src, immunization_schedule=own).problems == []


def test_the_default_schedule_is_the_national_programme_of_2021():
    assert {v: dict(d) for v, d in NATIONAL_2021.items()} == {
        "HepB": {1: 0, 2: 1, 3: 6},
        "BCG": {1: 0},
        "IPV": {1: 2, 2: 3},
        "bOPV": {1: 4, 2: 48},
        "DTaP": {1: 3, 2: 4, 3: 5, 4: 18},
        "DT": {1: 72},
        "MMR": {1: 8, 2: 18},
        "JE-L": {1: 8, 2: 24},
        "MPSV-A": {1: 6, 2: 9},
        "MPSV-AC": {1: 36, 2: 72},
        "HepA-L": {1: 18},
    }


@pytest.mark.parametrize(
    "schedule,text",
    [
        ({}, "非空映射"),
        ([("HepB", {1: 0})], "非空映射"),
        ({"HepB": {}}, "没有剂次"),
        ({"HepB": {0: 0}}, "应为 1 及以上的整数"),
        ({"HepB": {1: 0, 3: 6}}, "连续编号"),
        ({"HepB": {1: 6, 2: 1}}, "早于第 1 剂"),
        ({"HepB": {1: -1}}, "月龄「-1」"),
        ({"Hep B": {1: 0}}, "不能含空格"),
        ({"": {1: 0}}, "疫苗代码「」无效"),
    ],
)
def test_a_malformed_schedule_is_refused(schedule, text):
    with pytest.raises(ValueError, match=text):
        validate_schedule(schedule)


def test_a_schedule_from_yaml_or_json_may_have_text_doses():
    assert dict(validate_schedule({"HepB": {"1": 0, "2": "1"}})["HepB"]) == {1: 0, 2: 1}


def test_a_store_loaded_before_the_new_tables_still_exports_for_spark(tmp_path):
    import pyarrow.parquet as pq

    from jiceng.analytics.engines import export_parquet

    store = tmp_path / "old.duckdb"
    load_recordset(write_recordset(tmp_path / "rs", good()), store, pii_key=KEY)
    con = duckdb.connect(str(store))
    con.execute("DROP TABLE pregnancies")
    con.execute("DROP TABLE vaccinations")
    con.close()
    out = export_parquet(store)
    empty = pq.read_table(out / "vaccinations.parquet")
    assert empty.num_rows == 0
    assert empty.column_names == ["rid", "vaccine", "dose", "vaccination_date"]
    assert pq.read_table(out / "residents.parquet").num_rows == 2
