"""API: the data behind a thematic map, the same as the map page draws.

``GET /maps/{code}?level=&period=&indicator=&method=&classes=`` answers the regions at the
level with their values, classes and colours, the legend, the located institutions and the
boundaries as a GeoJSON FeatureCollection; 404 for a unit out of the caller's sight.
"""

from __future__ import annotations

from typing import Any

from ninja import Router

from jiceng.maps.queries import MapParams, map_view

router = Router(tags=["maps"])


@router.get("/{code}", response=dict[str, Any], summary="The data of a thematic map")
def map_data(
    request,
    code: str,
    level: str = "children",
    period: str = "",
    indicator: str = "",
    method: str = "quantile",
    classes: int = 5,
):
    params = MapParams.from_query(
        {
            "node": code,
            "level": level,
            "period": period,
            "indicator": indicator,
            "method": method,
            "classes": classes,
        }
    )
    return map_view(request.user, params).as_dict()
