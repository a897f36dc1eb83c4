"""Indicator definitions are data, validated when read, with file, line and field in errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiceng.analytics.definitions import DEFAULT_FILE, load_definitions, registry
from jiceng.analytics.engines import DIALECTS, transpile
from jiceng.core.errors import ValidationFailed

CONTRACT = [
    "hr_coverage",
    "ehr_coverage",
    "ehr_standardized",
    "hr_usage",
    "elderly_mgmt",
    "elderly_tcm",
    "htn_mgmt_rate",
    "htn_std_mgmt",
    "htn_bp_control",
    "t2d_mgmt_rate",
    "t2d_std_mgmt",
    "t2d_glucose_control",
    "fd_sign_rate",
    "fd_key_sign_rate",
    # indicators-more.md
    "mat_early_reg",
    "mat_postpartum",
    "mat_system_mgmt",
    "newborn_visit",
    "child_mgmt",
    "child_tcm",
    "smi_std_mgmt",
    "tb_first_visit",
    "chronic_std_mgmt",
    "general_exam",
    "imm_coverage",
]


def test_every_indicator_of_the_contract_is_defined():
    reg = registry()
    assert [d.code for d in reg.indicators] == CONTRACT
    assert reg.get("htn_std_mgmt").name_zh == "高血压患者规范管理率"
    assert all(d.version == reg.version for d in reg.indicators)


def test_the_settings_have_the_contract_defaults():
    from jiceng.analytics.immunization import NATIONAL_2021

    assert registry().resolve_settings(None) == {
        "htn_prevalence": 0.275,
        "t2d_prevalence": 0.124,
        "followups_spread_by_quarter": False,
        "immunization_schedule": {k: dict(v) for k, v in NATIONAL_2021.items()},
    }
    with pytest.raises(ValueError, match="未知的指标设置「prevalence」"):
        registry().resolve_settings({"prevalence": 1})


def _broken(tmp_path: Path, old: str, new: str) -> list[str]:
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "indicators.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ValidationFailed) as e:
        load_definitions(path)
    return [str(p) for p in e.value.problems]


def _line_of(text: str) -> int:
    return DEFAULT_FILE.read_text(encoding="utf-8").splitlines().index(text) + 1


def test_it_names_an_unknown_table_with_line_and_field(tmp_path):
    found = _broken(
        tmp_path,
        "SELECT org_code, recorded AS value FROM present_counts\n    denominator: |\n      SELECT org_code, permanent_residents",
        "SELECT org_code, recorded AS value FROM present_countz\n    denominator: |\n      SELECT org_code, permanent_residents",
    )
    assert found == [
        f"indicators.yaml，第{_line_of('    numerator: |')}行，字段 hr_coverage.numerator：unknown table present_countz"
    ]


def test_it_names_an_unknown_column(tmp_path):
    found = _broken(
        tmp_path,
        "electronic AS value FROM present_counts",
        "electronicc AS value FROM present_counts",
    )
    assert len(found) == 1 and "ehr_coverage.numerator：unknown column electronicc" in found[0]


def test_it_names_sql_that_does_not_parse(tmp_path):
    found = _broken(
        tmp_path,
        "SELECT org_code, standardized AS value FROM present_counts",
        "SELECT org_code, standardized AS value FROM (present_counts",
    )
    assert "ehr_standardized.numerator：SQL does not parse" in found[0]


def test_it_requires_org_code_and_value(tmp_path):
    found = _broken(
        tmp_path,
        "SELECT org_code, count(*) AS value FROM managed WHERE condition = 'diabetes' GROUP BY org_code\n    denominator: |\n      SELECT org_code, coalesce(t2d",
        "SELECT org_code, count(*) AS n FROM managed WHERE condition = 'diabetes' GROUP BY org_code\n    denominator: |\n      SELECT org_code, coalesce(t2d",
    )
    assert (
        "t2d_mgmt_rate.numerator：a numerator or denominator must select exactly org_code and value"
        in found[0]
    )


def test_it_names_a_missing_field(tmp_path):
    found = _broken(tmp_path, "    name_zh: 家庭医生签约率\n", "")
    assert any("字段 indicators.12.name_zh" in p and "Field required" in p for p in found)


def test_it_names_an_unknown_parameter(tmp_path):
    found = _broken(tmp_path, "adults_18_plus * :htn_prevalence", "adults_18_plus * :htn_rate")
    assert "unknown parameter :htn_rate" in found[0]


@pytest.mark.parametrize("engine", ["spark", "postgres"])
def test_every_definition_transpiles_for_the_other_engines(engine):
    from jiceng.analytics.compute import leaf_query
    from jiceng.analytics.definitions import bind
    from jiceng.analytics.periods import parse_period

    reg = registry()
    p = parse_period("2025")
    params = {"start": p.start, "end": p.end, "year": p.year, **reg.resolve_settings(None)}
    for sql in [*reg.views.values()]:
        assert transpile(bind(sql, params), DIALECTS[engine])
    assert "EXTRACT(QUARTER" in transpile(
        bind(reg.views["standard_managed"], params), DIALECTS[engine]
    )
    assert transpile(leaf_query(reg, params), DIALECTS[engine])


def test_every_indicator_is_in_a_group_of_the_national_specification():
    reg = registry()
    assert list(reg.groups) == [
        "records",
        "elderly",
        "chronic",
        "maternal",
        "child",
        "immunization",
        "smi",
        "tb",
        "family_doctor",
    ]
    assert all(d.group in reg.groups for d in reg.indicators)
    grouped = [d.group for d in reg.grouped()]
    assert grouped == sorted(grouped, key=list(reg.groups).index)


def test_an_indicator_in_an_unknown_group_is_refused_with_its_line(tmp_path):
    text = DEFAULT_FILE.read_text(encoding="utf-8").replace(
        "    group: tb\n", "    group: tuberculosis\n"
    )
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationFailed) as e:
        load_definitions(path)
    assert any("unknown group tuberculosis" in p.message for p in e.value.problems)
    assert all(p.row for p in e.value.problems)  # the line of the file
