"""满意度调查 — satisfaction surveys: questionnaires as data files, respondent-level responses
(phone survey spreadsheets or a page), and satisfaction rates by institution, region node,
questionnaire kind and period.

The rate (docs/surveys.md, "How the rate is counted"): of the respondents who answered the
questionnaire's *overall* question (``overall:`` in the file), the share whose answer is an
option marked ``satisfied: true``. A region pools its institutions' respondents (it is not an
average of rates); a year pools its quarters.

For other apps (the appraisal, branch appr-web) the rate is one call::

    from jiceng.surveys import satisfaction_rate
    numerator, denominator = satisfaction_rate(node, "outpatient", "2026Q1")

``node`` is any node of the tree (an institution or a region: its subtree is counted),
``questionnaire_kind`` one of ``outpatient`` (门诊), ``inpatient`` (住院), ``contracted``
(签约居民), ``public_health`` (公共卫生服务) — the Chinese names are accepted too —,
``period`` a quarter (``2026Q1``) or a year (``2026``). The result is
(satisfied respondents, respondents who answered the overall question), summed over every
questionnaire version of that kind; (0, 0) when nobody was surveyed. It reads the stored
tallies (one query) and checks no user's scope: the caller does. For many nodes at once
(an appraisal of every institution of a province) ``satisfaction_rates(nodes, kind, period)``
answers {node id: (numerator, denominator)} in one query.
"""

from __future__ import annotations


def satisfaction_rate(node, questionnaire_kind: str, period: str) -> tuple[int, int]:
    """(satisfied respondents, respondents who answered) of ``node``'s subtree in ``period``."""
    from jiceng.surveys.queries import satisfaction_rate as _rate

    return _rate(node, questionnaire_kind, period)


def satisfaction_rates(nodes, questionnaire_kind: str, period: str) -> dict[int, tuple[int, int]]:
    """:func:`satisfaction_rate` of each of ``nodes``: {node id: (satisfied, answered)}."""
    from jiceng.surveys.queries import satisfaction_rates as _rates

    return _rates(list(nodes), questionnaire_kind, period)
