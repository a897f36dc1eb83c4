"""Demo stage "appraisal": last year's published appraisals and this year's drafts.

The sample schemes (``jiceng.appraisal_core`` ships them) are loaded once for the province.
For the county (``region.county``; every county of the region in turn): bad-practice points
against a few institutions (last year and this), then for each of the basic public health
service appraisal (乡镇卫生院、社区卫生服务中心) and the integrity rating (诚信等级), last year's
appraisal with the on-site (manual) items scored, reviewed and published a month ago (appeals
open for 45 days; one appeal filed and answered), and this year's draft with half the on-site
items entered. The first units' on-site scores and the first institution's points each year
carry a small generated PDF as evidence (a check sheet, a penalty notice; made here, no binary
file in the repository). Once the last county of a city is built, the city's 优质服务基层行 appraisal of its
counties likewise (last year's published, this year's draft). Dates are relative to
``region.today``.
"""

from __future__ import annotations

import datetime as dt
import random

from django.core.files.uploadedfile import SimpleUploadedFile

from jiceng.appraisal import actions, engine
from jiceng.appraisal.models import Appraisal, SchemeVersion
from jiceng.appraisal_core.scheme import sample_scheme_paths
from jiceng.demo import clock
from jiceng.demo.region import Region
from jiceng.orgs.models import Node

SCHEMES = ("BPHS_GRASSROOTS", "INTEGRITY")  # per county
CITY_SCHEME = "QSG_COUNTY"  # the counties of a city, once the city's last county is built
RULES = [
    "超范围执业",
    "未按规定公示收费项目",
    "病历书写不规范",
    "医疗废物处置不规范",
    "未按规定报告传染病",
]
REASONS = [
    "现场核查：制度健全，落实到位",
    "现场核查：部分台账不完整",
    "现场核查：资金使用规范",
    "现场核查：存在少量问题",
]


def evidence_pdf(title: str) -> bytes:
    """A one-page PDF showing ``title`` (ASCII), built by hand: header, four objects, the
    cross-reference table with each object's byte offset, trailer."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _pdf_file(name: str, title: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, evidence_pdf(title), content_type="application/pdf")


WITH_FILES = 2  # units (in code order) whose on-site scores carry a check sheet


def schemes(region: Region) -> dict[str, SchemeVersion]:
    """The sample schemes of the province, loaded on the first call."""
    loaded = {v.code: v for v in SchemeVersion.objects.filter(owner=region.province)}
    if loaded:
        return loaded
    for path in sample_scheme_paths():
        scheme, text, name = engine.read_scheme(path.read_bytes(), path.name)
        version = actions.do_load_scheme(None, scheme, text, name, owner=region.province)
        loaded[version.code] = version
    return loaded


def _manual(appraisal: Appraisal, units: list[Node], rng: random.Random, share: float) -> None:
    scheme = engine.scheme_of(appraisal.scheme)
    items = [i for i in scheme.items if engine.is_manual(i)]
    for n, unit in enumerate(units):
        entries = {}
        for item in items:
            if rng.random() > share:
                continue
            points = item.points * engine.fraction(rng.randint(60, 100)) / 100
            value = engine.half_up(points, 1)
            entries[item.code] = (str(value), rng.choice(REASONS), f"现场核查记录 {n + 1:03d} 号")
        files = {}
        if entries and n < WITH_FILES:
            code = next(iter(entries))
            title = f"On-site check sheet {appraisal.year} {unit.code} {code}"
            files[code] = [_pdf_file(f"现场核查表-{unit.code}-{code}.pdf", title)]
        if entries:
            actions.do_enter_manual(None, appraisal, unit, entries, files=files)


def populate(region: Region, rng: random.Random) -> None:
    """Bad-practice points, last year's published appraisals and this year's drafts."""
    last, this = region.years
    today = region.today
    versions = schemes(region)
    institutions = list(
        Node.objects.subtree(region.county)
        .filter(kind__in=("township_hc", "community_hc", "village_clinic", "community_station"))
        .order_by("code")
    )
    for k, inst in enumerate(rng.sample(institutions, min(len(institutions), 3))):
        for year in (last, this):
            day = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
            if day > today:
                day = today - dt.timedelta(days=rng.randint(1, 30))
            notice = f"Penalty notice {inst.code} {day:%Y-%m-%d}"
            files = (
                [_pdf_file(f"处罚决定书-{inst.code}-{day:%Y%m%d}.pdf", notice)] if k == 0 else []
            )
            actions.do_record_bad_practice(
                None,
                inst,
                day,
                rng.choice(RULES),
                str(rng.choice([1, 2, 3, 5])),
                "卫生监督意见书",
                files=files,
            )
    for code in SCHEMES:
        version = versions.get(code)
        if version is None:
            continue
        published_on = today - dt.timedelta(days=30)
        with clock(published_on):
            old = actions.do_open_appraisal(None, version, region.county, last)
            units = [u for u in institutions if u.kind in version.unit_kinds]
            _manual(old, units, rng, 1.0)
            actions.do_review(None, old)
            old = actions.do_publish(None, old, appeal_days=45)
        if code == "BPHS_GRASSROOTS" and units:
            with clock(published_on + dt.timedelta(days=5)):
                appeal = actions.do_file_appeal(
                    None,
                    old,
                    units[0],
                    "",
                    "我院已按要求完成项目资金管理整改，请复核现场核查得分。",
                )
            with clock(published_on + dt.timedelta(days=12)):
                actions.do_answer_appeal(
                    None, appeal, "rejected", "经复核，整改完成时间晚于考核期，维持原评分。"
                )
        draft = actions.do_open_appraisal(None, version, region.county, this)
        _manual(draft, units, rng, 0.5)
    _city(region, versions.get(CITY_SCHEME), rng)


def _city(region: Region, version: SchemeVersion | None, rng: random.Random) -> None:
    """The county appraisal of the city, when ``region.county`` is its last county."""
    city = region.county.parent
    in_city = [c for c in region.counties if c.parent_id == city.pk]
    if version is None or not in_city or in_city[-1].pk != region.county.pk:
        return
    if Appraisal.objects.filter(scheme__code=version.code, region=city).exists():
        return  # built before (a county added later joins this year's draft)
    last, this = region.years
    counties = list(Node.objects.filter(parent=city, kind="county").order_by("code"))
    with clock(region.today - dt.timedelta(days=30)):
        old = actions.do_open_appraisal(None, version, city, last)
        _manual(old, counties, rng, 1.0)
        actions.do_review(None, old)
        actions.do_publish(None, old, appeal_days=45)
    draft = actions.do_open_appraisal(None, version, city, this)
    _manual(draft, counties, rng, 0.5)
