"""What a thematic map shows: the regions at a level below a node with their boundaries and
values, the legend's classes, and the institutions as points.

A view is fully described by its query string (``node``, ``level``, ``period``,
``indicator``, ``method``, ``classes``: :class:`MapParams`), so the page, the API and a
pinned dashboard view all ask :func:`map_view` for the same thing. Values come from the
modules that own them: resident-record indicators from ``indicators.queries.latest_values``,
data-set figures from the ``jiceng.datasets`` engine (``aggregate``) over the node's subtree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.aggregates import queries as agg_queries
from jiceng.aggregates.models import DataValue
from jiceng.core import scope
from jiceng.indicators import queries as ind_queries
from jiceng.maps import geo
from jiceng.maps.models import Boundary
from jiceng.orgs.models import INSTITUTION_KINDS, Node, path_ids

METHODS = ("quantile", "equal")
CLASS_RANGE = (2, 7)
DEFAULT_CLASSES = 5
MAX_POINTS = 5000  # institutions drawn as points; beyond that the map says how many were left
NO_DATA_COLOUR = "#d9d9d9"
# ColorBrewer "Blues", sequential: light for low values, dark for high.
PALETTES = {
    1: ["#6baed6"],
    2: ["#bdd7e7", "#3182bd"],
    3: ["#deebf7", "#9ecae1", "#3182bd"],
    4: ["#eff3ff", "#bdd7e7", "#6baed6", "#2171b5"],
    5: ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
    6: ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"],
    7: ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594"],
}


@dataclass(frozen=True)
class Source:
    """Something a map can show: ``ind:<code>`` (a resident-record indicator, a rate shown in
    %) or ``ds:<data set code>:<element or indicator code>`` (a data-set figure)."""

    key: str
    name: str
    group: str
    unit: str = ""


@dataclass
class MapParams:
    node: str = ""
    level: str = "children"
    period: str = ""
    indicator: str = ""
    method: str = "quantile"
    classes: int = DEFAULT_CLASSES

    @classmethod
    def from_query(cls, query) -> MapParams:
        """The parameters of a query string (a QueryDict or dict); bad numbers fall back."""
        try:
            n = int(query.get("classes") or DEFAULT_CLASSES)
        except (TypeError, ValueError):
            n = DEFAULT_CLASSES
        return cls(
            node=(query.get("node") or "").strip(),
            level=(query.get("level") or "children").strip(),
            period=(query.get("period") or "").strip(),
            indicator=(query.get("indicator") or "").strip(),
            method=(query.get("method") or "quantile").strip(),
            classes=min(max(n, CLASS_RANGE[0]), CLASS_RANGE[1]),
        )

    def query(self, **changes) -> str:
        values = {
            "node": self.node,
            "level": self.level,
            "period": self.period,
            "indicator": self.indicator,
            "method": self.method,
            "classes": self.classes,
        } | changes
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})

    def url(self, **changes) -> str:
        return f"{reverse('maps:map')}?{self.query(**changes)}"


@dataclass
class MapView:
    node: Node
    params: MapParams
    levels: list[tuple[str, str]]
    sources: list[Source]
    source: Source | None
    periods: list[str]
    errors: list[str] = field(default_factory=list)
    regions: list[dict] = field(default_factory=list)
    edges: list[float] = field(default_factory=list)
    points: list[dict] = field(default_factory=list)
    points_left_out: int = 0
    features: list[dict] = field(default_factory=list)
    ancestors: list[Node] = field(default_factory=list)

    @property
    def classes(self) -> list[dict]:
        """The legend: each class with its bounds, colour and number of regions."""
        k = max(len(self.edges) - 1, 0)
        colours = PALETTES.get(k, PALETTES[7][:k])
        out = []
        for i in range(k):
            out.append(
                {
                    "index": i,
                    "from": self.edges[i],
                    "to": self.edges[i + 1],
                    "colour": colours[i],
                    "regions": sum(1 for r in self.regions if r["class"] == i),
                }
            )
        return out

    @property
    def missing_boundaries(self) -> list[dict]:
        return [r for r in self.regions if not r["has_boundary"]]

    def as_dict(self) -> dict:
        """The data behind the map (the page embeds it; the API answers it)."""
        colours = [c["colour"] for c in self.classes]
        urls = {r["code"]: self.params.url(node=r["code"], level="children") for r in self.regions}
        return {
            "node": {"code": self.node.code, "name": self.node.name},
            "level": self.params.level,
            "period": self.params.period,
            "indicator": (
                {"key": self.source.key, "name": self.source.name, "unit": self.source.unit}
                if self.source
                else None
            ),
            "method": self.params.method,
            "classes": self.classes,
            "no_data_colour": NO_DATA_COLOUR,
            "regions": [
                {
                    **r,
                    "colour": colours[r["class"]] if r["class"] is not None else NO_DATA_COLOUR,
                    "url": urls[r["code"]],
                }
                for r in self.regions
            ],
            "points": [{**p, "url": urls.get(p.get("region"))} for p in self.points],
            "points_left_out": self.points_left_out,
            "geojson": {"type": "FeatureCollection", "features": self.features},
            "url": self.params.url(),
            "errors": self.errors,
        }


# ---------------------------------------------------------------- sources and periods


def sources_at(node: Node) -> list[Source]:
    """Resident-record indicators, then each data set's elements and indicators."""
    out = [
        Source(f"ind:{d.code}", d.name, _("Resident-record indicators"), "%")
        for d in ind_queries.definitions()
    ]
    for version in agg_queries.datasets_at(node):
        ds = version.definition()
        for el in ds.element_list():
            if el.value_type != "text":
                out.append(Source(f"ds:{ds.code}:{el.code}", el.name, ds.name))
        for ind in ds.indicators:
            out.append(Source(f"ds:{ds.code}:{ind.code}", ind.name, ds.name))
    return out


def _dataset_of(node: Node, source: Source):
    _kind, code, _key = source.key.split(":", 2)
    for version in agg_queries.datasets_at(node):
        if version.code == code:
            return version
    return None


def periods_for(node: Node, source: Source | None) -> list[str]:
    """Periods with values for ``source`` at ``node`` (oldest first); one query or two."""
    if source is None:
        return []
    if source.key.startswith("ind:"):
        return ind_queries.available_periods(node)
    version = _dataset_of(node, source)
    if version is None:
        return []
    stored = set(
        DataValue.objects.filter(dataset__code=version.code, node__path__startswith=node.path)
        .values_list("period", flat=True)
        .distinct()
    )
    labels = stored | {p[:4] for p in stored}
    return sorted(labels, key=ind_queries.period_sort_key)


def _default_period(periods: list[str]) -> str:
    years = [p for p in periods if len(p) == 4]
    return (years or periods or [""])[-1]


# ---------------------------------------------------------------- values


def _number(text: str) -> float | None:
    try:
        return float(Decimal(text))
    except (InvalidOperation, TypeError, ValueError):
        return None


def values_of(node: Node, source: Source, period: str, nodes: list[Node]) -> dict[str, float]:
    """{unit code: value} of ``source`` for ``period`` at each of ``nodes`` (all within
    ``node``). Indicator rates in percent. A constant number of queries."""
    if not nodes:
        return {}
    if source.key.startswith("ind:"):
        code = source.key[4:]
        found = ind_queries.latest_values(nodes, [period])
        out = {}
        for n in nodes:
            v = found.get((n.pk, period), {}).get(code)
            if v is not None and v.value is not None:
                out[n.code] = round(v.value * 100, 4)
        return out
    from jiceng.datasets import parse_period

    version = _dataset_of(node, source)
    if version is None:
        return {}
    key = source.key.split(":", 2)[2]
    figures = agg_queries.unit_figures(version, node, parse_period(period), key)
    out = {}
    for n in nodes:
        number = _number(figures.get(n.code, ""))
        if number is not None:
            out[n.code] = number
    return out


# ---------------------------------------------------------------- the view


def _feature(node: Node, geometry: dict) -> dict:
    return {
        "type": "Feature",
        "properties": {"name": node.code, "label": node.name},
        "geometry": geometry,
    }


def map_view(user, params: MapParams) -> MapView:
    """The map ``params`` ask for, seen by ``user``: 404 for a node out of their sight."""
    from jiceng.indicators.views import LEVEL_LABELS

    root = scope.scope_root(user)
    code = params.node or (root.code if root is not None else "")
    if not code:
        first = Node.objects.filter(parent__isnull=True).order_by("code").first()
        code = first.code if first else ""
    node = scope.access_node(user, code, scope.Action.VIEW)
    params.node = node.code
    errors: list[str] = []
    levels = ind_queries.levels_below(node)
    if params.level not in levels:
        if params.level != "children":
            errors.append(
                _("Unknown level %(level)s; the units directly below are shown.")
                % {"level": params.level}
            )
        params.level = "children"
    if params.method not in METHODS:
        errors.append(
            _("Unknown classification %(method)s; quantiles are used.") % {"method": params.method}
        )
        params.method = "quantile"
    sources = sources_at(node)
    by_key = {s.key: s for s in sources}
    source = by_key.get(params.indicator)
    if source is None:
        if params.indicator:
            errors.append(
                _("Unknown indicator %(key)s; choose one from the list.")
                % {"key": params.indicator}
            )
        source = sources[0] if sources else None
    params.indicator = source.key if source else ""
    periods = periods_for(node, source)
    if params.period and params.period not in periods:
        try:
            params.period = ind_queries.parse(params.period).label
        except ValueError as exc:
            errors.append(str(exc))
            params.period = ""
    if not params.period:
        params.period = _default_period(periods)
    view = MapView(
        node=node,
        params=params,
        levels=[(lv, str(LEVEL_LABELS[lv]())) for lv in levels],
        sources=sources,
        source=source,
        periods=periods,
        errors=errors,
        ancestors=[a for a in node.ancestors() if scope.can_see(user, a)],
    )
    units = [u for u in ind_queries.nodes_at(node, params.level) if u.closed is None]
    shapes = {
        b.node_id: b
        for b in Boundary.objects.filter(node__in=units, current=True).only(
            "node_id", "display", "centre_lon", "centre_lat"
        )
    }
    with_children = set(
        Node.objects.filter(parent__in=units).values_list("parent_id", flat=True).distinct()
    )
    located, view.points_left_out = _located(node)
    both = units + [n for n in located if n.code not in {u.code for u in units}]
    values = values_of(node, source, params.period, both) if source and params.period else {}
    view.edges = geo.breaks(
        [values[u.code] for u in units if u.code in values], params.method, params.classes
    )
    for u in units:
        value = values.get(u.code)
        view.regions.append(
            {
                "code": u.code,
                "name": u.name,
                "value": value,
                "class": geo.class_of(value, view.edges),
                "has_boundary": u.pk in shapes,
                "has_children": u.pk in with_children,
                "centre": [shapes[u.pk].centre_lon, shapes[u.pk].centre_lat]
                if u.pk in shapes
                else None,
            }
        )
        if u.pk in shapes:
            view.features.append(_feature(u, shapes[u.pk].display))
    # each point lies in (at most) one region: a click on it drills into that region
    region_of = {u.pk: u.code for u in units}
    view.points = _points(located, values, params, region_of)
    return view


def _located(node: Node) -> tuple[list[Node], int]:
    """The open institutions below ``node`` that have a location (at most MAX_POINTS), and
    how many more were left out."""
    qs = (
        Node.objects.subtree(node)
        .filter(kind__in=[k.value for k in INSTITUTION_KINDS], closed__isnull=True)
        .exclude(longitude__isnull=True)
        .exclude(latitude__isnull=True)
        .order_by("path")
    )
    located = list(qs[: MAX_POINTS + 1])
    if len(located) > MAX_POINTS:
        return located[:MAX_POINTS], qs.count() - MAX_POINTS
    return located, 0


def _points(
    located: list[Node], values: dict[str, float], params: MapParams, region_of: dict[int, str]
) -> list[dict]:
    """The located institutions with their values, classed among themselves (an
    institution's count is not comparable with a county's), each with its region."""
    mine = [values[n.code] for n in located if n.code in values]
    edges = geo.breaks(mine, params.method, params.classes)
    colours = PALETTES.get(max(len(edges) - 1, 0), [])
    out = []
    for n in located:
        value = values.get(n.code)
        k = geo.class_of(value, edges)
        out.append(
            {
                "code": n.code,
                "name": n.name,
                "kind": n.get_kind_display(),
                "lon": float(n.longitude),
                "lat": float(n.latitude),
                "value": value,
                "class": k,
                "colour": colours[k] if k is not None else NO_DATA_COLOUR,
                "region": next((region_of[i] for i in path_ids(n.path) if i in region_of), None),
            }
        )
    return out
