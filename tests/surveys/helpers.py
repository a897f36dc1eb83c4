"""Questionnaires and response files for the survey tests."""

from __future__ import annotations

from jiceng.surveys.actions import do_load_questionnaire
from jiceng.surveys.questionnaire import (
    load_questionnaire_file,
    parse_questionnaire,
    sample_questionnaire_paths,
)

# A small questionnaire: Q1 is the overall question; 1 and 2 count as satisfied.
SMALL = """\
code: small
version: "1"
name: 小问卷
kind: 门诊
overall: Q1
questions:
  - code: Q1
    text: 总体满意吗？
    options:
      - {code: "1", text: 满意, satisfied: true}
      - {code: "2", text: 基本满意, satisfied: true}
      - {code: "3", text: 不满意}
  - code: Q2
    text: 等候时间满意吗？
    options:
      - {code: "1", text: 满意, satisfied: true}
      - {code: "2", text: 不满意}
  - code: Q9
    type: comment
    text: 意见和建议
"""

HEADER = "机构编码,调查日期,电话号码,姓名,Q1,Q2,Q9\n"


def load_small(owner, actor=None, text: str = SMALL):
    d = parse_questionnaire(text, "small.yaml")
    return do_load_questionnaire(actor, d, text, "small.yaml", owner=owner)


def load_sample(stem: str, owner):
    path = next(p for p in sample_questionnaire_paths() if p.stem == stem)
    d = load_questionnaire_file(path)
    return do_load_questionnaire(None, d, path.read_text(encoding="utf-8"), path.name, owner=owner)


def csv_of(rows: list[tuple]) -> bytes:
    """A response file: (org code, date, phone, q1, q2[, comment]) per row."""
    lines = [HEADER]
    for r in rows:
        org, day, phone, q1, q2, *rest = r
        comment = rest[0] if rest else ""
        lines.append(f"{org},{day},{phone},,{q1},{q2},{comment}\n")
    return "".join(lines).encode()


def respondents(org: str, quarter_day: str, satisfied: int, unsatisfied: int, start: int = 0):
    """Rows of ``satisfied`` respondents answering Q1=1 and ``unsatisfied`` answering Q1=3."""
    rows = []
    for i in range(satisfied + unsatisfied):
        phone = f"139{start + i:08d}"
        rows.append((org, quarter_day, phone, "1" if i < satisfied else "3", "1"))
    return rows
