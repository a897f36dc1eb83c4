"""The summary as a Word document (a docxtpl template filled with named fields) and as PDF.

A template is a .docx in which a commission writes its own text around named fields
(``{{ region_name }}``, ``{{p evaluation_table }}``, ``{% for r in evaluation %}`` …). Only
the names in :data:`FIELDS` exist: a template naming any other is refused, naming them.
The PDF is rendered by LibreOffice (Debian's ``libreoffice-writer``), which embeds the
Noto CJK fonts the document uses.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from django.utils.translation import gettext as _

from jiceng.core.errors import Problem, ValidationFailed

DEFAULT_TEMPLATE = Path(__file__).parent / "data" / "summary_template.docx"
FONT = "Noto Serif CJK SC"

# Every field a template may use, with what it holds (docs/reports.md lists them too).
FIELDS: dict[str, str] = {
    "title": "标题（如“清河县2025年优质服务基层行工作总结”）",
    "region_name": "地区名称",
    "region_code": "地区编码",
    "year": "年度",
    "previous_year": "上一年度",
    "next_year": "下一年度",
    "quarter": "季度（年度总结为空）",
    "period_label": "统计期（2025 或 2025Q2）",
    "period_name": "统计期（2025年 或 2025年第2季度）",
    "generated_on": "生成日期",
    "basic_text": "基本情况段落",
    "institutions_total": "基层医疗卫生机构数",
    "institutions_by_kind": "各类机构数（列表：kind, count）",
    "institutions_table": "各类机构数表",
    "population_year": "人口与人员数据的年度",
    "permanent_residents": "常住人口",
    "residents_65_plus": "65岁及以上人口",
    "children_0_6": "0-6岁儿童",
    "adults_18_plus": "18岁及以上人口",
    "key_population": "重点人群",
    "beds": "床位数",
    "doctors": "执业（助理）医师数",
    "general_practitioners": "全科医生数",
    "nurses": "注册护士数",
    "fd_teams": "家庭医生团队数",
    "has_basic": "有基本情况",
    "has_evaluation": "有评价结果",
    "evaluation": "评价结果（列表：label, count, percent, previous_count, previous_percent, change_pp）",
    "evaluation_total": "本年参评机构数",
    "evaluation_previous_total": "上年参评机构数",
    "evaluation_text": "评价结果段落",
    "evaluation_table": "评价结果表",
    "evaluation_chart": "评价结果图",
    "has_indicators": "有指标",
    "indicators": "指标（列表：name, value, previous, change_pp, target, met）",
    "targets_set": "设定目标的指标数",
    "targets_met": "达到目标的指标数",
    "indicators_text": "指标段落",
    "indicator_table": "指标表",
    "indicator_chart": "指标图",
    "has_aggregates": "有填报数据",
    "aggregates": "填报数据（列表：dataset, name, value, previous, change）",
    "aggregates_text": "填报数据段落",
    "aggregate_table": "填报数据表",
    "has_ledger": "有整改台账",
    "ledger_total": "整改问题数",
    "ledger_closed": "已销号问题数",
    "ledger_open": "整改中问题数",
    "ledger_reported_fixed": "已报整改待核实问题数",
    "ledger_close_rate": "销号率",
    "ledger_text": "整改台账段落",
    "has_appraisal": "本地区本年度有绩效考核（已发布的最新版本；未发布的标为草稿）",
    "appraisals": (
        "绩效考核（列表：title, status, units, grades, grades_text, pool, total, top_units；"
        "grades 为 label, count；top_units 为 unit, rank, score, grade）"
    ),
    "appraisal_text": "绩效考核与资金分配段落",
    "appraisal_table": "绩效考核表（考核、状态、考核单位数、各等级单位数、资金总额、分配合计）",
    "targets_missed": "未达标指标（列表：unit, name, value, target）",
    "overdue_total": "逾期未整改问题数",
    "overdue_by_county": "各县逾期问题数（列表：county, overdue）",
    "withdrawn": "回头看撤销的评定结果（列表：unit, year, verdict）",
    "reporting": "数据上报情况（列表：dataset, completeness, timeliness, late, missing）",
    "reporting_table": "数据上报情况表",
    "lowest_units": "排名靠后的单位（列表：name, units；有绩效考核时 name 为考核名称）",
    "problems_text": "存在问题段落（一段）",
    "problem_paragraphs": "存在问题（列表：每个问题一段）",
    "figures": "数据来源（列表：n, section, label, value, url）",
    "sources_table": "数据来源表（每个数字及其页面地址）",
}


def _docxtpl():
    from docxtpl import DocxTemplate

    return DocxTemplate


def _env():
    """A sandboxed Jinja environment: a template is the commission's file, and its fields
    may read the values given, never Python's internals (``{{ title.__class__ }}``)."""
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(autoescape=True)


def _private_attributes(tpl) -> list[str]:
    """Attributes starting with ``_`` that the template's fields read (refused on upload)."""
    from jinja2 import nodes

    xml = tpl.patch_xml(tpl.xml_to_string(tpl.docx._element.body))
    found = {n.attr for n in _env().parse(xml).find_all(nodes.Getattr) if n.attr.startswith("_")}
    return sorted(found)


def check_template(data: bytes, filename: str) -> None:
    """Refuse a template that is not a .docx, has a syntax error or names unknown fields.

    Raises ValidationFailed with one Chinese problem naming the file and the fields.
    """
    from jinja2 import TemplateSyntaxError

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValidationFailed([Problem(_("The file is not a Word document (.docx)."), filename)])
    try:
        tpl = _docxtpl()(io.BytesIO(data))
        names = tpl.get_undeclared_template_variables(jinja_env=_env())
        tpl.init_docx()
        private = _private_attributes(tpl)
    except TemplateSyntaxError as exc:
        raise ValidationFailed(
            [
                Problem(
                    _("The template has a field or tag it cannot read (%(error)s).")
                    % {"error": exc.message},
                    filename,
                )
            ]
        ) from exc
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ValidationFailed(
            [Problem(_("The file is not a Word document (.docx)."), filename)]
        ) from exc
    if private:
        raise ValidationFailed(
            [
                Problem(
                    _(
                        "The template reads hidden attributes (%(names)s); fields may only be "
                        "used by their names."
                    )
                    % {"names": "、".join(private)},
                    filename,
                )
            ]
        )
    unknown = sorted(set(names) - set(FIELDS))
    if unknown:
        raise ValidationFailed(
            [
                Problem(
                    _(
                        "Unknown field names: %(names)s. The fields a template may use are listed "
                        "on the templates page."
                    )
                    % {"names": "、".join(unknown)},
                    filename,
                )
            ]
        )


def _table(tpl, header: list[str], rows: list[list[str]]):
    sub = tpl.new_subdoc()
    table = sub.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = str(text)
    if len(header) > 3:  # a wide first column for names, the figures share the rest
        from docx.shared import Mm

        table.autofit = False
        rest = Mm(110 / (len(header) - 1))
        for i, column in enumerate(table.columns):
            column.width = Mm(50) if i == 0 else rest  # the grid LibreOffice reads
        for row in table.rows:
            for i, cell in enumerate(row.cells):
                cell.width = Mm(50) if i == 0 else rest  # the cells Word reads
    return sub


def _charts(tpl, fields: dict) -> dict:
    from docx.shared import Mm
    from docxtpl import InlineImage

    from jiceng.reports import charts

    out = {"evaluation_chart": "", "indicator_chart": ""}
    ev = fields.get("evaluation") or []
    if ev and any(r["raw"][0] or r["raw"][2] for r in ev):
        series = {f"{fields['year']}年": [r["raw"][0] for r in ev]}
        if any(r["raw"][2] for r in ev):  # last year only when it had verdicts
            series[f"{fields['previous_year']}年"] = [r["raw"][2] for r in ev]
        png = charts.grouped_bars(
            [r["label"] for r in ev],
            series,
            "评价结果（机构数）",
            "家",
        )
        out["evaluation_chart"] = InlineImage(tpl, io.BytesIO(png), width=Mm(150))
    # the indicators with a target first (those the summary speaks of), ten at most
    ind = [r for r in fields.get("indicators") or [] if r["raw"].value is not None]
    ind = sorted(ind, key=lambda r: r["raw"].target is None)[:10]
    if ind:
        series = {fields["period_label"]: [round(r["raw"].value * 100, 1) for r in ind]}
        if any(r["raw"].previous is not None for r in ind):
            series["上年同期"] = [
                round(r["raw"].previous * 100, 1) if r["raw"].previous is not None else 0
                for r in ind
            ]
        png = charts.grouped_bars(
            [r["name"] if len(r["name"]) <= 10 else r["name"][:9] + "…" for r in ind],
            series,
            "主要指标（%）",
            "%",
        )
        out["indicator_chart"] = InlineImage(tpl, io.BytesIO(png), width=Mm(150))
    return out


def _tables(tpl, fields: dict) -> dict:
    return {
        "institutions_table": _table(
            tpl,
            ["机构类型", "机构数"],
            [[k["kind"], k["count"]] for k in fields.get("institutions_by_kind", [])],
        ),
        "evaluation_table": _table(
            tpl,
            [
                "评价结果",
                f"{fields['year']}年机构数",
                "占比",
                f"{fields['previous_year']}年机构数",
                "占比",
                "变化（百分点）",
            ],
            [
                [
                    r["label"],
                    r["count"],
                    r["percent"],
                    r["previous_count"],
                    r["previous_percent"],
                    r["change_pp"],
                ]
                for r in fields.get("evaluation", [])
            ],
        ),
        "indicator_table": _table(
            tpl,
            ["指标", "本期", "上年同期", "变化（百分点）", "目标", "是否达标"],
            [
                [r["name"], r["value"], r["previous"], r["change_pp"], r["target"] or "—", r["met"]]
                for r in fields.get("indicators", [])
            ],
        ),
        "aggregate_table": _table(
            tpl,
            ["数据集", "项目", "本期", "上年同期", "增减"],
            [
                [r["dataset"], r["name"], r["value"], r["previous"], r["change"]]
                for r in fields.get("aggregates", [])
            ],
        ),
        "appraisal_table": _table(
            tpl,
            ["考核", "状态", "考核单位数", "各等级单位数", "资金总额（元）", "分配合计（元）"],
            [
                [r["title"], r["status"], r["units"], r["grades_text"], r["pool"], r["total"]]
                for r in fields.get("appraisals", [])
            ],
        ),
        "reporting_table": _table(
            tpl,
            ["数据集", "上报率", "及时率", "迟报（份）", "未报（份）"],
            [
                [r["dataset"], r["completeness"], r["timeliness"], r["late"], r["missing"]]
                for r in fields.get("reporting", [])
            ],
        ),
        "sources_table": _table(
            tpl,
            ["序号", "数字", "取值", "来源页面"],
            [[f["n"], f["label"], f["value"], f["url"]] for f in fields.get("figures", [])],
        ),
    }


def render(template: bytes, fields: dict) -> bytes:
    """The filled .docx of ``fields`` (from :func:`jiceng.reports.figures.build`)."""
    tpl = _docxtpl()(io.BytesIO(template))
    context = {k: v for k, v in fields.items() if not k.startswith("_")}
    context.update(_tables(tpl, fields))
    context.update(_charts(tpl, fields))
    tpl.render(context, jinja_env=_env(), autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def soffice() -> str | None:
    """The LibreOffice program, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx: bytes, timeout: float = 180) -> bytes:
    """The PDF of a .docx, rendered by LibreOffice with its fonts embedded.

    Each call uses its own LibreOffice profile so that conversions may run side by side.
    """
    program = soffice()
    if program is None:
        raise RuntimeError(
            "LibreOffice (soffice) is not installed: apt-get install libreoffice-writer"
        )
    with tempfile.TemporaryDirectory(prefix="jiceng-pdf-") as tmp:
        src = Path(tmp) / "summary.docx"
        src.write_bytes(docx)
        profile = Path(tmp) / "profile"
        subprocess.run(
            [
                program,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                tmp,
                str(src),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
            env={**os.environ, "HOME": tmp},
        )
        return (Path(tmp) / "summary.pdf").read_bytes()


def default_template() -> bytes:
    """The shipped template (``data/summary_template.docx``)."""
    return DEFAULT_TEMPLATE.read_bytes()
