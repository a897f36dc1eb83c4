"""Building small import workbooks for the tests."""

from __future__ import annotations

import io

from openpyxl import Workbook

NODE_HEADER = ["代码", "名称", "类型", "上级代码", "成立日期", "撤销日期", "地址"]
YEAR_HEADER = [
    "代码",
    "年份",
    "常住人口",
    "65岁及以上人口",
    "0-6岁儿童",
    "18岁及以上人口",
    "重点人群",
    "床位数",
    "医生数",
    "全科医生数",
    "护士数",
    "家庭医生团队数",
]


def workbook(nodes=(), years=None, *, node_sheet="机构", node_header=NODE_HEADER) -> bytes:
    """An .xlsx with a 机构 sheet of ``nodes`` rows and, if given, a 年度数据 sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = node_sheet
    ws.append(list(node_header))
    for row in nodes:
        ws.append(list(row))
    if years is not None:
        wy = wb.create_sheet("年度数据")
        wy.append(YEAR_HEADER)
        for row in years:
            wy.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def db_state():
    """Counts of everything an import may write, to prove a failed import wrote nothing."""
    from jiceng.core.models import AuditEvent
    from jiceng.orgs.models import Node, NodeEvent, NodeYear

    return {
        "nodes": sorted(
            Node.objects.values_list(
                "code", "name", "kind", "parent_id", "path", "opened", "closed"
            )
        ),
        "years": sorted(NodeYear.objects.values_list("node_id", "year", "permanent_residents")),
        "events": NodeEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
    }
