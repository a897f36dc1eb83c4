"""The appraisal ranking on commissions' home dashboards (``insights.dashboards`` hook).

A commission sees the newest published appraisal *of its own region* (the county's
appraisal of its institutions for a county, the city's of its counties for a city): the
best and the worst units by score, with a link to the whole ranking. One query, whatever
the number of units: the published results are frozen in the appraisal row.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.appraisal import queries, results
from jiceng.appraisal.models import Status
from jiceng.insights.dashboards import register_ranking
from jiceng.orgs.models import Node

SHOWN = 5  # units shown at each end of the ranking


def ends(rows: list[results.Row], n: int = SHOWN) -> list[results.Row]:
    """The ``n`` best and ``n`` worst scored rows by rank (every row when there are at most
    2 × n); rows without a score are left out."""
    scored = sorted((r for r in rows if r.score is not None), key=results.SORTS["rank"])
    if len(scored) <= 2 * n:
        return scored
    return scored[:n] + scored[-n:]


@register_ranking
def latest_ranking(user, region: Node) -> dict | None:
    """``{"title", "rows": [(name, score)], "table_url"}`` of the newest published appraisal
    of ``region`` that ``user`` sees (only the rows of units in their sight), or None."""
    appraisal = (
        queries.visible_appraisals(user)
        .filter(region=region, status=Status.PUBLISHED)
        .order_by("-year", "-published_at", "-pk")
        .first()
    )
    if appraisal is None or not appraisal.frozen:
        return None
    rows = ends(queries.rows_seen(user, results.thaw(appraisal.frozen).units))
    if not rows:
        return None
    title = _("%(scheme)s %(year)s: best and worst scores") % {
        "scheme": appraisal.scheme.title,
        "year": appraisal.year,
    }
    return {
        "title": title,
        "rows": [(f"{r.rank}. {r.name}", float(r.score)) for r in rows],
        "table_url": reverse("appraisal:ranking", args=[appraisal.pk]),
    }
