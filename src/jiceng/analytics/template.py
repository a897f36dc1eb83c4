"""The record set template users download: one CSV per table plus a description.

Every file follows ``schema.TABLES``; the example rows are a small valid record set,
so the unzipped template passes ``jiceng records check`` as it is.
"""

from __future__ import annotations

import io
import zipfile

from jiceng.core.exports import csv_writer

from .immunization import DEFAULT_SCHEDULE
from .schema import TABLES, Column

TYPE_TEXT = {
    "text": "文本",
    "int": "整数",
    "number": "数值",
    "decimal": "数值",
    "date": "日期 YYYY-MM-DD",
    "bool": "是/否（1/0、true/false、是/否）",
    "sex": "性别（M/F 或 男/女）",
    "enum": "代码",
    "keylist": "以分号分隔的代码",
}

VILLAGE = "330101100201"
EXAMPLES: dict[str, list[dict[str, str]]] = {
    "orgs": [
        {"org_code": "330101000000", "name": "示例县", "parent_code": "", "kind": "county"},
        {
            "org_code": "330101100000",
            "name": "示例镇卫生院",
            "parent_code": "330101000000",
            "kind": "township_hc",
        },
        {
            "org_code": VILLAGE,
            "name": "示例村卫生室",
            "parent_code": "330101100000",
            "kind": "village_clinic",
        },
    ],
    "population": [
        {
            "org_code": VILLAGE,
            "year": "2025",
            "permanent_residents": "1200",
            "residents_65_plus": "210",
            "children_0_6": "80",
            "adults_18_plus": "950",
            "key_population": "420",
        }
    ],
    "residents": [
        {
            "resident_id": "R0001",
            "sex": "F",
            "birth_date": "1950-03-02",
            "org_code": VILLAGE,
            "record_date": "2020-05-01",
            "electronic": "1",
            "standardized": "1",
        },
        {
            "resident_id": "R0002",
            "sex": "男",
            "birth_date": "1968-07-15",
            "org_code": VILLAGE,
            "record_date": "2019-01-10",
            "electronic": "是",
            "standardized": "否",
        },
        # a mother and her child, for the pregnancies and vaccinations tables
        {
            "resident_id": "R0003",
            "sex": "F",
            "birth_date": "1996-04-20",
            "org_code": VILLAGE,
            "record_date": "2018-06-01",
            "electronic": "1",
            "standardized": "1",
        },
        {
            "resident_id": "R0004",
            "sex": "M",
            "birth_date": "2025-03-08",
            "org_code": VILLAGE,
            "record_date": "2025-03-20",
            "electronic": "1",
            "standardized": "1",
        },
    ],
    "conditions": [
        {
            "resident_id": "R0001",
            "condition": "hypertension",
            "enrolled_date": "2021-03-01",
            "org_code": VILLAGE,
        }
    ],
    "followups": [
        {
            "resident_id": "R0001",
            "condition": "hypertension",
            "visit_date": "2025-02-10",
            "mode": "face_to_face",
            "sbp": "138",
            "dbp": "86",
            "org_code": VILLAGE,
        },
        {
            "resident_id": "R0001",
            "condition": "hypertension",
            "visit_date": "2025-05-12",
            "mode": "phone",
            "org_code": VILLAGE,
        },
    ],
    "exams": [
        {
            "resident_id": "R0001",
            "exam_date": "2025-04-12",
            "kind": "elderly_annual",
            "complete": "1",
        }
    ],
    "services": [
        {"resident_id": "R0001", "service_date": "2025-05-20", "service": "tcm_elderly"},
        {"resident_id": "R0003", "service_date": "2024-07-25", "service": "prenatal_check"},
        {"resident_id": "R0003", "service_date": "2025-03-15", "service": "postpartum_visit"},
        {"resident_id": "R0004", "service_date": "2025-03-15", "service": "newborn_visit"},
    ],
    "contracts": [
        {
            "resident_id": "R0001",
            "team_id": "T01",
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
            "key_groups": "elderly;hypertension",
            "paid_package": "0",
            "org_code": VILLAGE,
        }
    ],
    "pregnancies": [
        {
            "resident_id": "R0003",
            "registered_date": "2024-07-25",
            "registered_weeks": "10",
            "delivery_date": "2025-03-08",
            "live_births": "1",
            "org_code": VILLAGE,
        }
    ],
    "vaccinations": [
        {"resident_id": "R0004", "vaccine": "HepB", "dose": "1", "vaccination_date": "2025-03-08"},
        {"resident_id": "R0004", "vaccine": "BCG", "dose": "1", "vaccination_date": "2025-03-08"},
        {"resident_id": "R0004", "vaccine": "HepB", "dose": "2", "vaccination_date": "2025-04-09"},
    ],
}


def _describe(column: Column, table: str = "") -> str:
    kind = TYPE_TEXT.get(column.type, column.type)
    if column.values:
        kind += "：" + "、".join(column.values)
    if column.aliases:
        old = "；".join(f"旧代码 {a} 按 {b} 读入" for a, b in column.aliases)
        kind += f"（{old}）"
    if column.low is not None and column.high is not None:
        kind += f"，{column.low:g}–{column.high:g}"
    elif column.low is not None:
        kind += f"，不小于 {column.low:g}"
    if (table, column.name) == ("vaccinations", "vaccine"):
        kind = "代码（免疫程序）：" + "、".join(DEFAULT_SCHEDULE)
    if (table, column.name) == ("vaccinations", "dose"):
        kind += "，1 至该疫苗在免疫程序中的剂次数"
    return kind


def description_rows() -> list[list[str]]:
    """表, 列, 含义, 必填, 格式 — one row per column of every table."""
    rows = [["表", "表名", "列", "含义", "必填", "格式与取值"]]
    for table in TABLES:
        for col in table.columns:
            rows.append(
                [
                    table.name + (" （可选）" if table.optional else ""),
                    table.label,
                    col.name,
                    col.label,
                    "是" if col.required else "",
                    _describe(col, table.name),
                ]
            )
    return rows


def _entry(name: str) -> zipfile.ZipInfo:
    """A ZIP entry with a fixed time, so the same template gives the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def template_zip() -> bytes:
    """The template as the bytes of a ZIP file."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for table in TABLES:
            out = io.StringIO()
            names = [c.name for c in table.columns]
            writer = csv_writer(out, lineterminator="\n")
            writer.writerow(names)
            for row in EXAMPLES.get(table.name, []):
                writer.writerow([row.get(n, "") for n in names])
            zf.writestr(_entry(f"{table.name}.csv"), out.getvalue())
        out = io.StringIO()
        csv_writer(out, lineterminator="\n").writerows(description_rows())
        # UTF-8 with BOM so that Excel opens the description with Chinese intact.
        zf.writestr(_entry("说明.csv"), "\ufeff" + out.getvalue())
    return buf.getvalue()
