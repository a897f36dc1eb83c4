"""The home dashboard of each role, from the data that role can see.

Commissions (administrators, analysts, reviewers): the campaign funnel by county, verdict
shares this year against last year, ledger ageing, an indicator against its target by
township (worst first), the reporting rates of the data sets, and an appraisal ranking when
an app registers one (:func:`register_ranking`). Institutions: their to-dos, their indicators
against targets and their peers' median, their overdue items.

Each chart is a dict ``{"id", "title", "kind", "data", "table_url"}``: ``table_url`` is the
page with the table behind the chart. The number of queries does not grow with the tree.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.models import Role
from jiceng.core import scope
from jiceng.orgs.models import Kind, Node, path_ids

# The appraisal app registers ``fn(user, region) -> {"title", "rows": [(name, score)],
# "table_url"} | None``: the ranking shown on commissions' dashboards.
_RANKINGS: list[Callable] = []
AGE_BANDS = ((0, 30), (31, 90), (91, 180), (181, None))


def register_ranking(fn: Callable) -> Callable:
    """Hook for the appraisal app: show its ranking on the commissions' dashboards."""
    _RANKINGS.append(fn)
    return fn


def _viz(**params) -> str:
    return reverse("insights:visualizer") + "?" + urlencode(params, doseq=True)


# --- commissions -----------------------------------------------------------------------------

FUNNEL = (
    ("self", ("submitted", "county_passed", "recheck_pending", "rechecked", "published")),
    ("county", ("county_passed", "recheck_pending", "rechecked", "published")),
    ("recheck", ("rechecked", "published")),
    ("published", ("published",)),
)


def funnel(user, region: Node) -> dict | None:
    """Institutions of the latest cycle year per county: self-assessed → county passed →
    re-checked → published."""
    from jiceng.assessments import queries

    cycle = queries.visible_cycles(user).order_by("-year").first()
    if cycle is None:
        return None
    rows = (
        queries.visible_submissions(user)
        .filter(cycle__year=cycle.year, institution__path__startswith=region.path)
        .order_by()
        .values("institution__path", "stage")
        .annotate(n=Count("id"))
        .values_list("institution__path", "stage", "n")
    )
    rows = list(rows)
    if not rows:
        return None
    counties = queries.counties_by_path(p for p, _s, _n in rows)
    per: dict[str, Counter] = defaultdict(Counter)
    names: dict[str, str] = {}
    for path, stage, n in rows:
        c = counties[path]
        key = c.code if c else ""
        names[key] = c.name if c else _("others")
        for step, stages in FUNNEL:
            if stage in stages:
                per[key][step] += n
        per[key]["total"] += n
    keys = sorted(per)
    labels = {
        "self": _("self-assessed"),
        "county": _("county passed"),
        "recheck": _("re-checked"),
        "published": _("published"),
    }
    return {
        "id": "funnel",
        "title": _("Campaign funnel by county, %(year)s") % {"year": cycle.year},
        "kind": "bar",
        "data": {
            "categories": [names[k] for k in keys],
            "series": [
                {"name": str(labels[s]), "data": [per[k][s] for k in keys]} for s, _st in FUNNEL
            ],
        },
        "table_url": reverse("assessments:progress") + f"?year={cycle.year}",
    }


def verdict_shares(user, region: Node) -> dict | None:
    """Shares of published verdicts (not withdrawn) by verdict, this year against last."""
    from jiceng.assessments.models import VerdictRecord

    rows = list(
        scope.filter_by_node(user, VerdictRecord.objects.all(), "institution")
        .filter(institution__path__startswith=region.path, publication__isnull=False)
        .exclude(status=VerdictRecord.Status.WITHDRAWN)
        .order_by()
        .values("cycle__year", "verdict")
        .annotate(n=Count("id"))
        .values_list("cycle__year", "verdict", "n")
    )
    if not rows:
        return None
    latest = max(y for y, _v, _n in rows)
    years = [latest - 1, latest]
    counts = {(y, v): n for y, v, n in rows}
    totals = {y: sum(n for (yy, _v), n in counts.items() if yy == y) for y in years}
    order = (
        ("recommended", _("recommended standard")),
        ("basic", _("basic standard")),
        ("none", _("standard not reached")),
    )
    return {
        "id": "verdicts",
        "title": _("Verdict shares, %(year)s against %(last)s") % {"year": latest, "last": latest - 1},
        "kind": "stacked",
        "percent": True,
        "data": {
            "categories": [str(y) for y in years],
            "series": [
                {
                    "name": str(label),
                    "data": [
                        round(counts.get((y, v), 0) * 100 / totals[y], 1) if totals[y] else None
                        for y in years
                    ],
                }
                for v, label in order
            ],
        },
        "table_url": _viz(
            m=["verdict:recommended", "verdict:basic", "verdict:none", "verdict:share"],
            root=region.code, level="children", pt="year", year=latest, chart="table",
        ),
    }


def ledger_ageing(user, region: Node, today: dt.date | None = None) -> dict | None:
    """Entries not yet closed by age (days since found): open within the deadline, overdue."""
    from jiceng.rectification import queries
    from jiceng.rectification.models import Status

    today = today or timezone.localdate()
    rows = list(
        queries.visible_entries(user)
        .filter(institution__path__startswith=region.path)
        .exclude(status=Status.CLOSED)
        .order_by()
        .values_list("opened_on", "deadline", "status")
    )
    if not rows:
        return None
    cats = []
    for lo, hi in AGE_BANDS:
        cats.append(_("%(lo)s–%(hi)s days") % {"lo": lo, "hi": hi} if hi else
                    _("over %(lo)s days") % {"lo": lo - 1})
    ok, late = [0] * len(AGE_BANDS), [0] * len(AGE_BANDS)
    for opened, deadline, status in rows:
        age = (today - opened).days
        i = next(i for i, (lo, hi) in enumerate(AGE_BANDS) if hi is None or age <= hi)
        if status == Status.OPEN and deadline < today:
            late[i] += 1
        else:
            ok[i] += 1
    return {
        "id": "ageing",
        "title": _("Ledger ageing: entries not closed"),
        "kind": "stacked",
        "data": {
            "categories": [str(c) for c in cats],
            "series": [
                {"name": str(_("within the deadline")), "data": ok},
                {"name": str(_("overdue")), "data": late},
            ],
        },
        "table_url": reverse("rectification:ledger") + "?overdue=1",
    }


def _levels_for(region: Node) -> str:
    return "township" if region.level < 4 else "children"


def indicator_vs_target(user, region: Node, code: str = "") -> dict | None:
    """One indicator with a target, by township (worst first), with the target drawn in."""
    from jiceng.indicators import queries

    period = queries.latest_year_period(region)
    if period is None:
        return None
    year = queries.parse(period).year
    targets = queries.targets_for_nodes([region], year)[region.pk]
    if not targets:
        return None
    code = code if code in targets else sorted(targets)[0]
    target = targets[code]
    level = _levels_for(region)
    units = queries.nodes_at(region, level)
    values = queries.latest_values(units, [period], indicators=[code])
    pairs = [(u, values.get((u.pk, period), {}).get(code)) for u in units]
    pairs = [(u, v.value) for u, v in pairs if v is not None and v.value is not None]
    if not pairs:
        return None
    worst_first = target.comparison == target.Comparison.AT_LEAST
    pairs.sort(key=lambda p: p[1], reverse=not worst_first)
    names = {d.code: d.name for d in queries.definitions()}
    return {
        "id": "targets",
        "title": _("%(indicator)s against its target, %(period)s")
        % {"indicator": names.get(code, code), "period": period},
        "kind": "bar",
        "percent": True,
        "target": round(float(target.threshold) * 100, 2),
        "data": {
            "categories": [u.name for u, _v in pairs],
            "series": [{"name": names.get(code, code), "data": [round(v * 100, 2) for _u, v in pairs]}],
        },
        "table_url": _viz(m=f"ind:{code}", root=region.code, level=level, pt="year",
                          year=year, chart="table", sort="value"),
        "choices": [(c, names.get(c, c)) for c in sorted(targets)],
        "chosen": code,
    }


def reporting_rates(user, region: Node, today: dt.date | None = None) -> dict | None:
    """Completeness of each data set in the region for its last ended period."""
    from jiceng.aggregates import queries

    today = today or timezone.localdate()
    versions = queries.datasets_at(region) if not region.is_institution else []
    cats, rates = [], []
    for v in versions:
        ds = queries.definition_of(v)
        ended = queries.periods_ended(ds.period_type, today)
        if not ended:
            continue
        rep = queries.reporting(v, region, ended[-1])
        rate = rep.total["completeness"]
        cats.append(f"{v.name} {ended[-1].label}")
        rates.append(float(rate) if rate is not None else None)
    if not cats:
        return None
    return {
        "id": "reporting",
        "title": _("Reporting rates of the data sets"),
        "kind": "bar",
        "percent": True,
        "data": {"categories": cats, "series": [{"name": str(_("reporting rate")), "data": rates}]},
        "table_url": reverse("aggregates:reporting", args=[region.code]),
    }


def rankings(user, region: Node) -> list[dict]:
    """What the appraisal hook gives, as charts."""
    out = []
    for fn in _RANKINGS:
        got = fn(user, region)
        if got:
            out.append({
                "id": f"ranking{len(out)}",
                "title": got["title"],
                "kind": "bar",
                "data": {
                    "categories": [n for n, _s in got["rows"]],
                    "series": [{"name": str(_("score")), "data": [s for _n, s in got["rows"]]}],
                },
                "table_url": got.get("table_url", ""),
            })
    return out


def commission(user, region: Node, indicator: str = "") -> list[dict]:
    """The charts of a commission's dashboard (those with something to show); ``indicator``
    chooses the one drawn against its target."""
    charts = [
        funnel(user, region),
        verdict_shares(user, region),
        ledger_ageing(user, region),
        indicator_vs_target(user, region, indicator),
        reporting_rates(user, region),
        *rankings(user, region),
    ]
    return [c for c in charts if c]


# --- institutions ----------------------------------------------------------------------------


def todos(user, inst: Node) -> list[dict]:
    """The institution's to-dos: forms to fill, self-assessments to finish, ledger entries."""
    from jiceng.aggregates.queries import forms_to_fill
    from jiceng.assessments.models import Stage, Submission
    from jiceng.rectification.queries import open_items_for, overdue_q

    today = timezone.localdate()
    forms = forms_to_fill(user, today)
    drafts = Submission.objects.filter(
        institution=inst, cycle__closed=False, stage__in=[Stage.DRAFT, Stage.RETURNED]
    ).count()
    entries = open_items_for(inst).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=overdue_q(today))
    )
    return [
        {"label": _("forms to fill"), "n": len(forms), "url": reverse("aggregates:index")},
        {"label": _("self-assessments to finish"), "n": drafts,
         "url": reverse("assessments:index")},
        {"label": _("ledger entries open"), "n": entries["open"],
         "url": reverse("rectification:ledger") + "?status=open"},
        {"label": _("ledger entries overdue"), "n": entries["overdue"],
         "url": reverse("rectification:ledger") + "?overdue=1", "alert": True},
    ]


def peers_of(inst: Node) -> list[Node]:
    """Institutions of the same type in the same county (the institution itself excluded)."""
    county = next(
        (a for a in Node.objects.filter(pk__in=path_ids(inst.path), kind=Kind.COUNTY)), None
    )
    within = county or inst.parent
    if within is None:
        return []
    return list(
        Node.objects.subtree(within).filter(kind=inst.kind, closed__isnull=True)
        .exclude(pk=inst.pk).order_by("code")
    )


def institution_indicators(user, inst: Node) -> dict | None:
    """The institution's indicators against their targets and the peers' median."""
    from jiceng.indicators import queries
    from jiceng.insights.request import median

    period = queries.latest_year_period(inst)
    if period is None:
        return None
    peers = peers_of(inst)
    values = queries.latest_values([inst, *peers], [period])
    own = values.get((inst.pk, period), {})
    if not own:
        return None
    targets = queries.targets_for_nodes([inst], queries.parse(period).year)[inst.pk]
    defs = [d for d in queries.definitions() if d.code in own and own[d.code].value is not None]

    def pct(v):
        return None if v is None else round(v * 100, 2)

    return {
        "id": "mine",
        "title": _("Our indicators, %(period)s: target and peers' median") % {"period": period},
        "kind": "bar",
        "percent": True,
        "data": {
            "categories": [d.name for d in defs],
            "series": [
                {"name": inst.name, "data": [pct(own[d.code].value) for d in defs]},
                {
                    "name": str(_("peers' median")),
                    "data": [
                        pct(median([
                            getattr(values.get((p.pk, period), {}).get(d.code), "value", None)
                            for p in peers
                        ]))
                        for d in defs
                    ],
                },
                {
                    "name": str(_("target")),
                    "data": [
                        pct(float(targets[d.code].threshold)) if d.code in targets else None
                        for d in defs
                    ],
                },
            ],
        },
        "table_url": reverse("indicators:node", args=[inst.code]) + f"?period={period}",
    }


def institution(user, inst: Node) -> list[dict]:
    charts = [institution_indicators(user, inst)]
    return [c for c in charts if c]


def spec(chart: dict) -> dict:
    """What ``insights/charts.js`` draws for a dashboard chart (the visualizer's shape)."""
    targets = []
    if chart.get("target") is not None:
        targets.append({"name": str(_("target")), "value": chart["target"]})
    return {
        "chart": chart["kind"],
        "axis": "unit",
        "categories": chart["data"]["categories"],
        "series": chart["data"]["series"],
        "targets": targets,
        "scatter": None,
        "percent": bool(chart.get("percent")),
    }


def _with_specs(charts: list[dict]) -> list[dict]:
    return [{**c, "spec": spec(c)} for c in charts]


def for_user(user, indicator: str = "") -> dict:
    """``{"kind": "commission"|"institution"|"", "charts", "todos", "node"}``."""
    if user.role == Role.INSTITUTION_STAFF and not scope.is_global(user):
        inst = user.home_institution
        if inst is None:
            return {"kind": "", "charts": [], "todos": [], "node": None}
        return {"kind": "institution", "charts": _with_specs(institution(user, inst)),
                "todos": todos(user, inst), "node": inst}
    region = scope.scope_root(user)
    if region is None:
        region = Node.objects.filter(parent__isnull=True).order_by("code").first()
    if region is None:
        return {"kind": "", "charts": [], "todos": [], "node": None}
    return {
        "kind": "commission",
        "charts": _with_specs(commission(user, region, indicator)),
        "todos": [],
        "node": region,
    }


