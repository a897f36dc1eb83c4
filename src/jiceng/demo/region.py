"""A deterministic demo region shaped like the counties in the seeds.

One county has about 9 township health centres, 2-3 community health service centres,
60-70 village clinics and community stations and about 100,000 residents; it sits in a
city and a province. ``scale`` grows it to a city of several counties or a province; every
county gets the same kind of data (``Region.for_county``), the demo logins sit in the first.
The region is dated relative to ``today``: its years are last year and this year.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from jiceng.accounts.models import Role, User
from jiceng.core.batches import let_others_write, undone_on_failure
from jiceng.core.models import AuditEvent
from jiceng.orgs.actions import do_create_node, do_set_year
from jiceng.orgs.models import Node, NodeEvent, NodeYear

DEMO_PASSWORD = "Demo@2025"
PROVINCE_CODE = "990000000000"
SCALES = {"county": (1, 1), "city": (1, 6), "province": (3, 6)}  # (cities, counties per city)

CITY_NAMES = ["示范市", "江北市", "临川市", "岭南市"]
COUNTY_NAMES = [
    "清河县",
    "安平县",
    "永宁县",
    "石城县",
    "松溪县",
    "桃源县",
    "云水县",
    "长乐县",
    "青川县",
    "平阳县",
    "宁远县",
    "泰和县",
    "东阳县",
    "兴隆县",
    "西山县",
    "南溪县",
    "北岭县",
    "富春县",
]  # one name per county of the province scale, so that no two counties share a name
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
    today: dt.date = field(default_factory=timezone.localdate)
    townships: int = len(TOWN_NAMES)  # per county; fewer make a small demo for tests
    by_county: dict[int, list[Node]] = field(default_factory=dict)  # county pk → institutions

    @property
    def years(self) -> tuple[int, int]:
        """Last year (evaluated and published) and this year (in progress)."""
        return (self.today.year - 1, self.today.year)

    def for_county(self, county: Node) -> Region:
        """The same region seen from ``county``: its institutions, and the demo logins only
        where they may act (the main county's users; elsewhere the province's and, in the
        main city, the city reviewer)."""
        if county.pk == self.county.pk:
            return self
        keep = {"province_admin", "province_reviewer"}
        if county.parent_id == self.city.pk:
            keep.add("city_reviewer")
        users = {k: u for k, u in self.users.items() if k in keep}
        return replace(self, county=county, institutions=self.by_county[county.pk], users=users)


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


def _build_county(
    rng: random.Random, city: Node, index: int, region: Region, institutions: list[Node]
) -> Node:
    code = f"{city.code[:4]}{index + 1:02d}000000"
    name = COUNTY_NAMES[len(region.counties) % len(COUNTY_NAMES)]
    county = do_create_node(None, code=code, name=name, kind="county", parent=city)
    n_chc = rng.choice([2, 3])
    full = region.townships >= len(TOWN_NAMES)  # the seeds' county, not a small test one
    units: list[tuple[str, str, int, str, str]] = []  # (code, name, n children, kind, child kind)
    for i, town in enumerate(TOWN_NAMES[: region.townships]):
        units.append(
            (
                f"{code[:6]}{i + 1:03d}000",
                f"{town}卫生院",
                rng.randint(5, 8) if full else 2,
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
                rng.randint(2, 4) if full else 2,
                "community_hc",
                "community_station",
            )
        )
    for unit in units:
        with transaction.atomic():  # one institution and its stations at a time
            _build_unit(rng, county, unit, region, institutions)
        let_others_write()
    region.by_county[county.pk] = institutions
    do_create_node(
        None,
        code=f"{code[:6]}900000",
        name=f"{county.name}人民医院",
        kind="county_hospital",
        parent=county,
    )
    return county


def _build_unit(
    rng: random.Random, county: Node, unit: tuple, region: Region, institutions: list[Node]
) -> None:
    u_code, u_name, n_children, kind, child_kind = unit
    inst = do_create_node(None, code=u_code, name=u_name, kind=kind, parent=county)
    institutions.append(inst)
    year_staff = {
        "beds": rng.randint(20, 80) if kind == "township_hc" else rng.randint(0, 30),
        "doctors": rng.randint(12, 40),
        "general_practitioners": rng.randint(3, 12),
        "nurses": rng.randint(10, 45),
        "fd_teams": rng.randint(4, 14),
    }
    for year in region.years:
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
        institutions.append(child)
        base = rng.randint(800, 2400) if child_kind == "village_clinic" else rng.randint(3000, 6000)
        for year in region.years:
            residents = int(base * (1 + (year - region.years[0]) * rng.uniform(-0.01, 0.015)))
            do_set_year(None, child, year, **_figures(rng, residents), doctors=rng.randint(1, 3))


_HASHED: dict[str, str] = {}


def _user(
    username: str, display: str, role: str, node: Node, institution: Node | None = None
) -> User:
    # Every login has the same password: hash it once (a hash takes half a second).
    key = "|".join(settings.PASSWORD_HASHERS)  # tests use a faster hasher
    if key not in _HASHED:
        _HASHED[key] = make_password(DEMO_PASSWORD)
    user = User.objects.create_user(
        username=username,
        password=None,
        role=role,
        node=node,
        institution=institution,
        display_name=display,
    )
    user.password = _HASHED[key]
    user.save(update_fields=["password"])
    return user


def build(
    seed: int = 2025,
    scale: str = "county",
    today: dt.date | None = None,
    townships: int | None = None,
) -> Region:
    """Create the demo tree, yearly figures (last year and this year, counted from
    ``today``, default the real date) and users. The database must not hold it yet.
    ``townships`` (at least 2; fewer than nine) makes small counties for tests: that many
    townships, each centre with two village clinics or stations.

    Written one institution per transaction, so a province-sized demo does not block other
    writers; if it fails, what it wrote is undone.
    """
    with undone_on_failure([Node, NodeEvent, NodeYear, AuditEvent, User]):
        return _build(seed, scale, today or timezone.localdate(), townships or len(TOWN_NAMES))


def _build(seed: int, scale: str, today: dt.date, townships: int) -> Region:
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
                region = Region(
                    seed=seed,
                    scale=scale,
                    province=province,
                    city=city,
                    county=None,  # type: ignore[arg-type]
                    today=today,
                    townships=max(2, min(townships, len(TOWN_NAMES))),
                )
                region.county = _build_county(rng, city, i, region, region.institutions)
                region.counties.append(region.county)
            else:
                region.counties.append(_build_county(rng, city, i, region, []))
    assert region is not None
    county = region.county
    thcs = [n for n in region.institutions if n.kind == "township_hc"]
    chcs = [n for n in region.institutions if n.kind == "community_hc"]
    villages = [n for n in region.institutions if n.kind == "village_clinic"]
    hospital = Node.objects.get(code=f"{county.code[:6]}900000")
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
