"""Every kind of bad input is reported with file, row, column and reason, and nothing is loaded."""

from __future__ import annotations

import csv
import hashlib
import hmac
from datetime import date
from pathlib import Path

import duckdb
import pytest

from jiceng.analytics import check_recordset, load_recordset
from jiceng.core.errors import ValidationFailed

from .helpers import TREE, write_recordset

KEY = b"test-key"


def good() -> dict:
    return {
        "population": [
            {"org_code": "A1", "year": 2025, "permanent_residents": 10},
            {"org_code": "B1", "year": 2025, "permanent_residents": 5},
        ],
        "residents": [
            {
                "resident_id": "R1",
                "sex": "M",
                "birth_date": date(1950, 1, 1),
                "org_code": "A1",
                "record_date": date(2020, 1, 1),
                "id_number": "330101195001011234",
            },
            {"resident_id": "R2", "sex": "女", "birth_date": date(1980, 5, 5), "org_code": "B1"},
        ],
        "conditions": [
            {"resident_id": "R1", "condition": "hypertension", "enrolled_date": date(2020, 1, 1)}
        ],
        "followups": [
            {
                "resident_id": "R1",
                "condition": "hypertension",
                "visit_date": date(2025, 3, 1),
                "mode": "face_to_face",
                "sbp": 130,
                "dbp": 80,
            }
        ],
        "exams": [
            {
                "resident_id": "R1",
                "exam_date": date(2025, 4, 1),
                "kind": "elderly_annual",
                "complete": True,
            }
        ],
        "services": [
            {"resident_id": "R1", "service_date": date(2025, 4, 1), "service": "tcm_elderly"}
        ],
        "contracts": [
            {
                "resident_id": "R2",
                "team_id": "T",
                "start_date": date(2025, 1, 1),
                "end_date": date(2025, 12, 31),
            }
        ],
    }


def edit(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell of a CSV (row as the user sees it: header is row 1)."""
    with path.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    rows[row - 1][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def problems_of(src: Path) -> list[str]:
    return [str(p) for p in check_recordset(src).problems]


def assert_refused(src: Path, tmp_path: Path, *expected: str) -> None:
    """check reports each expected text and load raises, leaving no store behind."""
    found = problems_of(src)
    for text in expected:
        assert any(text in p for p in found), (text, found)
    store = tmp_path / "store.duckdb"
    with pytest.raises(ValidationFailed) as e:
        load_recordset(src, store, pii_key=KEY)
    assert not store.exists()
    assert not list(tmp_path.glob(".store.duckdb*"))
    assert e.value.problems


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return write_recordset(tmp_path / "rs", good())


def test_a_good_record_set_has_no_problems(src):
    result = check_recordset(src)
    assert result.problems == []
    assert result.counts["residents"] == 2


def test_it_rejects_a_missing_required_column(src, tmp_path):
    with (src / "residents.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    i = rows[0].index("birth_date")
    with (src / "residents.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([r[:i] + r[i + 1 :] for r in rows])
    assert_refused(src, tmp_path, "residents.csv，第1行，birth_date列：缺少必需的列 birth_date")


def test_it_rejects_a_missing_required_table(src, tmp_path):
    (src / "residents.csv").unlink()
    assert_refused(src, tmp_path, "缺少 residents（居民）表")


def test_it_names_an_invalid_month(src, tmp_path):
    edit(src / "residents.csv", 2, "birth_date", "2025-13-01")
    assert_refused(
        src, tmp_path, "residents.csv，第2行，birth_date列：日期「2025-13-01」无效：月份 13 不存在"
    )


def test_it_names_a_day_that_does_not_exist(src, tmp_path):
    edit(src / "followups.csv", 2, "visit_date", "2025-02-30")
    assert_refused(
        src,
        tmp_path,
        "followups.csv，第2行，visit_date列：日期「2025-02-30」无效：2025年2月没有第 30 日",
    )


def test_it_says_a_slashed_date_is_not_iso(src, tmp_path):
    edit(src / "residents.csv", 3, "birth_date", "2025/1/1")
    assert_refused(
        src, tmp_path, "residents.csv，第3行，birth_date列：日期「2025/1/1」不是 YYYY-MM-DD 格式"
    )


def test_it_rejects_a_bad_boolean(src, tmp_path):
    edit(src / "exams.csv", 2, "complete", "maybe")
    assert_refused(src, tmp_path, "exams.csv，第2行，complete列：「maybe」不是有效的是否值")


def test_it_rejects_a_bad_sex(src, tmp_path):
    edit(src / "residents.csv", 2, "sex", "X")
    assert_refused(src, tmp_path, "residents.csv，第2行，sex列：「X」不是有效的性别")


@pytest.mark.parametrize(
    "table,column,value,label",
    [
        ("conditions", "condition", "asthma", "病种"),
        ("followups", "mode", "visit", "随访方式"),
        ("exams", "kind", "dental", "体检类型"),
        ("services", "service", "massage", "服务项目"),
    ],
)
def test_it_rejects_unknown_codes(src, tmp_path, table, column, value, label):
    edit(src / f"{table}.csv", 2, column, value)
    assert_refused(src, tmp_path, f"{table}.csv，第2行，{column}列：未知的{label}代码「{value}」")


@pytest.mark.parametrize("table", ["conditions", "followups", "exams", "services", "contracts"])
def test_it_rejects_a_dangling_resident_id(src, tmp_path, table):
    edit(src / f"{table}.csv", 2, "resident_id", "NOBODY")
    assert_refused(
        src,
        tmp_path,
        f"{table}.csv，第2行，resident_id列：居民编号「NOBODY」在 residents 表中不存在",
    )


def test_it_rejects_an_org_code_outside_the_tree(src, tmp_path):
    edit(src / "residents.csv", 3, "org_code", "ZZ9")
    assert_refused(src, tmp_path, "residents.csv，第3行，org_code列：机构编码「ZZ9」不在机构树中")


def test_it_rejects_duplicate_resident_ids(src, tmp_path):
    edit(src / "residents.csv", 3, "resident_id", "R1")
    assert_refused(src, tmp_path, "residents.csv，第3行，resident_id列：居民编号「R1」重复")


@pytest.mark.parametrize(
    "column,value,text",
    [
        ("sbp", "400", "收缩压 400 超出合理范围（40–300）"),
        ("dbp", "10", "舒张压 10 超出合理范围（20–200）"),
        ("dbp", "135", "收缩压 130 不高于舒张压 135"),
        ("fasting_glucose", "55", "空腹血糖 55 超出合理范围（1–40）"),
        ("sbp", "-5", "收缩压 -5 超出合理范围"),
    ],
)
def test_it_rejects_absurd_measurements(src, tmp_path, column, value, text):
    edit(src / "followups.csv", 2, column, value)
    assert_refused(
        src,
        tmp_path,
        f"followups.csv，第2行，{'sbp' if 'dbp 不' in text or '不高于' in text else column}列：{text}",
    )


def test_it_rejects_a_negative_population(src, tmp_path):
    edit(src / "population.csv", 2, "permanent_residents", "-3")
    assert_refused(
        src, tmp_path, "population.csv，第2行，permanent_residents列：常住人口 -3 不能为负数"
    )


def test_it_refuses_population_given_for_a_node_and_a_node_below_it(tmp_path):
    data = good()
    data["population"].append({"org_code": "A", "year": 2025, "permanent_residents": 30})
    src = write_recordset(tmp_path / "rs", data)
    assert_refused(
        src, tmp_path, "2025 年人口重复计算：A（甲县，第4行）和它下级的 A1（甲一村）都填写了人口"
    )


def test_population_of_different_years_is_not_a_double_count(tmp_path):
    data = good()
    data["population"].append({"org_code": "A", "year": 2024, "permanent_residents": 30})
    assert check_recordset(write_recordset(tmp_path / "rs", data)).problems == []


def test_it_warns_about_residents_where_no_population_is_given(tmp_path):
    data = good()
    data["population"] = data["population"][:1]
    result = check_recordset(write_recordset(tmp_path / "rs", data))
    assert result.problems == []
    assert any(
        "B1（乙一村）有 1 名居民，但它及其下级都没有人口数据" in str(w) for w in result.warnings
    )


def test_it_needs_a_tree(tmp_path):
    src = write_recordset(tmp_path / "rs", good(), tree=None)
    assert any("没有 orgs 表" in p for p in problems_of(src))
    assert check_recordset(src, tree=TREE).problems == []


def test_it_reads_a_record_set_without_orgs_with_the_platform_tree(tmp_path):
    src = write_recordset(tmp_path / "rs", good(), tree=None)
    res = load_recordset(src, tmp_path / "s.duckdb", tree=TREE, pii_key=KEY)
    assert res.tree_source == "platform"
    assert res.counts["orgs"] == len(TREE)


def test_id_numbers_are_stored_only_as_a_keyed_hash(src, tmp_path):
    store = tmp_path / "s.duckdb"
    load_recordset(src, store, pii_key=KEY)
    con = duckdb.connect(str(store), read_only=True)
    cols = [r[0] for r in con.execute("DESCRIBE residents").fetchall()]
    got = con.execute(
        "SELECT id_hash FROM residents JOIN resident_ids USING (rid) WHERE resident_id = 'R1'"
    ).fetchone()[0]
    con.close()
    assert "id_number" not in cols
    assert got == hmac.new(KEY, b"330101195001011234", hashlib.sha256).hexdigest()
    assert b"330101195001011234" not in store.read_bytes()


def test_skip_invalid_loads_the_good_rows_and_writes_masked_rejects(src, tmp_path):
    edit(src / "residents.csv", 2, "sex", "X")  # R1 is bad: its rows elsewhere dangle too
    rejects = tmp_path / "rejects.csv"
    store = tmp_path / "s.duckdb"
    res = load_recordset(src, store, pii_key=KEY, skip_invalid=True, rejects=rejects)
    assert res.counts["residents"] == 1
    assert res.counts["followups"] == 0
    text = rejects.read_text(encoding="utf-8-sig")
    assert "residents.csv,2," in text and "sex 无效" in text
    assert "followups.csv,2," in text and "居民编号不存在" in text
    assert "330101195001011234" not in text and "id_number=********" in text
    assert res.rejected == 5  # R1 and its condition, follow-up, exam and service


def test_loading_again_replaces_the_store(src, tmp_path):
    store = tmp_path / "s.duckdb"
    load_recordset(src, store, pii_key=KEY)
    data = good()
    data["residents"] = data["residents"][1:]
    data.update(conditions=[], followups=[], exams=[], services=[])
    load_recordset(write_recordset(tmp_path / "rs2", data), store, pii_key=KEY)
    con = duckdb.connect(str(store), read_only=True)
    assert con.execute("SELECT count(*) FROM residents").fetchone()[0] == 1
    con.close()


def test_it_reads_xlsx_and_names_a_sheet_of_another_table(src, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "residents"
    ws.append(["resident_id", "sex", "birth_date", "org_code"])
    ws.append(["R1", "男", date(1950, 1, 1), "A1"])
    ws.append(["R2", "F", "1980-05-05", "B1"])
    (src / "residents.csv").unlink()
    wb.save(src / "residents.xlsx")
    assert check_recordset(src).problems == []

    wb2 = Workbook()
    ws2 = wb2.active
    ws2.title = "Sheet1"
    ws2.append(["resident_id", "condition", "visit_date", "mode"])
    ws2.append(["R1", "hypertension", "2025-01-01", "phone"])
    wb2.save(src / "residents.xlsx")
    assert any(
        "工作表「Sheet1」的表头是 followups（随访）表的，不是 residents（居民）表" in p
        for p in problems_of(src)
    )


def test_it_reads_parquet_with_typed_columns(src, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (src / "exams.csv").unlink()
    pq.write_table(
        pa.table(
            {
                "resident_id": ["R1", "R1"],
                "exam_date": [date(2025, 4, 1), None],
                "kind": ["elderly_annual", "general"],
                "complete": [True, None],
            }
        ),
        src / "exams.parquet",
    )
    found = [str(p) for p in check_recordset(src).problems]
    assert found == ["exams.parquet，第2行，exam_date列：必填项为空"]


def test_problems_are_summarised_after_one_hundred(src, tmp_path):
    data = good()
    data["residents"] += [
        {"resident_id": f"X{i}", "sex": "?", "birth_date": date(1990, 1, 1), "org_code": "A1"}
        for i in range(150)
    ]
    found = problems_of(write_recordset(tmp_path / "many", data))
    assert len([p for p in found if "性别" in p]) == 100
    assert any("另有 50 行有同样的问题" in p for p in found)


@pytest.mark.parametrize("header_too", [True, False])
def test_it_says_when_a_csv_is_not_utf8(src, tmp_path, header_too):
    text = (src / "services.csv").read_text(encoding="utf-8")
    if header_too:
        text = "居民编号," + text
    (src / "services.csv").write_bytes((text + "R1,2025-05-01,健康教育\n").encode("gbk"))
    assert_refused(src, tmp_path, "services.csv：文件不是 UTF-8 编码")


@pytest.mark.parametrize("value", ["33010119500101123X", "身份证\\x41", "a" * 100])
@pytest.mark.parametrize("key", [b"k", b"x" * 100])
def test_the_keyed_hash_is_standard_hmac_sha256_for_any_text(value, key):
    from jiceng.analytics.recordset import hmac_sql

    con = duckdb.connect()
    got = con.execute(f"SELECT {hmac_sql('v', key)} FROM (SELECT ? AS v)", [value]).fetchone()[0]
    assert got == hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
