"""Reading the ledger: filtered lists, counts for reports, an institution's open items.

Every function that takes a ``user`` limits itself to the user's part of the tree.
"Overdue" (逾期) means: still open — not reported fixed, or sent back — after the deadline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from jiceng.core import scope
from jiceng.orgs.models import Kind, Node, path_ids
from jiceng.rectification.models import LedgerEntry, Source, Status, SupervisionVisit


def overdue_q(today: dt.date) -> Q:
    """Entries still open after their deadline."""
    return Q(status=Status.OPEN, deadline__lt=today)


@dataclass
class LedgerFilter:
    """What the ledger page, the API and the export filter on."""

    region: Node | None = None
    status: str = ""
    source: str = ""
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    overdue: bool = False
    q: str = ""
    today: dt.date = field(default_factory=timezone.localdate)


def visible_entries(user) -> QuerySet[LedgerEntry]:
    """Every entry of an institution the user can see (``None``: the system, sees all)."""
    qs = LedgerEntry.objects.select_related(
        "institution", "institution__parent", "visit", "verified_by"
    )
    if user is None:
        return qs
    return scope.filter_by_node(user, qs, field="institution")


def ledger(user, f: LedgerFilter | None = None) -> QuerySet[LedgerEntry]:
    """The entries the user sees, narrowed by ``f``.

    Overdue first, then open, reported fixed and closed; by deadline within each.
    """
    f = f or LedgerFilter()
    qs = visible_entries(user)
    if f.region is not None:
        qs = qs.filter(institution__path__startswith=f.region.path)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.due_from:
        qs = qs.filter(deadline__gte=f.due_from)
    if f.due_to:
        qs = qs.filter(deadline__lte=f.due_to)
    if f.overdue:
        qs = qs.filter(overdue_q(f.today))
    if f.q:
        qs = qs.filter(
            Q(description__icontains=f.q)
            | Q(institution__name__icontains=f.q)
            | Q(item_code__iexact=f.q)
            | Q(responsible__icontains=f.q)
        )
    rank = Case(
        When(overdue_q(f.today), then=Value(0)),
        When(status=Status.OPEN, then=Value(1)),
        When(status=Status.REPORTED_FIXED, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return qs.annotate(rank=rank).order_by("rank", "deadline", "pk")


def _counts(today: dt.date) -> dict:
    """The counts of :func:`summary`, as aggregates (for ``aggregate`` or ``annotate``)."""
    return {
        "total": Count("pk"),
        "open": Count("pk", filter=Q(status=Status.OPEN)),
        "overdue": Count("pk", filter=overdue_q(today)),
        "reported_fixed": Count("pk", filter=Q(status=Status.REPORTED_FIXED)),
        "closed": Count("pk", filter=Q(status=Status.CLOSED)),
    }


def summary(qs: QuerySet[LedgerEntry], today: dt.date | None = None) -> dict[str, int]:
    """Counts of a set of entries: total, open, overdue, reported fixed, closed."""
    return qs.aggregate(**_counts(today or timezone.localdate()))


def counts_by_county(user, region: Node | None = None, today: dt.date | None = None) -> list[dict]:
    """Per county within ``region`` (default: what the user sees): entry counts by status.

    Rows: ``{"county": Node, "total", "open", "overdue", "reported_fixed", "closed",
    "close_rate"}``, counties in code order; counties without entries are included.
    Two queries whatever the number of counties: the counties, and the counts per
    institution, added up to their county here.
    """
    today = today or timezone.localdate()
    entries = visible_entries(user)
    nodes = Node.objects.all() if user is None else scope.visible_nodes(user)
    counties = nodes.filter(kind=Kind.COUNTY)
    if region is not None:
        entries = entries.filter(institution__path__startswith=region.path)
        counties = counties.filter(path__startswith=region.path)
    counts = _counts(today)
    rows = {c.pk: {"county": c, **dict.fromkeys(counts, 0)} for c in counties.order_by("code")}
    per_institution = (
        entries.order_by()
        .values("institution__path")
        .annotate(**counts)
        .values_list("institution__path", *counts)
    )
    for path, *figures in per_institution:
        row = next((rows[i] for i in path_ids(path) if i in rows), None)
        if row is not None:
            for name, n in zip(counts, figures, strict=True):
                row[name] += n
    for row in rows.values():
        row["close_rate"] = (row["closed"] / row["total"]) if row["total"] else None
    return list(rows.values())


def counts_by_source(qs: QuerySet[LedgerEntry], today: dt.date | None = None) -> list[dict]:
    """Per source (county review, re-check, supervision, ...): entry counts by status."""
    today = today or timezone.localdate()
    rows = []
    for source in Source:
        c = summary(qs.filter(source=source), today)
        rows.append({"source": source.value, "label": source.label, **c})
    return rows


def open_items_for(institution: Node) -> QuerySet[LedgerEntry]:
    """An institution's entries not yet closed (for its profile page), soonest due first."""
    return (
        LedgerEntry.objects.filter(institution__path__startswith=institution.path)
        .exclude(status=Status.CLOSED)
        .select_related("institution")
        .order_by("deadline", "pk")
    )


def awaiting_verification(user) -> QuerySet[LedgerEntry]:
    """Entries reported fixed that this user may verify (never their own institution's)."""
    qs = visible_entries(user).filter(status=Status.REPORTED_FIXED)
    inst = user.home_institution if user.is_authenticated else None
    if inst is not None:
        qs = qs.exclude(institution__path__startswith=inst.path)
    return qs.order_by("reported_at", "pk")


def visible_visits(user) -> QuerySet[SupervisionVisit]:
    """Visits to a unit the user sees, or with a finding at an institution the user sees
    (a clerk sees the county-wide visit that found a problem at their institution)."""
    qs = SupervisionVisit.objects.all()
    if user is None or scope.is_global(user):
        return qs
    root = scope.scope_root(user)
    if root is None:
        return qs.none()
    ids = SupervisionVisit.objects.filter(
        Q(node__path__startswith=root.path) | Q(findings__institution__path__startswith=root.path)
    ).values("pk")
    return qs.filter(pk__in=ids)


def visits(user, region: Node | None = None) -> QuerySet[SupervisionVisit]:
    """Supervision visits the user sees (see :func:`visible_visits`), newest first."""
    qs = visible_visits(user).select_related("node").annotate(n_findings=Count("findings"))
    if region is not None:
        qs = qs.filter(node__path__startswith=region.path)
    return qs.order_by("-visited_on", "-pk")
