from jiceng.surveys import satisfaction_rate
from jiceng.surveys.actions import do_import_responses

from .helpers import csv_of, load_small, respondents


def test_smoke(personas):
    t = personas.tree
    q = load_small(t.P)
    data = csv_of(respondents(t.TA1.code, "2026-02-03", 19, 1))
    do_import_responses(personas.county_admin, q, "2026Q1", data, "a.csv")
    assert satisfaction_rate(t.A, "门诊", "2026Q1") == (19, 20)
