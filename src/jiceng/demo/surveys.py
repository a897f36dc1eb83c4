"""Demo stage "surveys": the four sample questionnaires and six quarters of phone surveys.

The questionnaires are loaded once for the province. For every institution of the county
(``SURVEYED``: the county hospital for outpatients and inpatients, the grassroots for every
kind, inpatients only where there are beds), every quarter from five quarters before the
current one up to the current one (to today) gets a handful of respondents per
questionnaire. Each institution has its own level of satisfaction that
rises a little each quarter, so that the pages show changes against the previous quarter and
the same quarter last year. Each quarter of each questionnaire is one file imported through
``do_import_responses`` by the system (audited), as a county's survey team would.
"""

from __future__ import annotations

import datetime as dt
import io
import random

from jiceng.core.exports import csv_writer
from jiceng.datasets import parse_period
from jiceng.demo.region import Region
from jiceng.orgs.models import Kind, Node
from jiceng.surveys.actions import do_import_responses, do_load_questionnaire
from jiceng.surveys.models import Questionnaire
from jiceng.surveys.questionnaire import load_questionnaire_file, sample_questionnaire_paths
from jiceng.surveys.rates import quarter_of
from jiceng.surveys.responses import HEADER_NAMES

QUARTERS = 6  # the current one and the five before
PER_QUARTER = (6, 12)  # respondents per institution, questionnaire and quarter
GRASSROOTS = {Kind.TOWNSHIP_HC, Kind.COMMUNITY_HC, Kind.VILLAGE_CLINIC, Kind.COMMUNITY_STATION}
# Which institutions each kind of questionnaire asks about: inpatients where there are beds,
# contracted residents and public health services at the grassroots.
SURVEYED = {
    "outpatient": GRASSROOTS | {Kind.COUNTY_HOSPITAL},
    "inpatient": {Kind.TOWNSHIP_HC, Kind.COMMUNITY_HC, Kind.COUNTY_HOSPITAL},
    "contracted": GRASSROOTS,
    "public_health": GRASSROOTS,
}
COMMENTS = [
    "医生态度很好，讲解耐心。",
    "希望周末也能开门诊。",
    "排队时间有点长。",
    "家庭医生经常打电话随访，很放心。",
    "药品种类希望再多一些。",
    "卫生间需要改善。",
]


def questionnaires(region: Region) -> list[Questionnaire]:
    """The sample questionnaires of the province, loaded on the first call."""
    loaded = list(Questionnaire.objects.filter(owner=region.province).order_by("code"))
    if loaded:
        return loaded
    out = []
    for path in sample_questionnaire_paths():
        d = load_questionnaire_file(path)
        out.append(
            do_load_questionnaire(
                None, d, path.read_text(encoding="utf-8"), path.name, region.province
            )
        )
    return out


def _answer(rng: random.Random, level: float) -> str:
    """An option code 1–5; ``level`` is the chance of a satisfied answer (1 or 2)."""
    if rng.random() < level:
        return "1" if rng.random() < 0.55 else "2"
    return rng.choice("3334")


def populate(region: Region, rng: random.Random) -> None:
    """Responses of the county's institutions for six quarters."""
    today = region.today
    current = parse_period(quarter_of(today))
    periods = [current.previous(n) for n in range(QUARTERS - 1, -1, -1)]
    institutions = list(
        Node.objects.subtree(region.county)
        .institutions()
        .exclude(kind=Kind.HEALTH_COMMISSION)
        .filter(closed__isnull=True)
        .order_by("path")
    )
    for q in questionnaires(region):
        d = q.definition()
        units = [u for u in institutions if u.kind in SURVEYED[q.kind]]
        levels = {u.pk: rng.uniform(0.86, 0.95) for u in units}
        for i, p in enumerate(periods):
            end = min(p.end, today)
            days = (end - p.start).days
            if days < 0:
                continue
            out = io.StringIO()
            w = csv_writer(out)
            w.writerow(
                [
                    *HEADER_NAMES.values(),
                    *(x.code for x in d.choices),
                    *(x.code for x in d.comments),
                ]
            )
            n_rows = 0
            for u in units:
                level = min(0.99, levels[u.pk] + 0.006 * i)
                for k in range(rng.randint(*PER_QUARTER)):
                    day = p.start + dt.timedelta(days=rng.randint(0, days))
                    phone = f"13{rng.randint(0, 9)}{u.pk % 10000:04d}{i}{k:03d}"
                    answers = [
                        "" if rng.random() < 0.03 and x.code != d.overall else _answer(rng, level)
                        for x in d.choices
                    ]
                    comments = [
                        rng.choice(COMMENTS) if rng.random() < 0.12 else "" for _c in d.comments
                    ]
                    w.writerow([u.code, day.isoformat(), phone, "", *answers, *comments])
                    n_rows += 1
            if n_rows:
                do_import_responses(
                    None, q, p.label, out.getvalue().encode(), f"demo-{q.code}-{p.label}.csv"
                )
