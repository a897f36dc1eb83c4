"""``satisfaction:CODE`` items read the surveys app's rate of the questionnaire kind CODE for
the appraisal year, for every unit at once: hand-worked with responses imported through the
surveys' own action."""

from fractions import Fraction

import pytest

from jiceng.appraisal import results, sources
from jiceng.surveys.actions import do_import_responses, do_load_questionnaire
from jiceng.surveys.questionnaire import parse_questionnaire

from .helpers import worked_appraisal

# A public-health questionnaire: Q1 is the overall question, answer 1 counts as satisfied.
QUESTIONNAIRE = """\
code: ph
version: "1"
name: 公共卫生服务满意度
kind: 公共卫生服务
overall: Q1
questions:
  - code: Q1
    text: 总体满意吗？
    options:
      - {code: "1", text: 满意, satisfied: true}
      - {code: "2", text: 不满意}
"""


def _import(q, period: str, rows: list[tuple[str, str, int, int]]) -> None:
    """Import ``period``'s file: per (org code, day, satisfied, unsatisfied) that many rows."""
    lines = ["机构编码,调查日期,电话号码,Q1\n"]
    n = 0
    for org, day, sat, unsat in rows:
        for i in range(sat + unsat):
            n += 1
            lines.append(f"{org},{day},139{n:08d},{'1' if i < sat else '2'}\n")
    do_import_responses(None, q, period, "".join(lines).encode(), f"{period}.csv")


def _surveyed(personas):
    t = personas.tree
    d = parse_questionnaire(QUESTIONNAIRE, "ph.yaml")
    q = do_load_questionnaire(None, d, QUESTIONNAIRE, "ph.yaml", owner=t.P)
    _import(q, "2024Q4", [(t.TA2.code, "2024-11-02", 0, 10)])  # the year before: not counted
    _import(q, "2025Q1", [(t.TA1.code, "2025-02-10", 18, 2)])  # TA1 18/20
    _import(q, "2025Q2", [(t.TA2.code, "2025-05-10", 19, 1)])  # TA2 19/20
    _import(q, "2025Q4", [(t.VA1.code, "2025-11-10", 9, 1)])  # VA1 (below TA1) 9/10
    return q


def test_a_satisfaction_item_gets_the_units_rate_of_the_appraisal_year(personas):
    _surveyed(personas)
    t = personas.tree
    needs = [sources.Need("S", "satisfaction", "public_health")]
    got = sources.gather(t.A, [t.TA1, t.TA2, t.CA1, t.A], 2025, needs)
    # TA1 pools its village clinic and the year's quarters: (18 + 9) / (20 + 10) = 90%
    assert got[t.TA1.code]["S"] == Fraction(90)
    assert got[t.TA2.code]["S"] == Fraction(95)  # 19/20; 2024's 0/10 left out
    assert got[t.CA1.code]["S"] is None  # nobody surveyed: 无数据, never 0%
    # county A: (18 + 19 + 9) / (20 + 20 + 10) = 46/50 = 92%
    assert got[t.A.code]["S"] == Fraction(92)


def test_the_kind_may_be_named_in_capitals_or_in_chinese_and_other_kinds_have_no_data(personas):
    _surveyed(personas)
    t = personas.tree
    needs = [
        sources.Need("U", "satisfaction", "PUBLIC_HEALTH"),
        sources.Need("Z", "satisfaction", "公共卫生服务"),
        sources.Need("O", "satisfaction", "outpatient"),
    ]
    got = sources.gather(t.A, [t.TA1], 2025, needs)[t.TA1.code]
    assert got == {"U": Fraction(90), "Z": Fraction(90), "O": None}


def test_the_worked_appraisal_scores_the_satisfaction_item_by_its_rule(personas):
    appraisal = worked_appraisal(personas)
    _surveyed(personas)
    t = personas.tree
    table = results.compute(appraisal)
    # D: linear floor 80, target 95, 10 points.
    # TA1 90% → 10 × (90 − 80) / 15 = 20/3 = 6.6667 (items show 4 decimals); score (8 + 10 + 10 + 20/3) / 40 = 86.67
    # TA2 95% → 10; score (10 + 10 + 7 + 10) / 40 = 92.50
    # CA1 nobody surveyed: D exempt and left out, as before: 20/30 = 66.67
    ta1, ta2, ca1 = (table.row(u.code) for u in (t.TA1, t.TA2, t.CA1))
    assert (ta1.items["D"].points, ta1.score, ta1.grade) == ("6.6667", "86.67", "合格")
    assert (ta2.items["D"].points, ta2.score, ta2.grade) == ("10", "92.50", "优秀")
    assert ca1.items["D"].points is None and ca1.score == "66.67"
    assert {r.unit: r.rank for r in table.units} == {t.TA2.code: 1, t.TA1.code: 2, t.CA1.code: 3}


@pytest.mark.django_db
def test_a_scheme_naming_an_unknown_questionnaire_kind_is_refused():
    from jiceng.appraisal import engine
    from jiceng.core.errors import UserError

    from .helpers import SCHEME

    text = SCHEME.replace("satisfaction:PUBLIC_HEALTH", "satisfaction:dental")
    with pytest.raises(UserError) as err:
        engine.read_scheme(text.encode(), "t.yaml")
    assert "未知的满意度编码「dental」" in str(err.value)
