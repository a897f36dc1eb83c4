"""Writes the shipped template ``data/summary_template.docx`` (run after changing it here):

    python -m jiceng.reports.default_template

A commission downloads it, edits the text around the fields in Word (above all 下一步打算,
which is theirs to write) and uploads it as its own version.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from jiceng.reports.document import DEFAULT_TEMPLATE, FONT

NEXT_STEPS = [
    "（一）持续深化“优质服务基层行”活动。对照服务能力标准，督促未达到基本标准的机构"
    "逐项整改，力争{{ next_year }}年达到基本标准的机构占比进一步提高，推动更多机构达到推荐标准。",
    "（二）抓实问题整改。对逾期未整改的问题逐一督办，按期销号，开展整改“回头看”。",
    "（三）提升重点指标。针对未达标指标，加强家庭医生签约服务和慢病规范管理，按季度调度进展。",
    "（四）加强数据质量管理。督促各机构按时、完整填报，及时核实异常数据。",
]


def _style(doc) -> None:
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(12)
    rpr = style.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    # Chinese as the East Asian language, so that LibreOffice takes the SC face of the fonts
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    for name in ("Title", "Heading 1", "Heading 2"):
        s = doc.styles[name]
        s.font.name = FONT
        s.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)


def build(path: Path = DEFAULT_TEMPLATE) -> Path:
    """Write the default template to ``path``."""
    doc = Document()
    _style(doc)
    title = doc.add_heading("{{ title }}", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph("（{{ generated_on }}）").alignment = WD_ALIGN_PARAGRAPH.CENTER

    doc.add_heading("一、基本情况", level=1)
    doc.add_paragraph("{{ basic_text }}")
    doc.add_paragraph("{{p institutions_table }}")

    doc.add_heading("二、主要做法与成效", level=1)
    doc.add_heading("（一）评价结果", level=2)
    doc.add_paragraph("{{ evaluation_text }}")
    doc.add_paragraph("{{p evaluation_table }}")
    doc.add_paragraph("{{ evaluation_chart }}")
    doc.add_heading("（二）主要指标", level=2)
    doc.add_paragraph("{{ indicators_text }}")
    doc.add_paragraph("{{p indicator_table }}")
    doc.add_paragraph("{{ indicator_chart }}")
    doc.add_heading("（三）人员培训与上下协作", level=2)
    doc.add_paragraph("{{ aggregates_text }}")
    doc.add_paragraph("{{p aggregate_table }}")
    doc.add_heading("（四）问题整改", level=2)
    doc.add_paragraph("{{ ledger_text }}")
    doc.add_paragraph("{%p if has_appraisal %}")
    doc.add_heading("（五）绩效考核与资金分配", level=2)
    doc.add_paragraph("{{ appraisal_text }}")
    doc.add_paragraph("{{p appraisal_table }}")
    doc.add_paragraph("{%p endif %}")

    doc.add_heading("三、存在问题", level=1)
    doc.add_paragraph("{%p for text in problem_paragraphs %}")
    doc.add_paragraph("{{ text }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{{p reporting_table }}")

    doc.add_heading("四、下一步打算", level=1)
    for text in NEXT_STEPS:
        doc.add_paragraph(text)

    doc.add_heading("附：数据来源", level=1)
    doc.add_paragraph(
        "文中每个数字均取自平台页面，下表列出其取值与页面地址（在平台地址后加上该路径即可打开）。"
    )
    doc.add_paragraph("{{p sources_table }}")
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    return path


if __name__ == "__main__":
    print(build())
