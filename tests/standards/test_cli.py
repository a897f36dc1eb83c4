"""The ``jiceng standards check|verdict|load|samples`` commands."""

from __future__ import annotations

import io
import json

from django.core.management import call_command

from jiceng.standards.catalog import load_catalog_file, sample_catalog_paths
from jiceng.standards.models import Catalog

VILLAGE = str(sample_catalog_paths()["village_clinic"])


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def grades_csv(tmp_path, overrides=None, drop=(), extra=()):
    spec = load_catalog_file(VILLAGE)
    lines = ["item_code,grade"]
    for item in spec.items:
        if item.code in drop:
            continue
        lines.append(f"{item.code},{(overrides or {}).get(item.code, '达标')}")
    lines.extend(extra)
    path = tmp_path / "grades.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_check_accepts_a_sample_and_prints_the_summary_in_chinese():
    code, out, err = run("standards_check", VILLAGE)
    assert code == 0, err
    assert "功能任务与资源配置" in out
    assert "合计" in out


def test_check_prints_every_problem_with_line_and_field_and_exits_1(tmp_path):
    text = open(VILLAGE, encoding="utf-8").read()
    bad = text.replace("basic_threshold: 0.80", "basic_threshold: 8").replace(
        'code: "1.1.2", tier: basic', 'code: "1.1.2", tier: 中级'
    )
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    code, out, err = run("standards_check", str(path))
    assert code == 1
    assert "bad.yaml，第12行，字段 basic_threshold" in err
    assert "字段 chapters[1].sections[1.1].items[1.1.2].tier" in err
    assert "中级" in err


def test_verdict_prints_one_json_object(tmp_path):
    path = grades_csv(tmp_path, {"1.2.3": "NA", "2.1.3": "不达标"})
    code, out, err = run("standards_verdict", VILLAGE, path)
    assert code == 0, err
    result = json.loads(out)
    assert result["verdict"] == "recommended"
    basic = result["tiers"]["basic"]
    assert (basic["met"], basic["applicable"], basic["failed_core"]) == (22, 23, [])
    assert basic["ratio"] == 22 / 23


def test_verdict_of_a_failed_core_item_is_none_and_names_it(tmp_path):
    path = grades_csv(tmp_path, {"1.3.1": "不达标"})
    code, out, _err = run("standards_verdict", VILLAGE, path)
    result = json.loads(out)
    assert code == 0
    assert result["verdict"] == "none"
    assert result["tiers"]["basic"]["failed_core"] == ["1.3.1"]


def test_verdict_exits_1_naming_each_offending_item(tmp_path):
    path = grades_csv(
        tmp_path,
        {"1.1.2": "优秀", "1.1.1": "NA"},
        drop=("2.1.1",),
        extra=["9.9.9,达标"],
    )
    code, out, err = run("standards_verdict", VILLAGE, path)
    assert code == 1 and out == ""
    assert "第3行" in err and "1.1.2" in err and "优秀" in err  # outside the scale
    assert "第2行" in err and "1.1.1" in err  # NA not allowed
    assert "2.1.1" in err  # ungraded
    assert "9.9.9" in err  # unknown code


def test_load_and_samples_put_catalogs_in_the_platform(tmp_path, personas):
    code, out, err = run("standards_load", VILLAGE, "--user", personas.province_admin.username)
    assert code == 0, err
    assert Catalog.objects.filter(code="village_clinic").exists()
    code, out, err = run("standards_samples")
    assert code == 0
    assert Catalog.objects.count() == 3


def test_load_refuses_an_invalid_catalog_and_loads_nothing(tmp_path, db):
    path = tmp_path / "bad.yaml"
    path.write_text("code: x\n", encoding="utf-8")
    code, _out, err = run("standards_load", str(path))
    assert code == 1
    assert "title" in err
    assert not Catalog.objects.exists()
