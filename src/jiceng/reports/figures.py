"""The figures of a work summary, section by section, each with the page it came from.

Every figure is read through the very query function its page calls (the publication list,
the indicator page, the ledger summary, the data set pages, the unit's page) and written as
the page writes it, so that a reader can open the page and find the same figure. The
sections are plain functions of a :class:`Ctx` returning template fields; a section whose
data does not exist (a region without an appraisal of the year) returns nothing and the
template leaves it out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from jiceng.indicators.templatetags.indicator_tags import num, pct, pp, target_text
from jiceng.orgs.models import GRASSROOTS_KINDS, Kind, Node, NodeYear

# Aggregate figures the summary quotes, by data set code (others: none); funds come from the
# funding data set when a region has it.
KEY_ELEMENTS: dict[str, tuple[str, ...]] = {
    "STAFF_TRAINING": ("TRAINED", "FURTHER_STUDY", "SENT_DOWN", "RECRUITED"),
    "SERVICE_COOP": ("OUTPATIENT_VISITS", "REFERRALS_UP", "REFERRALS_DOWN", "REMOTE_CONSULTATIONS"),
    "FUNDING_BUILD": ("INVESTMENT", "SUBSIDY_DUE", "SUBSIDY_PAID"),
    "HEALTH_EDU": (),
}
LOWEST_UNITS = 3  # units named per missed indicator
TOP_UNITS = 3  # units named first and last of an appraisal
MAX_RANKED_INDICATORS = 5


@dataclass
class Figure:
    """One figure of the document: what it is, as written, and the page that shows it."""

    n: int
    section: str
    label: str
    value: str
    url: str


@dataclass
class Ctx:
    """What every section needs: the region, the period, today, and the figures so far."""

    region: Node
    year: int
    quarter: int | None = None
    today: dt.date = field(default_factory=timezone.localdate)
    figures: list[Figure] = field(default_factory=list)

    @property
    def period(self) -> str:
        """The period label of the indicators and data sets: ``2025`` or ``2025Q2``."""
        return f"{self.year}Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def previous_period(self) -> str:
        return f"{self.year - 1}Q{self.quarter}" if self.quarter else str(self.year - 1)

    def add(self, section: str, label: str, value: Any, url: str) -> str:
        """Record a figure and return its text (as the document shows it)."""
        text = "—" if value is None or value == "" else str(value)
        self.figures.append(Figure(len(self.figures) + 1, section, label, text, url))
        return text


def _url(name: str, *args: Any, **query: Any) -> str:
    base = reverse(name, args=args)
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base


# ---------------------------------------------------------------- 基本情况


def basic_situation(ctx: Ctx) -> dict:
    """Institutions by type, population and staff of the region (the unit's page)."""
    from jiceng.orgs import queries as orgs_queries

    region = ctx.region
    url = _url("orgs:node", region.code)
    counts = orgs_queries.institution_counts(region)
    kinds = []
    for kind, n in counts.items():
        kinds.append(
            {
                "kind": str(Kind(kind).label),
                "count": ctx.add("基本情况", f"{Kind(kind).label}数", n, url),
            }
        )
    total = sum(n for k, n in counts.items() if Kind(k) in GRASSROOTS_KINDS)
    grassroots = ctx.add("基本情况", "基层医疗卫生机构数", total, url)
    year = _population_year(region, ctx.year)
    pop = orgs_queries.population(region, year) if year else {}
    labels = {f: str(NodeYear._meta.get_field(f).verbose_name) for f in NodeYear.FIGURES}
    people = {}
    for f in NodeYear.FIGURES:
        people[f] = (
            ctx.add("基本情况", f"{labels[f]}（{year}年）", pop.get(f), url) if year else "—"
        )
    grassroots_kinds = {str(Kind(k).label) for k in counts if Kind(k) in GRASSROOTS_KINDS}
    parts = "、".join(f"{k['kind']}{k['count']}家" for k in kinds if k["kind"] in grassroots_kinds)
    others = "、".join(
        f"{k['kind']}{k['count']}家" for k in kinds if k["kind"] not in grassroots_kinds
    )
    text = (
        f"{region.name}共有基层医疗卫生机构{grassroots}家"
        + (f"（{parts}）" if parts else "")
        + (f"，另有{others}" if others else "")
        + "。"
    ) + (
        f"{year}年常住人口{people['permanent_residents']}人，其中65岁及以上"
        f"{people['residents_65_plus']}人；在岗执业（助理）医师{people['doctors']}人、"
        f"全科医生{people['general_practitioners']}人、注册护士{people['nurses']}人，"
        f"床位{people['beds']}张，家庭医生团队{people['fd_teams']}个。"
        if year
        else "尚无人口与人员数据。"
    )
    return {
        "institutions_total": grassroots,
        "institutions_by_kind": kinds,
        "population_year": year or "",
        **people,
        "basic_text": text,
    }


def _population_year(region: Node, year: int) -> int | None:
    """The latest year up to ``year`` with figures in the region (the unit page's rows)."""
    return (
        NodeYear.objects.filter(node__path__startswith=region.path, year__lte=year)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )


# ---------------------------------------------------------------- 主要做法与成效


def evaluation_results(ctx: Ctx) -> dict:
    """Verdict counts and shares of the year's list against last year's (publication page)."""
    from jiceng.assessments.queries import publication_table

    rows = []
    tables = {}
    for year in (ctx.year, ctx.year - 1):
        tables[year] = publication_table(ctx.region, year)
    now, before = tables[ctx.year], tables[ctx.year - 1]
    url_now = _url("assessments:publication", region=ctx.region.code, year=ctx.year)
    url_before = _url("assessments:publication", region=ctx.region.code, year=ctx.year - 1)
    total = ctx.add("主要做法与成效", f"{ctx.year}年参评机构数", now["total"], url_now)
    total_before = ctx.add(
        "主要做法与成效", f"{ctx.year - 1}年参评机构数", before["total"], url_before
    )
    for h, hb in zip(now["headline"], before["headline"], strict=True):
        # a change against a year without any verdict would be no change at all: none is given
        change = round(h["percent"] - hb["percent"], 1) if before["total"] else None
        rows.append(
            {
                "label": str(h["label"]),
                "count": ctx.add(
                    "主要做法与成效", f"{ctx.year}年{h['label']}机构数", h["count"], url_now
                ),
                "percent": ctx.add(
                    "主要做法与成效", f"{ctx.year}年{h['label']}占比", f"{h['percent']}%", url_now
                ),
                "previous_count": ctx.add(
                    "主要做法与成效", f"{ctx.year - 1}年{h['label']}机构数", hb["count"], url_before
                ),
                "previous_percent": ctx.add(
                    "主要做法与成效",
                    f"{ctx.year - 1}年{h['label']}占比",
                    f"{hb['percent']}%",
                    url_before,
                ),
                "change_pp": "—" if change is None else f"{change:+.1f}",
                "raw": (h["count"], h["percent"], hb["count"], hb["percent"]),
            }
        )
    if now["total"]:
        parts = "，".join(
            f"{r['label']}{r['count']}家、占{r['percent']}"
            + (f"（较上年{r['change_pp']}个百分点）" if before["total"] else "")
            for r in rows
        )
        text = f"{ctx.year}年全{_unit(ctx.region)}{total}家基层医疗卫生机构参加评价：{parts}。"
        if not before["total"]:
            text += f"{ctx.year - 1}年无评价结果。"
    else:
        text = f"{ctx.year}年尚无评价结果。"
    return {
        "evaluation": rows,
        "evaluation_total": total,
        "evaluation_previous_total": total_before,
        "evaluation_text": text,
        "_publication": tables,
    }


def _unit(region: Node) -> str:
    return {"province": "省", "city": "市", "county": "县"}.get(region.kind, "")


def indicator_results(ctx: Ctx) -> dict:
    """Indicators with value, last year's value, change in points and target (indicator page)."""
    from jiceng.indicators.queries import node_indicators

    data = node_indicators(ctx.region, ctx.period)
    url = _url("indicators:node", ctx.region.code, period=ctx.period)
    rows = []
    met = set_ = 0
    for r in data.rows:
        if not r.has_value_row:
            continue
        rows.append(
            {
                "code": r.code,
                "name": r.name,
                "value": ctx.add("主要做法与成效", f"{r.name}（{data.period}）", pct(r.value), url),
                "previous": ctx.add(
                    "主要做法与成效", f"{r.name}（{data.previous_period}）", pct(r.previous), url
                ),
                "change_pp": ctx.add(
                    "主要做法与成效", f"{r.name}变化（百分点）", pp(r.change_pp), url
                ),
                "target": target_text(r.target),
                "met": {True: "达标", False: "未达标"}.get(r.met, "—"),
                "raw": r,
            }
        )
        if r.met is not None:
            set_ += 1
            met += bool(r.met)
    targets_set = ctx.add("主要做法与成效", "设定目标的指标数", set_, url)
    targets_met = ctx.add("主要做法与成效", "达到目标的指标数", met, url)
    if rows:
        text = (
            f"{data.period}年度共统计{len(rows)}项指标，其中{targets_set}项设定了目标值，"
            f"{targets_met}项达到目标。"
        )
        if ctx.quarter:
            text = text.replace("年度", "")
    else:
        text = f"{ctx.period}尚无指标计算结果。"
    return {
        "indicators": rows,
        "targets_set": targets_set,
        "targets_met": targets_met,
        "indicators_text": text,
    }


def _versions(region: Node):
    from jiceng.aggregates.queries import datasets_at

    return datasets_at(region)


def _dataset_period(version, label: str):
    """The data set's period of ``label``, or None when the data set reports less often."""
    from jiceng.datasets import parse_period

    period = parse_period(label)
    try:
        period.periods(version.definition().period_type)
    except ValueError:
        return None
    return period


def aggregate_results(ctx: Ctx) -> dict:
    """Training, referrals, funds … summed over the region (the data set values page)."""
    from jiceng.aggregates.queries import aggregated

    rows = []
    for version in _versions(ctx.region):
        wanted = KEY_ELEMENTS.get(version.code)
        if not wanted:
            continue
        period = _dataset_period(version, ctx.period)
        previous = _dataset_period(version, ctx.previous_period)
        if period is None or previous is None:
            continue
        now = aggregated(version, ctx.region, period)
        before = aggregated(version, ctx.region, previous)
        prev_by_code = {r["code"]: r["values"][0] for r in before["rows"]}
        url = _url("aggregates:values", ctx.region.code, dataset=version.pk, period=ctx.period)
        url_before = _url(
            "aggregates:values", ctx.region.code, dataset=version.pk, period=ctx.previous_period
        )
        for r in now["rows"]:
            if r["code"] not in wanted:
                continue
            value, prev = r["values"][0], prev_by_code.get(r["code"], "")
            if value == "" and prev == "":
                continue  # nothing reported in either year
            rows.append(
                {
                    "dataset": version.name,
                    "name": r["name"],
                    "value": ctx.add("主要做法与成效", f"{r['name']}（{ctx.period}）", value, url),
                    "previous": ctx.add(
                        "主要做法与成效", f"{r['name']}（{ctx.previous_period}）", prev, url_before
                    ),
                    "change": _change(value, prev),
                }
            )
    text = (
        "；".join(
            f"{r['name']}{r['value']}"
            + (f"（上年同期{r['previous']}）" if r["previous"] != "—" else "")
            for r in rows
        )
        + "。"
        if rows
        else "尚无填报数据。"
    )
    return {"aggregates": rows, "aggregates_text": text}


def _change(now: str, before: str) -> str:
    try:
        a, b = float(now.replace(",", "")), float(before.replace(",", ""))
    except (ValueError, AttributeError):
        return "—"
    if not b:
        return "—"
    return f"{(a - b) / b * 100:+.1f}%"


def ledger_results(ctx: Ctx) -> dict:
    """Rectification entries: found, closed, open, overdue (the ledger summary page)."""
    from jiceng.rectification import queries as rq

    qs = rq.ledger(None, rq.LedgerFilter(region=ctx.region, today=ctx.today))
    total = rq.summary(qs, ctx.today)
    by_county = rq.counts_by_county(None, ctx.region, ctx.today)
    url = _url("rectification:summary", region=ctx.region.code)
    out = {
        f"ledger_{k}": ctx.add("主要做法与成效", label, total[k], url)
        for k, label in (
            ("total", "整改台账问题数"),
            ("closed", "已销号问题数"),
            ("open", "整改中问题数"),
            ("reported_fixed", "已报整改待核实问题数"),
        )
    }
    rate = pct(total["closed"] / total["total"]) if total["total"] else ""
    out["ledger_close_rate"] = rate or "—"
    out["_ledger"] = {"total": total, "by_county": by_county, "url": url}
    out["ledger_text"] = (
        f"整改台账共登记问题{out['ledger_total']}个，已销号{out['ledger_closed']}个"
        f"（销号率{out['ledger_close_rate']}），整改中{out['ledger_open']}个。"
    )
    return out


def summary_appraisals(region: Node, year: int) -> list:
    """The appraisals a summary quotes: of the region itself for the year, one per scheme
    code — its latest published version, or, when none of that scheme is published, its
    latest draft (or reviewed) version, which the summary labels as a draft."""
    from jiceng.appraisal.models import Appraisal, Status

    def preference(a) -> tuple:
        # published before unpublished; then the newest (publication, else creation)
        return (a.status == Status.PUBLISHED, a.published_at or a.created_at, a.number, a.pk)

    chosen: dict[str, Any] = {}
    for a in (
        Appraisal.objects.filter(region=region, year=year)
        .exclude(status=Status.SUPERSEDED)
        .select_related("scheme", "region")
    ):
        best = chosen.get(a.scheme.code)
        if best is None or preference(a) > preference(best):
            chosen[a.scheme.code] = a
    return [chosen[code] for code in sorted(chosen)]


def _ends(table) -> tuple[list, list]:
    """The units of the highest and of the lowest scores (the ranking page sorted by score
    either way), at most :data:`TOP_UNITS` each and never more than half of the scored
    units, so that no unit is among both. Scores, unlike ranks (counted within each peer
    group), compare across the whole appraisal."""
    from jiceng.appraisal import results

    scored = [r for r in results.sorted_rows(table, "score") if r.exact is not None]
    k = min(TOP_UNITS, len(scored) // 2)
    return scored[:k], (scored[::-1][:k] if k else [])


def _rank_text(scheme, rank: int) -> str:
    return f"第{rank}名" if scheme.peer_group == "all" else f"组内第{rank}名"


def appraisal_results(ctx: Ctx) -> dict | None:
    """Units appraised, grade counts, the fund and the top units of the region's appraisals
    of the year (the ranking page and the funds page, read through their query
    ``results.results_of``), or None when the region has none."""
    if not apps.is_installed("jiceng.appraisal"):
        return None
    from jiceng.appraisal import engine, results
    from jiceng.appraisal.models import Status
    from jiceng.appraisal.templatetags.appraisal_tags import plain

    found = summary_appraisals(ctx.region, ctx.year)
    if not found:
        return None
    S = "主要做法与成效"
    out, internal, sentences = [], [], []
    for a in found:
        scheme = engine.scheme_of(a.scheme)
        table = results.results_of(a)
        draft = a.status != Status.PUBLISHED
        name = a.scheme.title + ("（草稿）" if draft else "")
        url = _url("appraisal:ranking", a.pk)
        units = ctx.add(S, f"{name}考核单位数", len(table.units), url)
        grades = [
            {"label": label, "count": ctx.add(S, f"{name}{label}单位数", n, url)}
            for label, n in results.grade_counts(scheme, table.units)
        ]
        pool = total = "—"
        if scheme.fund is not None:
            funds_url = _url("appraisal:funds", a.pk)
            if scheme.fund.pool is not None:
                pool = ctx.add(S, f"{name}资金总额（元）", plain(scheme.fund.pool), funds_url)
            total = ctx.add(S, f"{name}分配金额合计（元）", str(table.total_amount), funds_url)
        top, lowest = _ends(table)
        top_url = _url("appraisal:ranking", a.pk, sort="score")
        top_units = [
            {
                "unit": r.name,
                "rank": r.rank,
                "rank_text": _rank_text(scheme, r.rank),
                "score": ctx.add(S, f"{name}{r.name}得分（排名靠前）", r.score, top_url),
                "grade": r.grade or "—",
            }
            for r in top
        ]
        status = "（草稿，尚未发布，得分随数据变化）" if draft else ""
        text = (
            f"{a.scheme.title}{status}共考核{units}个单位，"
            + "、".join(f"{g['label']}{g['count']}家" for g in grades)
            + "。"
        )
        if scheme.fund is not None:
            text += (f"资金总额{pool}元，" if pool != "—" else "") + f"分配合计{total}元。"
        if top_units:
            text += (
                "得分排名靠前的是"
                + "、".join(
                    f"{u['unit']}（{u['rank_text']}，{u['score']}分，{u['grade']}）"
                    for u in top_units
                )
                + "。"
            )
        sentences.append(text)
        out.append(
            {
                "title": a.scheme.title,
                "status": "草稿" if draft else "已发布",
                "units": units,
                "grades": grades,
                "grades_text": "、".join(f"{g['label']}{g['count']}" for g in grades),
                "pool": pool,
                "total": total,
                "top_units": top_units,
            }
        )
        internal.append({"name": name, "lowest": lowest, "scheme": scheme, "appraisal": a})
    return {
        "appraisals": out,
        "appraisal_text": "".join(sentences),
        "_appraisal": internal,
    }


def _appraisal_lowest(ctx: Ctx, appraisals: list[dict]) -> list[dict]:
    """The units of the lowest scores of each appraisal (the ranking page sorted from the
    lowest score), those of the best grade left out."""
    lowest = []
    for info in appraisals:
        scheme = info["scheme"]
        url = _url("appraisal:ranking", info["appraisal"].pk, sort="-score")
        units = [
            f"{r.name}（{_rank_text(scheme, r.rank)}，"
            + ctx.add("存在问题", f"{info['name']}{r.name}得分（排名靠后）", r.score, url)
            + f"分，{r.grade or '—'}）"
            for r in info["lowest"]
            if r.grade != scheme.grades[0].label
        ]
        if units:
            lowest.append({"name": info["name"], "units": "、".join(units)})
    return lowest


# ---------------------------------------------------------------- 存在问题


def problems(
    ctx: Ctx,
    ledger: dict | None = None,
    publication: dict | None = None,
    appraisal: list[dict] | None = None,
) -> dict:
    """Targets missed, overdue entries, verdicts withdrawn, late or missing reports, the
    lowest units: those of the appraisal ranking when ``appraisal`` (from
    :func:`appraisal_results`) is given, else the lowest per missed indicator."""
    from jiceng.aggregates.queries import reporting
    from jiceng.assessments.models import VerdictRecord
    from jiceng.indicators.queries import below_target, region_table

    # targets missed by the region and the units just below it
    missed = []
    for node, row in below_target(ctx.region, ctx.period, limit=1000):
        url = _url("indicators:node", node.code, period=ctx.period)
        missed.append(
            {
                "unit": node.name,
                "name": row.name,
                "value": ctx.add("存在问题", f"{node.name}{row.name}", pct(row.value), url),
                "target": target_text(row.target),
                "code": row.code,
            }
        )
    # overdue ledger entries, by county
    ledger = ledger or ledger_results(Ctx(ctx.region, ctx.year, ctx.quarter, ctx.today))["_ledger"]
    overdue = ctx.add("存在问题", "逾期未整改问题数", ledger["total"]["overdue"], ledger["url"])
    overdue_by_county = [
        {
            "county": r["county"].name,
            "overdue": ctx.add(
                "存在问题", f"{r['county'].name}逾期问题数", r["overdue"], ledger["url"]
            ),
        }
        for r in ledger["by_county"]
        if r["overdue"]
    ]
    # verdicts withdrawn at look-back
    withdrawn = []
    publication = publication or evaluation_results(ctx)["_publication"]
    for year in sorted(publication):
        url = _url("assessments:publication", region=ctx.region.code, year=year)
        for r in publication[year]["rows"]:
            rec = r["record"]
            if rec.status == VerdictRecord.Status.WITHDRAWN:
                withdrawn.append(
                    {
                        "unit": rec.institution.name,
                        "year": year,
                        "verdict": ctx.add(
                            "存在问题",
                            f"{rec.institution.name}{year}年评定结果（已撤销）",
                            rec.get_verdict_display(),
                            url,
                        ),
                    }
                )
    # late or missing reports, per data set
    reports = []
    for version in _versions(ctx.region):
        period = _dataset_period(version, ctx.period)
        if period is None:
            continue
        rep = reporting(version, ctx.region, period)
        url = _url("aggregates:reporting", ctx.region.code, dataset=version.pk, period=ctx.period)
        reports.append(
            {
                "dataset": version.name,
                "completeness": ctx.add(
                    "存在问题", f"{version.name}上报率", _rate(rep.total["completeness"]), url
                ),
                "timeliness": ctx.add(
                    "存在问题", f"{version.name}及时率", _rate(rep.total["timeliness"]), url
                ),
                "late": ctx.add("存在问题", f"{version.name}迟报份数", len(rep.late), url),
                "missing": ctx.add("存在问题", f"{version.name}未报份数", len(rep.missing), url),
                "raw": rep,
            }
        )
    # the lowest units: of the appraisal ranking, or else for each indicator missed (the
    # region table sorted by it)
    lowest = _appraisal_lowest(ctx, appraisal) if appraisal else []
    codes = (
        [] if appraisal else list(dict.fromkeys(m["code"] for m in missed))[:MAX_RANKED_INDICATORS]
    )
    for code in codes:
        table = region_table(ctx.region, ctx.period, "children", sort=code)
        url = _url(
            "indicators:table", ctx.region.code, period=ctx.period, level="children", sort=code
        )
        units = []
        for row in table.rows[:LOWEST_UNITS]:
            cell = row.cells[code]
            if cell.value is None or cell.met is True:  # a unit meeting its target is not named
                continue
            units.append(
                f"{row.node.name}（"
                + ctx.add(
                    "存在问题", f"{row.node.name}{cell.name}（排名靠后）", pct(cell.value), url
                )
                + "）"
            )
        if units:
            name = next(m["name"] for m in missed if m["code"] == code)
            lowest.append({"name": name, "units": "、".join(units)})
    paragraphs = []
    if missed:
        by_indicator: dict[str, list[dict]] = {}
        for m in missed:
            by_indicator.setdefault(m["name"], []).append(m)
        lows = {} if appraisal else {low["name"]: low["units"] for low in lowest}
        sentences = []
        for name, rows in by_indicator.items():
            own = [m for m in rows if m["unit"] == ctx.region.name]
            below = [m for m in rows if m["unit"] != ctx.region.name]
            parts = []
            if own:
                parts.append(
                    f"全{_unit(ctx.region)}{own[0]['value']}，低于目标（{own[0]['target']}）"
                )
            if below:
                parts.append(f"下级{len(below)}个单位未达到目标")
            if name in lows:
                parts.append(f"排名靠后的是{lows[name]}")
            sentences.append(f"{name}" + "，".join(parts))
        paragraphs.append("（一）部分指标未达到目标。" + "；".join(sentences) + "。")
    paragraphs.append(
        f"（{_cn(len(paragraphs) + 1)}）问题整改仍需加强。整改台账逾期未整改问题{overdue}个"
        + (
            "，其中" + "、".join(f"{r['county']}{r['overdue']}个" for r in overdue_by_county)
            if len(overdue_by_county) > 1
            else ""
        )
        + "。"
    )
    if withdrawn:
        paragraphs.append(
            f"（{_cn(len(paragraphs) + 1)}）评定结果经复核回头看被撤销："
            + "、".join(f"{w['unit']}（{w['year']}年{w['verdict']}）" for w in withdrawn)
            + "。"
        )
    if appraisal and lowest:
        paragraphs.append(
            f"（{_cn(len(paragraphs) + 1)}）部分单位绩效考核排名靠后。"
            + "；".join(f"{low['name']}排名靠后的是{low['units']}" for low in lowest)
            + "。"
        )
    late = [r for r in reports if r["raw"].late or r["raw"].missing]
    if late:
        paragraphs.append(
            f"（{_cn(len(paragraphs) + 1)}）数据上报不够及时完整。"
            + "；".join(f"{r['dataset']}迟报{r['late']}份、未报{r['missing']}份" for r in late)
            + "。"
        )
    return {
        "targets_missed": missed,
        "overdue_total": overdue,
        "overdue_by_county": overdue_by_county,
        "withdrawn": withdrawn,
        "reporting": reports,
        "lowest_units": lowest,
        "problem_paragraphs": paragraphs,
        "problems_text": "".join(paragraphs),
    }


def _cn(n: int) -> str:
    return "一二三四五六七八九十"[n - 1] if 1 <= n <= 10 else str(n)


def _rate(value) -> str:
    return "" if value is None else f"{value}%"


# ---------------------------------------------------------------- the whole


SECTIONS: tuple[tuple[str, Callable[[Ctx], dict | None]], ...] = (
    ("basic", basic_situation),
    ("evaluation", evaluation_results),
    ("indicators", indicator_results),
    ("aggregates", aggregate_results),
    ("ledger", ledger_results),
    ("appraisal", appraisal_results),
)


def build(
    region: Node,
    year: int,
    quarter: int | None = None,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict, list[Figure]]:
    """Every field of the summary template (before charts and tables) and its figures."""
    ctx = Ctx(region, year, quarter, today or timezone.localdate())
    fields: dict[str, Any] = {}
    steps = len(SECTIONS) + 1
    for i, (name, section) in enumerate(SECTIONS, 1):
        part = section(ctx)
        fields[f"has_{name}"] = part is not None
        fields.update(part or {})
        if progress:
            progress(i, steps)
    fields.update(
        problems(
            ctx,
            ledger=fields.get("_ledger"),
            publication=fields.get("_publication"),
            appraisal=fields.get("_appraisal"),
        )
    )
    if progress:
        progress(steps, steps)
    period_name = f"{year}年第{quarter}季度" if quarter else f"{year}年"
    fields.update(
        {
            "region_name": region.name,
            "region_code": region.code,
            "year": year,
            "previous_year": year - 1,
            "next_year": year + 1,
            "quarter": quarter or "",
            "period_label": ctx.period,
            "period_name": period_name,
            "title": (
                f"{region.name}{period_name}基层卫生健康工作进展情况（调度）"
                if quarter
                else f"{region.name}{period_name}优质服务基层行工作总结"
            ),
            "generated_on": f"{ctx.today.year}年{ctx.today.month}月{ctx.today.day}日",
            "figures": [f.__dict__ for f in ctx.figures],
        }
    )
    return fields, ctx.figures


__all__ = ["Ctx", "Figure", "build", "num"]
