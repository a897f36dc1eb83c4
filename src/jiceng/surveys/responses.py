"""The phone-survey spreadsheet, read and checked without Django (docs/surveys.md, "The file").

One row per respondent; the header (row 1) names the columns:

- ``机构编码`` (or ``org_code``): the code of the institution the respondent was a patient
  or resident of;
- ``调查日期`` (or ``date``): the day of the call, ``2026-03-15`` (an Excel date cell too);
- ``电话号码`` (or ``phone``): the number called — kept only as a keyed hash;
- ``姓名`` (or ``name``, optional): kept only as a keyed hash;
- one column per question, headed by its code (``Q1``; ``Q1 您对…`` works too): the code of
  the option answered (``1``) or its exact text (``很满意``); empty when not answered; the
  text of an opinion (comment) question as said.

:func:`check_rows` returns the clean rows or raises ValidationFailed with every problem
(file, row, column); nothing is kept from a file with any problem.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from jiceng.core.errors import Problem, ValidationFailed
from jiceng.core.pii import mask_id_numbers

from .questionnaire import Questionnaire

# Fixed columns: key -> accepted headers (lower case).
FIXED = {
    "org_code": ("机构编码", "org_code"),
    "date": ("调查日期", "date"),
    "phone": ("电话号码", "电话", "phone"),
    "name": ("姓名", "name"),
}
REQUIRED = ("org_code", "date", "phone")
HEADER_NAMES = {"org_code": "机构编码", "date": "调查日期", "phone": "电话号码", "name": "姓名"}
MAX_LISTED = 500  # problems listed; the rest are counted
_PHONE_JUNK = re.compile(r"[\s\-()（）]")
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
# Phone numbers said in a comment are masked before it is kept (mobiles, landlines).
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")


@dataclass(frozen=True, slots=True)
class Row:
    """One clean response (``phone`` and ``name`` still in clear: hash before storing)."""

    row: int
    org_code: str
    date: dt.date
    phone: str
    name: str
    answers: dict[str, str]
    comment: str


def keyed_hash(text: str, key: bytes) -> str:
    """HMAC-SHA256 of ``text`` under ``key``, lower-case hex: how the record sets keep ID
    numbers (``analytics.recordset.hmac_sql``), here for telephone numbers and names."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def keyed_hasher(key: bytes) -> Callable[[str], str]:
    """:func:`keyed_hash` under one key, for many texts (the keyed state is set up once)."""
    base = hmac.new(key, digestmod=hashlib.sha256)

    def digest(text: str) -> str:
        h = base.copy()
        h.update(text.encode())
        return h.hexdigest()

    return digest


def normal_phone(raw: str) -> str | None:
    """The digits of a telephone number (spaces, dashes, +86 dropped); None if not one."""
    s = _PHONE_JUNK.sub("", raw or "")
    if s.startswith("+86"):
        s = s[3:]
    elif s.startswith("86") and len(s) == 13:
        s = s[2:]
    if not s.isdigit() or not 7 <= len(s) <= 12:
        return None
    return s


def mask_comment(text: str) -> str:
    """A comment without telephone or ID numbers in clear."""
    return _PHONE_IN_TEXT.sub(lambda m: "*" * len(m.group(0)), mask_id_numbers(text))


def _cell(value) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, filename: str) -> Iterator[list]:
    """The rows of a CSV (UTF-8 or GBK) or Excel file (first sheet), header first, one at a
    time (a CSV of a million rows is never held as a table)."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        from jiceng.core import xlsx

        with xlsx.open_xlsx(data, filename) as book:
            names = book.sheet_names
            if not names:
                return iter([])
            return iter([[_cell(c) for c in row] for row in book.rows(names[0])])
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed([Problem("文件不是 UTF-8 或 GBK 编码的文本", file=filename)])
    return csv.reader(io.StringIO(text))


def template_header(q: Questionnaire) -> list[str]:
    """The header row of the template: fixed columns, then each question as ``Q1 text``."""
    return [*HEADER_NAMES.values(), *(f"{x.code} {x.text}" for x in q.questions)]


def _columns(q: Questionnaire, header: list, filename: str) -> tuple[dict[str, int], list]:
    """Where each fixed column and each question is; problems of the header."""
    problems: list[Problem] = []
    at: dict[str, int] = {}
    codes = {x.code for x in q.questions}
    for i, raw in enumerate(header):
        h = str(raw or "").strip()
        if not h:
            continue
        key = next((k for k, names in FIXED.items() if h.lower() in names), None)
        if key is None:
            first = re.split(r"[\s:：、.]", h, maxsplit=1)[0]
            key = f"q:{first}" if first in codes else None
        if key is None:
            problems.append(
                Problem(f"列「{h}」既不是固定列，也不是本问卷的题目编码", file=filename, row=1)
            )
            continue
        if key in at:
            problems.append(Problem(f"列「{h}」出现了两次", file=filename, row=1))
            continue
        at[key] = i
    for key in REQUIRED:
        if key not in at:
            problems.append(
                Problem(
                    f"缺少「{HEADER_NAMES[key]}」列", file=filename, row=1, column=HEADER_NAMES[key]
                )
            )
    if not any(k.startswith("q:") for k in at):
        problems.append(
            Problem("没有任何题目列（列标题应为题目编码，如 Q1）", file=filename, row=1)
        )
    return at, problems


def _date(value, cache: dict) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    hit = cache.get(value)
    if hit is not None or value in cache:
        return hit
    m = _DATE.match(value)
    out = None
    if m:
        try:
            out = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            out = None
    cache[value] = out
    return out


def check_rows(
    q: Questionnaire,
    table: Iterable[list],
    filename: str,
    institutions: Mapping[str, object],
    start: dt.date,
    end: dt.date,
) -> list[Row]:
    """The clean rows of ``table`` (rows, header first), or ValidationFailed with every problem.

    ``institutions`` holds the codes the importer may write for (others are "unknown": an
    institution out of sight is not revealed); dates must lie within ``start``..``end``.
    """
    rows = iter(table)
    first = next(rows, None)
    if first is None:
        raise ValidationFailed([Problem("文件是空的", file=filename)])
    at, problems = _columns(q, first, filename)
    if problems:
        raise ValidationFailed(problems, "表头有误，未导入任何记录。")
    header = [str(h or "").strip() for h in first]
    i_org, i_date, i_phone = at["org_code"], at["date"], at["phone"]
    i_name = at.get("name")
    # question code -> (column index, header text, {answer text: option code} or None)
    choice_cols = []
    comment_cols = []
    for x in q.questions:
        i = at.get(f"q:{x.code}")
        if i is None:
            continue
        if x.type == "comment":
            comment_cols.append((x.code, i))
            continue
        accepted = {}
        for o in x.options:
            accepted[o.code] = o.code
            accepted[o.text] = o.code
        allowed = "、".join(f"{o.code}（{o.text}）" for o in x.options)
        choice_cols.append((x.code, i, header[i], accepted, allowed))
    out: list[Row] = []
    count = 0
    dates: dict = {}
    seen: dict[tuple, int] = {}
    width = len(header)

    def bad(n: int, column: str, message: str) -> None:
        nonlocal count
        count += 1
        if len(problems) < MAX_LISTED:
            problems.append(Problem(message, file=filename, row=n, column=column))

    for n, cells in enumerate(rows, start=2):
        if len(cells) < width:
            cells = list(cells) + [""] * (width - len(cells))
        if not any(cells):
            continue
        ok = True
        org = str(cells[i_org]).strip()
        if not org:
            bad(n, "机构编码", "机构编码为空")
            ok = False
        elif org not in institutions:
            bad(n, "机构编码", f"机构编码「{org}」不是您可以导入的机构（不存在或不在您的辖区内）")
            ok = False
        raw_date = cells[i_date]
        day = _date(raw_date, dates) if raw_date != "" else None
        if day is None:
            what = f"「{raw_date}」" if raw_date != "" else "为空"
            bad(n, "调查日期", f"调查日期{what}无效：应写作 2026-03-15")
            ok = False
        elif not start <= day <= end:
            bad(n, "调查日期", f"调查日期 {day.isoformat()} 不在统计期 {start} 至 {end} 内")
            ok = False
        phone = normal_phone(str(cells[i_phone]))
        if phone is None:
            bad(n, "电话号码", "电话号码为空或不是电话号码（应为 7 至 12 位数字）")
            ok = False
        answers = {}
        for code, i, head, accepted, allowed in choice_cols:
            a = cells[i]
            if a == "":
                continue
            a = str(a).strip()
            got = accepted.get(a)
            if got is None:
                bad(n, head, f"答案「{a}」不是题目 {code} 的选项：应为 {allowed} 之一，或留空")
                ok = False
                continue
            answers[code] = got
        if not answers and ok:
            bad(n, "", "这一行没有回答任何选择题")
            ok = False
        if not ok:
            continue
        key = (org, day, phone)
        if key in seen:
            bad(n, "电话号码", f"与第 {seen[key]} 行重复（同一机构、同一天、同一电话号码）")
            continue
        seen[key] = n
        comment = "\n".join(
            str(cells[i]).strip() for _code, i in comment_cols if str(cells[i]).strip()
        )
        name = str(cells[i_name]).strip() if i_name is not None else ""
        out.append(Row(n, org, day, phone, name, answers, mask_comment(comment)))
    if count:
        summary = f"共 {count} 个问题，未导入任何记录。"
        if count > len(problems):
            summary += f"（只列出前 {len(problems)} 个）"
        raise ValidationFailed(problems, summary)
    if not out:
        raise ValidationFailed([Problem("文件中没有任何答卷", file=filename)])
    return out
