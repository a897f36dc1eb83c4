"""A deterministic demo region shaped like the counties in the seeds.

One county has about 9 township health centres, 2-3 community health service centres,
60-70 village clinics and community stations and about 100,000 residents; it sits in a
city and a province. ``scale`` grows it to a city of several counties or a province.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.db import transaction

from jiceng.accounts.models import Role, User
from jiceng.core.batches import let_others_write, undone_on_failure
from jiceng.core.models import AuditEvent
from jiceng.orgs.actions import do_create_node, do_set_year
from jiceng.orgs.models import Node, NodeEvent, NodeYear

DEMO_PASSWORD = "Demo@2025"
PROVINCE_CODE = "990000000000"
YEARS = (2024, 2025)
SCALES = {"county": (1, 1), "city": (1, 6), "province": (3, 6)}  # (cities, counties per city)

CITY_NAMES = ["示范市", "江北市", "临川市", "岭南市"]
COUNTY_NAMES = ["清河县", "安平县", "永宁县", "石城县", "松溪县", "桃源县", "云水县", "长乐县"]
TOWN_NAMES = [
    "城关镇",
    "河口镇",
    "柳树镇",
    "石桥镇",
    "青山镇",
    "白沙镇",
    "马坊乡",
    "新集乡",
    "龙泉乡",
]
STREET_NAMES = ["城东街道", "城西街道", "南关街道"]
VILLAGE_WORDS = "东西南北前后上下大小新老高低"
VILLAGE_ROOTS = [
    "王庄",
    "李庄",
    "张湾",
    "刘河",
    "陈岗",
    "杨林",
    "赵集",
    "黄坡",
    "周营",
    "吴塘",
    "孙岭",
    "马桥",
]
COMMUNITY_WORDS = ["幸福", "和平", "建设", "人民", "光明", "团结", "友谊", "文化", "花园", "滨河"]


@dataclass
class Region:
    """What the demo made, for later stages to build on."""

    seed: int
    scale: str
    province: Node
    city: Node
    county: Node  # the main county the demo logins sit in
    counties: list[Node] = field(default_factory=list)
    institutions: list[Node] = field(default_factory=list)  # grassroots institutions
    users: dict[str, User] = field(default_factory=dict)
    years: tuple[int, ...] = YEARS


def _figures(rng: random.Random, residents: int) -> dict[str, int]:
    elderly = int(residents * rng.uniform(0.13, 0.19))
    children = int(residents * rng.uniform(0.05, 0.08))
    adults = int(residents * rng.uniform(0.76, 0.82))
    key = int(elderly + residents * rng.uniform(0.14, 0.2) + children * 0.5)
    return {
        "permanent_residents": residents,
        "residents_65_plus": elderly,
        "children_0_6": children,
        "adults_18_plus": adults,
        "key_population": min(key, residents),
    }


def _village_names(rng: random.Random, n: int) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        names.add(rng.choice(VILLAGE_WORDS) + rng.choice(VILLAGE_ROOTS) + "村")
    return sorted(names)


def _build_county(rng: random.Random, city: Node, index: int, region: Region) -> Node:
    code = f"{city.code[:4]}{index + 1:02d}000000"
    county = do_create_node(
        None, code=code, name=COUNTY_NAMES[index % len(COUNTY_NAMES)], kind="county", parent=city
    )
    n_chc = rng.choice([2, 3])
    units: list[tuple[str, str, int, str, str]] = []  # (code, name, n children, kind, child kind)
    for i, town in enumerate(TOWN_NAMES):
        units.append(
            (
                f"{code[:6]}{i + 1:03d}000",
                f"{town}卫生院",
                rng.randint(5, 8),
                "township_hc",
                "village_clinic",
            )
        )
    for j in range(n_chc):
        street = STREET_NAMES[j]
        units.append(
            (
                f"{code[:6]}{j + 101:03d}000",
                f"{street}社区卫生服务中心",
                rng.randint(2, 4),
                "community_hc",
                "community_station",
            )
        )
    for unit in units:
        with transaction.atomic():  # one institution and its stations at a time
            _build_unit(rng, county, unit, region)
        let_others_write()
    return county


def _build_unit(rng: random.Random, county: Node, unit: tuple, region: Region) -> None:
    u_code, u_name, n_children, kind, child_kind = unit
    inst = do_create_node(None, code=u_code, name=u_name, kind=kind, parent=county)
    region.institutions.append(inst)
    year_staff = {
        "beds": rng.randint(20, 80) if kind == "township_hc" else rng.randint(0, 30),
        "doctors": rng.randint(12, 40),
        "general_practitioners": rng.randint(3, 12),
        "nurses": rng.randint(10, 45),
        "fd_teams": rng.randint(4, 14),
    }
    for year in YEARS:
        do_set_year(None, inst, year, **year_staff)
    if child_kind == "village_clinic":
        names = [n.replace("村", "村卫生室") for n in _village_names(rng, n_children)]
    else:
        words = rng.sample(COMMUNITY_WORDS, n_children)
        names = [f"{w}社区卫生服务站" for w in words]
    for k, name in enumerate(names):
        child = do_create_node(
            None, code=f"{u_code[:9]}{k + 201:03d}", name=name, kind=child_kind, parent=inst
        )
        region.institutions.append(child)
        base = rng.randint(800, 2400) if child_kind == "village_clinic" else rng.randint(3000, 6000)
        for year in YEARS:
            residents = int(base * (1 + (year - YEARS[0]) * rng.uniform(-0.01, 0.015)))
            do_set_year(None, child, year, **_figures(rng, residents), doctors=rng.randint(1, 3))


def _user(
    username: str, display: str, role: str, node: Node, institution: Node | None = None
) -> User:
    return User.objects.create_user(
        username=username,
        password=DEMO_PASSWORD,
        role=role,
        node=node,
        institution=institution,
        display_name=display,
    )


def build(seed: int = 2025, scale: str = "county") -> Region:
    """Create the demo tree, yearly figures and users. The database must not hold it yet.

    Written one institution per transaction, so a province-sized demo does not block other
    writers; if it fails, what it wrote is undone.
    """
    with undone_on_failure([Node, NodeEvent, NodeYear, AuditEvent, User]):
        return _build(seed, scale)


def _build(seed: int, scale: str) -> Region:
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    rng = random.Random(seed)
    n_cities, n_counties = SCALES[scale]
    province = do_create_node(None, code=PROVINCE_CODE, name="示范省", kind="province", parent=None)
    region: Region | None = None
    for c in range(n_cities):
        city = do_create_node(
            None,
            code=f"99{c + 1:02d}00000000",
            name=CITY_NAMES[c % len(CITY_NAMES)],
            kind="city",
            parent=province,
        )
        for i in range(n_counties):
            if region is None:
                region = Region(seed=seed, scale=scale, province=province, city=city, county=None)  # type: ignore[arg-type]
                region.county = _build_county(rng, city, i, region)
                region.counties.append(region.county)
            else:
                region.counties.append(_build_county(rng, city, i, _Sink()))
    assert region is not None
    county = region.county
    thcs = [n for n in region.institutions if n.kind == "township_hc"]
    chcs = [n for n in region.institutions if n.kind == "community_hc"]
    villages = [n for n in region.institutions if n.kind == "village_clinic"]
    hospital = do_create_node(
        None,
        code=f"{county.code[:6]}900000",
        name=f"{county.name}人民医院",
        kind="county_hospital",
        parent=county,
    )
    region.users = {
        "province_admin": _user("province_admin", "省级管理员", Role.ADMIN, province),
        "admin": _user("admin", "县卫健委管理员", Role.ADMIN, county),
        "province_reviewer": _user(
            "province_reviewer", "省级复核专家", Role.PROVINCE_REVIEWER, province
        ),
        "city_reviewer": _user("city_reviewer", "市级复核专家", Role.CITY_REVIEWER, region.city),
        "county_reviewer": _user(
            "county_reviewer", "县级评审专家", Role.COUNTY_REVIEWER, county, hospital
        ),
        "county_reviewer2": _user(
            "county_reviewer2",
            "县级评审专家（河口镇卫生院）",
            Role.COUNTY_REVIEWER,
            county,
            thcs[1],
        ),
        "analyst": _user("analyst", "县卫健委分析员", Role.ANALYST, county),
        "clerk": _user("clerk", f"{thcs[0].name}填报员", Role.INSTITUTION_STAFF, thcs[0]),
        "chc_clerk": _user("chc_clerk", f"{chcs[0].name}填报员", Role.INSTITUTION_STAFF, chcs[0]),
        "village_clerk": _user(
            "village_clerk", f"{villages[0].name}填报员", Role.INSTITUTION_STAFF, villages[0]
        ),
    }
    return region


class _Sink:
    """Collects the institutions of counties other than the main one (not kept)."""

    def __init__(self) -> None:
        self.institutions: list[Node] = []


DEMO_LOGINS = [
    ("admin", "Administrator of the county health commission"),
    ("province_admin", "Administrator of the province"),
    ("county_reviewer", "County reviewer"),
    ("county_reviewer2", "County reviewer who works at a township health centre"),
    ("city_reviewer", "City reviewer"),
    ("province_reviewer", "Province reviewer"),
    ("analyst", "Analyst (read-only)"),
    ("clerk", "Township health centre clerk"),
    ("chc_clerk", "Community health service centre clerk"),
    ("village_clerk", "Village clinic clerk"),
]
