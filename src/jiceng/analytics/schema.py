"""The record set layout of the indicator contract, declared as data.

Each table lists its columns with a type, whether the column is required, and for
enumerated columns the accepted codes. Readers, validation, loading and the
documentation all read this declaration; nothing else names the columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text | int | number | decimal | date | bool | sex | enum | keylist
    required: bool = False
    values: tuple[str, ...] = ()
    label: str = ""
    # older codes accepted for an enum and stored as the current one: (old, current)
    aliases: tuple[tuple[str, str], ...] = ()
    # numeric sanity bounds (inclusive), checked at load
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Table:
    name: str
    label: str
    columns: tuple[Column, ...]
    optional: bool = False
    # tables whose rows refer to residents.resident_id
    refers_to_residents: bool = False
    key: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


CONDITIONS = ("hypertension", "diabetes", "smi", "tb")
MODES = ("face_to_face", "phone")
EXAM_KINDS = ("elderly_annual", "chronic_annual", "general")
SERVICES = (
    "tcm_elderly",
    "tcm_child",
    "newborn_visit",
    "prenatal_check",
    "postpartum_visit",
    "postpartum_42day",
    "child_checkup",
    "vaccination",
    "health_education",
    "health_consultation",
    "elderly_selfcare_assessment",
    "infectious_disease_report",
    "health_supervision",
)
# Older service codes, read as the current code at load: every antenatal check, the first
# included, is a `prenatal_check`. The store and the indicators only see `prenatal_check`.
SERVICE_ALIASES = (
    ("prenatal_first", "prenatal_check"),
    ("prenatal_followup", "prenatal_check"),
)
ORG_KINDS = (
    "province",
    "city",
    "county",
    "township",
    "village",
    "township_hc",
    "community_hc",
    "village_clinic",
    "community_station",
    "county_hospital",
    "health_commission",
)

TABLES: tuple[Table, ...] = (
    Table(
        "orgs",
        "机构树",
        (
            Column("org_code", "text", True, label="机构编码"),
            Column("name", "text", True, label="名称"),
            Column("parent_code", "text", label="上级编码"),
            Column("kind", "enum", values=ORG_KINDS, label="类型"),
        ),
        optional=True,
        key=("org_code",),
    ),
    Table(
        "population",
        "人口",
        (
            Column("org_code", "text", True, label="机构编码"),
            Column("year", "int", True, label="年度", low=1900, high=2200),
            Column("permanent_residents", "int", True, label="常住人口", low=0),
            Column("residents_65_plus", "int", label="65岁及以上人口", low=0),
            Column("children_0_6", "int", label="0-6岁儿童数", low=0),
            Column("adults_18_plus", "int", label="18岁及以上人口", low=0),
            Column("key_population", "int", label="重点人群数", low=0),
            Column("htn_estimated", "decimal", label="高血压估算患者数", low=0),
            Column("t2d_estimated", "decimal", label="糖尿病估算患者数", low=0),
        ),
    ),
    Table(
        "residents",
        "居民",
        (
            Column("resident_id", "text", True, label="居民编号"),
            Column("sex", "sex", True, label="性别"),
            Column("birth_date", "date", True, label="出生日期"),
            Column("org_code", "text", True, label="所属机构编码"),
            Column("record_date", "date", label="建档日期"),
            Column("electronic", "bool", label="电子档案"),
            Column("standardized", "bool", label="规范化电子档案"),
            Column("death_date", "date", label="死亡日期"),
            Column("moved_out_date", "date", label="迁出日期"),
            Column("id_number", "text", label="身份证号"),
        ),
        key=("resident_id",),
    ),
    Table(
        "conditions",
        "慢病管理登记",
        (
            Column("resident_id", "text", True, label="居民编号"),
            Column("condition", "enum", True, CONDITIONS, label="病种"),
            Column("enrolled_date", "date", True, label="纳入管理日期"),
            Column("ended_date", "date", label="结束管理日期"),
            Column("org_code", "text", label="管理机构编码"),
        ),
        refers_to_residents=True,
    ),
    Table(
        "followups",
        "随访",
        (
            Column("resident_id", "text", True, label="居民编号"),
            Column("condition", "enum", True, CONDITIONS, label="病种"),
            Column("visit_date", "date", True, label="随访日期"),
            Column("mode", "enum", True, MODES, label="随访方式"),
            Column("sbp", "number", label="收缩压", low=40, high=300),
            Column("dbp", "number", label="舒张压", low=20, high=200),
            Column("fasting_glucose", "number", label="空腹血糖", low=1, high=40),
            Column("org_code", "text", label="随访机构编码"),
        ),
        refers_to_residents=True,
    ),
    Table(
        "exams",
        "体检",
        (
            Column("resident_id", "text", True, label="居民编号"),
            Column("exam_date", "date", True, label="体检日期"),
            Column("kind", "enum", True, EXAM_KINDS, label="体检类型"),
            Column("complete", "bool", label="体检完整"),
        ),
        refers_to_residents=True,
    ),
    Table(
        "services",
        "服务记录",
        (
            Column("resident_id", "text", True, label="居民编号"),
            Column("service_date", "date", True, label="服务日期"),
            Column("service", "enum", True, SERVICES, label="服务项目", aliases=SERVICE_ALIASES),
        ),
        refers_to_residents=True,
    ),
    Table(
        "contracts",
        "家庭医生签约",
        (
            Column("resident_id", "text", True, label="居民编号"),
            Column("team_id", "text", True, label="团队编号"),
            Column("start_date", "date", True, label="签约开始日期"),
            Column("end_date", "date", True, label="签约结束日期"),
            Column("key_groups", "keylist", label="重点人群类别"),
            Column("paid_package", "bool", label="有偿签约包"),
            Column("org_code", "text", label="签约机构编码"),
        ),
        refers_to_residents=True,
    ),
    Table(
        "pregnancies",
        "孕产妇登记",
        (
            Column("resident_id", "text", True, label="居民编号"),
            Column("registered_date", "date", True, label="建册日期"),
            Column("registered_weeks", "int", True, label="建册孕周", low=0, high=45),
            Column("delivery_date", "date", label="分娩日期"),
            Column("live_births", "int", True, label="活产数", low=0),
            Column("org_code", "text", label="建册机构编码"),
        ),
        optional=True,
        refers_to_residents=True,
    ),
    Table(
        "vaccinations",
        "预防接种",
        (
            Column("resident_id", "text", True, label="居民编号"),
            # a code of the immunization schedule (immunization.py), checked at load
            Column("vaccine", "text", True, label="疫苗代码"),
            # 1 up to the schedule's doses of the vaccine, checked at load
            Column("dose", "int", True, label="剂次"),
            Column("vaccination_date", "date", True, label="接种日期"),
        ),
        optional=True,
        refers_to_residents=True,
    ),
)

TABLE_BY_NAME = {t.name: t for t in TABLES}

# The layout of a loaded store; a store loaded by another version is refused at compute
# (engines.check_store_format). 2: residents are numbered at load (rid, INTEGER) and every
# table carries rid instead of the text resident_id, kept once in resident_ids(rid, resident_id).
STORE_FORMAT = 2

# Columns of the loaded store (residents.id_number becomes id_hash, resident_id becomes rid).
SQL_TYPES = {
    "text": "VARCHAR",
    "int": "BIGINT",
    "number": "DOUBLE",
    "decimal": "DECIMAL(18,4)",
    "date": "DATE",
    "bool": "BOOLEAN",
    "sex": "VARCHAR",
    "enum": "VARCHAR",
    "keylist": "VARCHAR",
}


def store_columns(table: Table) -> list[tuple[str, str]]:
    """(name, SQL type) of a table once loaded."""
    out = []
    for c in table.columns:
        if table.name == "residents" and c.name == "id_number":
            out.append(("id_hash", "VARCHAR"))
        elif c.name == "resident_id":
            out.append(("rid", "INTEGER"))
        else:
            out.append((c.name, SQL_TYPES[c.type]))
    return out
