"""API: the visualizer's figures, ``GET /insights/data`` with the page's query parameters
(``m``, ``root``, ``level``, ``unit``, ``pt``, ``year``, ``sort``); the same rows as the CSV
and Excel exports. A unit out of the caller's sight is 404."""

from __future__ import annotations

from ninja import Query, Router, Schema

from jiceng.api.pagination import Pages, page_of
from jiceng.insights.request import parse_query, run

router = Router(tags=["insights"])


class MeasureOut(Schema):
    code: str
    name: str
    ratio: bool


class FigureOut(Schema):
    org_code: str
    org_name: str
    total: bool
    measure: str
    measure_name: str
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    change_previous: float | None
    change_last_year: float | None
    target: float | None


class DataOut(Schema):
    root: str
    measures: list[MeasureOut]
    periods: list[str]
    items: list[FigureOut]
    count: int


@router.get("/data", response=DataOut)
def data(request, pages: Query[Pages.Input]):
    """Figures of measures × units × periods: ``?m=ind:CODE&root=CODE&level=county&pt=year``,
    a page of rows at a time (``page``, ``page_size`` ≤ 1000)."""
    req = parse_query(request.GET)
    if not req.measures:
        return {"root": req.root, "measures": [], "periods": [], "items": [], "count": 0}
    result = run(request.user, req)
    return {
        "root": result.root.code,
        "measures": [{"code": m.code, "name": m.name, "ratio": m.ratio} for m in result.measures],
        "periods": [s.label for s in result.periods],
        **page_of(result.rows(), pages, request),
    }
