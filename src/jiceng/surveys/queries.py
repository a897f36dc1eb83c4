"""Reads of satisfaction surveys: questionnaires in scope, rates of a node and its children,
rates by question, comments. Every rate is read from :class:`Tally` (see ``models``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.db.models import QuerySet, Sum
from django.http import Http404

from jiceng.core import scope
from jiceng.core.errors import UserError
from jiceng.datasets import Period, parse_period
from jiceng.orgs.models import Node
from jiceng.surveys.models import Questionnaire, Response, Tally
from jiceng.surveys.questionnaire import KINDS, kind_code, parse_questionnaire
from jiceng.surveys.questionnaire import Questionnaire as Definition
from jiceng.surveys.rates import change, percent, quarter_of, roll_up


@lru_cache(maxsize=64)
def _parsed(pk: int, loaded_at, source: str, name: str):
    return parse_questionnaire(source, name)


def definition_of(q: Questionnaire) -> Definition:
    """The parsed questionnaire of a loaded version (cached per version)."""
    return _parsed(q.pk, q.loaded_at, q.source, q.source_name or "questionnaire.yaml")


def visible_questionnaires(user) -> QuerySet[Questionnaire]:
    """The questionnaires ``user`` sees: those that apply at their node and those below."""
    return scope.visible_catalogs(user, Questionnaire.objects.select_related("owner"))


def get_questionnaire(user, pk: int) -> Questionnaire:
    q = visible_questionnaires(user).filter(pk=pk).first()
    if q is None:
        raise Http404("questionnaire not found")
    return q


def importable_institutions(user, questionnaire: Questionnaire) -> dict[str, int]:
    """Code -> id of the institutions whose responses ``user`` may import for
    ``questionnaire``: within their sight, where the questionnaire applies, and where the
    scope allows importing (``scope.Action.IMPORT_DATA``: administrators)."""
    nodes = scope.visible_nodes(user).institutions()
    if questionnaire.owner_id is not None:
        nodes = nodes.filter(path__startswith=questionnaire.owner.path)
    nodes = nodes.select_related(None).only("pk", "code", "kind", "path")
    root = scope.scope_root(user)
    for n in nodes[:1]:  # the role is the same for every node: ask once
        if not scope.can(user, scope.Action.IMPORT_DATA, n):
            return {}
    if root is None and not scope.is_global(user):
        return {}
    return dict(nodes.values_list("code", "pk"))


def survey_period(text: str) -> Period:
    """A quarter or a year; UserError in Chinese otherwise."""
    try:
        p = parse_period(text)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if p.type not in ("quarterly", "yearly"):
        raise UserError(f"统计期「{text}」应为季度（2026Q1）或年份（2026）")
    return p


def last_quarter(today) -> str:
    """The last quarter that has ended (the pages' default period)."""
    return parse_period(quarter_of(today)).previous().label


def quarters(p: Period) -> list[str]:
    return [q.label for q in p.periods("quarterly")]


def _kind(kind: str) -> str:
    code = kind_code(kind)
    if code is None:
        raise UserError(f"未知的问卷类别「{kind}」：应为 {'、'.join(KINDS.values())} 之一")
    return code


def satisfaction_rate(node: Node, questionnaire_kind: str, period: str) -> tuple[int, int]:
    """(satisfied, answered) of the overall question in ``node``'s subtree (one query)."""
    p = survey_period(period)
    below = Node.objects.filter(path__startswith=node.path).values("pk")
    got = Tally.objects.filter(
        questionnaire__kind=_kind(questionnaire_kind),
        question="",
        quarter__in=quarters(p),
        institution_id__in=below,
    ).aggregate(s=Sum("satisfied"), a=Sum("answered"))
    return int(got["s"] or 0), int(got["a"] or 0)


def satisfaction_rates(
    nodes: list[Node], questionnaire_kind: str, period: str
) -> dict[int, tuple[int, int]]:
    """:func:`satisfaction_rate` of many nodes at once (one query): node id -> (satisfied,
    answered). For an appraisal of thousands of units."""
    if not nodes:
        return {}
    p = survey_period(period)
    kind = _kind(questionnaire_kind)
    labels = quarters(p)
    pooled = roll_up(_tallies(_common_path(nodes), kind, labels), [n.path for n in nodes])
    out = {}
    for n in nodes:
        s = a = 0
        for q in labels:
            got = pooled.get((n.path, q))
            if got:
                s, a = s + got[0], a + got[1]
        out[n.pk] = (s, a)
    return out


def _common_path(nodes: list[Node]) -> str:
    """The path of the lowest node that has every one of ``nodes`` at or below it."""
    prefix = os.path.commonprefix([n.path for n in nodes])
    return prefix[: prefix.rfind("/") + 1] or "/"


def _tallies(path: str, kind: str, labels: list[str]) -> list[tuple[str, str, int, int]]:
    """(institution path, quarter, satisfied, answered) of the overall question, for the
    institutions at or below ``path``."""
    rows = (
        Tally.objects.filter(
            questionnaire__kind=kind,
            question="",
            quarter__in=labels,
            institution__path__startswith=path,
        )
        .values_list("institution__path", "quarter")
        .annotate(s=Sum("satisfied"), a=Sum("answered"))
        .order_by()
    )
    return [(path, q, int(s), int(a)) for path, q, s, a in rows]


def all_rates(root: Node, kind: str, year: int) -> dict[tuple[str, str], tuple[int, int]]:
    """(node path, quarter) -> (satisfied, answered) for every node of ``root``'s subtree and
    every quarter of ``year``: two queries, the rest pooled in Python (``rates.roll_up``)."""
    labels = [f"{year}Q{i}" for i in range(1, 5)]
    paths = Node.objects.filter(path__startswith=root.path).values_list("path", flat=True)
    return roll_up(_tallies(root.path, _kind(kind), labels), paths)


@dataclass
class RateRow:
    node: Node
    satisfied: int
    answered: int
    rate: Decimal | None
    previous: Decimal | None  # the previous period (quarter before, or year before)
    last_year: Decimal | None  # the same quarter a year before (quarters only)

    @property
    def change_previous(self) -> Decimal | None:
        return change(self.rate, self.previous)

    @property
    def change_last_year(self) -> Decimal | None:
        return change(self.rate, self.last_year)


@dataclass
class Comparison:
    period: Period
    previous: Period
    last_year: Period | None  # None for a year (it is the previous period)


def comparison(p: Period) -> Comparison:
    return Comparison(p, p.previous(), p.previous(4) if p.type == "quarterly" else None)


def rate_rows(node: Node, kind: str, p: Period, children: list[Node]) -> list[RateRow]:
    """The rate of ``node`` (first) and of each of ``children`` in ``p``, with the rates of
    the previous period and of the same quarter last year (one query)."""
    kind = _kind(kind)
    c = comparison(p)
    periods = {"now": quarters(p), "prev": quarters(c.previous)}
    if c.last_year is not None:
        periods["ly"] = quarters(c.last_year)
    labels = sorted({q for qs in periods.values() for q in qs})
    nodes = [node, *children]
    pooled = roll_up(_tallies(node.path, kind, labels), [n.path for n in nodes])

    def sums(n: Node, which: str) -> tuple[int, int]:
        s = a = 0
        for q in periods.get(which, []):
            got = pooled.get((n.path, q))
            if got:
                s, a = s + got[0], a + got[1]
        return s, a

    out = []
    for n in nodes:
        s, a = sums(n, "now")
        prev = percent(*sums(n, "prev"))
        ly = percent(*sums(n, "ly")) if c.last_year is not None else None
        out.append(RateRow(n, s, a, percent(s, a), prev, ly))
    return out


@dataclass
class QuestionRate:
    questionnaire: Questionnaire
    code: str
    text: str
    overall: bool
    satisfied: int
    answered: int

    @property
    def rate(self) -> Decimal | None:
        return percent(self.satisfied, self.answered)


def question_rates(node: Node, kind: str, p: Period) -> list[QuestionRate]:
    """Satisfied / answered of each choice question of each questionnaire of ``kind``."""
    rows = (
        Tally.objects.filter(
            questionnaire__kind=_kind(kind),
            quarter__in=quarters(p),
            institution__path__startswith=node.path,
        )
        .exclude(question="")
        .values_list("questionnaire", "question")
        .annotate(s=Sum("satisfied"), a=Sum("answered"))
        .order_by()
    )
    got = {(qid, code): (int(s), int(a)) for qid, code, s, a in rows}
    qids = sorted({qid for qid, _c in got})
    out = []
    for q in Questionnaire.objects.filter(pk__in=qids).order_by("code", "version"):
        d = definition_of(q)
        for x in d.choices:
            s, a = got.get((q.pk, x.code), (0, 0))
            out.append(QuestionRate(q, x.code, x.text, x.code == d.overall, s, a))
    return out


MAX_EXPORTED_COMMENTS = 50000  # rows of the comments sheet of an export


def comments(node: Node, kind: str, p: Period) -> QuerySet[Response]:
    """The comments said in ``node``'s subtree in ``p``, newest first (a queryset)."""
    return (
        Response.objects.filter(
            questionnaire__kind=_kind(kind),
            quarter__in=quarters(p),
            institution__path__startswith=node.path,
        )
        .exclude(comment="")
        .select_related("institution")
        .only("date", "comment", "institution__name", "institution__code")
        .order_by("-date", "-pk")
    )
