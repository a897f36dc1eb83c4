"""Appraisal schemes (考核方案): one YAML, JSON or Excel file per version (``docs/appraisal.md``).

:func:`parse_scheme` reads a file into a frozen :class:`Scheme` or raises
:class:`ValidationFailed` with *every* problem found, each naming the file, the line (or the
sheet's row and column) and the field. Keys the format does not know are warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from jiceng.core.errors import Problem, ValidationFailed
from jiceng.core.fieldcheck import FieldChecker
from jiceng.core.yamllines import Locator, Path_, line_locator, line_map, load_with_lines

from .catalog import Catalog, default_catalog
from .numbers import plain, to_fraction

VERDICTS = ("recommended", "basic", "none")
VERDICT_NAMES = {"recommended": "推荐标准", "basic": "基本标准", "none": "未达标"}
# source kind -> whether it takes a code after a colon
SOURCES = {
    "indicator": True,
    "data": True,
    "satisfaction": True,
    "verdict": False,
    "ledger_closed_rate": False,
    "ledger_overdue": False,
    "manual": False,
    # beyond the contract's list, for the county and integrity schemes (docs/appraisal.md)
    "verdict_share": True,  # :basic or :recommended — % of institutions below at that level
    "bad_practice": False,  # 不良执业行为记分: the year's points recorded against the unit
}
SOURCE_NAMES = {
    "indicator": "居民档案指标",
    "data": "数据集指标",
    "satisfaction": "满意度",
    "verdict": "评价结论",
    "ledger_closed_rate": "整改台账销号率",
    "ledger_overdue": "整改台账逾期数",
    "manual": "人工评分",
    "verdict_share": "达标机构占比",
    "bad_practice": "不良执业行为记分",
}
SHARE_LEVELS = ("basic", "recommended")
RULES = ("linear", "ratio", "map", "deduct", "manual")
PEER_GROUPS = ("parent", "all")
FUND_RULES = ("score_population", "grade_per_capita")
_BAD_CODE_CHARS = set(",\"'{}#:")

GRADE_ALIASES = {"name": "label", "grade": "label", "minimum": "min", "min_score": "min"}

_KNOWN_KEYS = {
    "scheme": {"code", "version", "title", "name", "year", "unit_kinds", "peer_group", "grades",
               "fund", "modules", "description"},
    "module": {"code", "name", "items", "description"},
    "item": {"code", "name", "points", "source", "rule", "missing", "veto", "description",
             "floor", "target", "per", "map"},
    "grade": {"label", "min", "description", *GRADE_ALIASES},
    "fund": {"pool", "rule", "type", "rates", "grade_per_capita", "description"},
}  # fmt: skip
# Chinese names of the kinds, as offices write them.
KIND_WORDS = {
    "乡镇卫生院": "township_hc",
    "社区卫生服务中心": "community_hc",
    "村卫生室": "village_clinic",
    "社区卫生服务站": "community_station",
    "县": "county",
    "区县": "county",
    "县区": "county",
    "县级医院": "county_hospital",
}
RAW_TEXT_KEYS = {"code", "version", "name", "title", "label"}


@dataclass(frozen=True)
class Source:
    """Where an item's value comes from: ``indicator:CODE``, ``verdict``, ``manual``…"""

    kind: str
    code: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.code}" if self.code else self.kind

    @property
    def words(self) -> bool:
        """True when values are words (the verdict), not numbers."""
        return self.kind == "verdict"


@dataclass(frozen=True)
class Rule:
    """How a value earns points. ``table`` (map) pairs a value, as written, with points."""

    kind: str
    floor: Fraction | None = None
    target: Fraction | None = None
    per: Fraction | None = None
    table: tuple[tuple[str, Fraction], ...] = ()

    def describe(self) -> str:
        """The rule in Chinese, for score sheets."""
        if self.kind == "linear":
            lower = "（越低越好）" if self.target < self.floor else ""
            return f"线性：起点 {plain(self.floor)}，目标 {plain(self.target)}{lower}"
        if self.kind == "ratio":
            return f"比例：目标 {plain(self.target)}"
        if self.kind == "deduct":
            return f"扣分：每 1 扣 {plain(self.per)} 分"
        if self.kind == "map":
            return "对应：" + "，".join(
                f"{VERDICT_NAMES.get(k, k)} {plain(p)} 分" for k, p in self.table
            )
        return "人工评分"


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    points: Fraction
    source: Source
    rule: Rule
    exempt: bool = False  # missing: exempt — left out and the score rescaled
    veto: bool = False  # 一票否决: earning 0 puts the unit in the lowest grade
    module: str = ""


@dataclass(frozen=True)
class Module:
    code: str
    name: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Grade:
    label: str
    minimum: Fraction


@dataclass(frozen=True)
class Fund:
    """``score_population`` shares ``pool``; ``grade_per_capita`` pays ``rates`` per resident."""

    rule: str
    pool: Fraction | None = None
    rates: tuple[tuple[str, Fraction], ...] = ()

    def rate(self, grade: str) -> Fraction:
        """Yuan per resident of a grade (0 for a grade the scheme gives no rate)."""
        return dict(self.rates).get(grade, Fraction(0))


@dataclass(frozen=True)
class Scheme:
    code: str
    version: str
    title: str
    year: int
    unit_kinds: tuple[str, ...]
    peer_group: str
    grades: tuple[Grade, ...]
    modules: tuple[Module, ...]
    fund: Fund | None = None
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    @property
    def items(self) -> tuple[Item, ...]:
        """Every item, in file order."""
        return tuple(i for m in self.modules for i in m.items)

    def item(self, code: str) -> Item:
        """The item with this code (KeyError when there is none)."""
        for i in self.items:
            if i.code == code:
                return i
        raise KeyError(code)

    @property
    def total_points(self) -> Fraction:
        return sum((i.points for i in self.items), Fraction(0))


# ---------------------------------------------------------------- reading the file


def parse_scheme(text: str, filename: str, catalog: Catalog | None = None) -> Scheme:
    """Parse and validate a YAML or JSON scheme against ``catalog`` (default: shipped codes)."""
    data, node = load_with_lines(
        text,
        filename,
        RAW_TEXT_KEYS,
        bad_json=lambda reason: f"不是有效的 JSON：{reason}",
        bad_yaml=lambda reason: f"不是有效的 YAML：{reason}",
    )
    if node is None:
        raise ValidationFailed([Problem("考核方案文件是空的", file=filename)])
    lines: dict[Path_, int] = {}
    dups: list = []
    line_map(node, (), lines, dups)
    checker = SchemeChecker(data, filename, line_locator(lines), catalog)
    for path, first, _row in dups:
        checker.problem(path, f"字段「{path[-1]}」写了两次（另见第 {first} 行）")
    return checker.scheme()


def load_scheme_file(path: str | Path, catalog: Catalog | None = None) -> Scheme:
    """Read a scheme from disk: .xlsx through the Excel layout, else YAML/JSON."""
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed([Problem("文件不存在", file=str(path))])
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        from .excel import read_scheme_excel

        return read_scheme_excel(path.read_bytes(), path.name, catalog)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed([Problem("文件不是 UTF-8 编码的文本", file=path.name)]) from None
    return parse_scheme(text, path.name, catalog)


def sample_scheme_paths() -> list[Path]:
    """The sample schemes shipped with jiceng."""
    return sorted((Path(__file__).parent / "schemes").glob("*.yaml"))


# ---------------------------------------------------------------- validation


class SchemeChecker(FieldChecker):
    """Walks the parsed data, collecting every problem with its line (or cell) and field."""

    known_keys = _KNOWN_KEYS
    bad_code_chars = _BAD_CODE_CHARS
    entry_names = ("code", "label")  # grades have labels, not codes

    def __init__(self, data: Any, filename: str, locate: Locator, catalog: Catalog | None):
        super().__init__(data, filename, locate)
        self.catalog = catalog or default_catalog()

    def check_key(self, value: dict, key: Any, path: Path_, kind: str) -> None:
        if key == "weight" and kind in ("module", "item"):
            # ignoring it would score something the office did not mean
            self.problem(
                path + (key,),
                f"考核方案不用权重（weight，这里写了「{value[key]}」）：项目的分值（points）"
                "就是它的权重，请把权重折算到各项目的分值里",
            )
        else:
            super().check_key(value, key, path, kind)

    def number(
        self, value: Any, path: Path_, what: str, *, positive=False, non_negative=False
    ) -> Fraction | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.problem(path, f"{what}缺失：应为数字")
            return None
        n = to_fraction(value)
        if n is None or isinstance(value, dict | list):
            self.problem(path, f"{what}应为数字，而不是「{value}」")
            return None
        if positive and n <= 0:
            self.problem(path, f"{what}应大于 0，而不是 {plain(n)}")
            return None
        if non_negative and n < 0:
            self.problem(path, f"{what}不能为负数（{plain(n)}）")
            return None
        return n

    # -- the whole scheme

    def scheme(self) -> Scheme:
        top = self.mapping(self.data, (), "scheme")
        if top is None:
            raise ValidationFailed(self.problems)
        code = self.code(top, "code", (), "方案")
        version = self.text(top, "version", ())
        title_key = "title" if "title" in top or "name" not in top else "name"
        title = self.text(top, title_key, ())
        year = self.year(top)
        kinds = self.kinds(top)
        peer = top.get("peer_group", "parent")
        if peer not in PEER_GROUPS:
            self.problem(
                ("peer_group",), f"未知的排名范围「{peer}」：应为 parent（同一上级）或 all（全部）"
            )
            peer = None
        grades = self.grades(top)
        modules = self.modules(top)
        fund = self.fund(top, grades)
        if self.problems:
            self.problems.sort(key=lambda p: (p.row is None, p.row or 0))
            raise ValidationFailed(self.problems)
        return Scheme(
            code=code,
            version=version,
            title=title,
            year=year,
            unit_kinds=tuple(kinds),
            peer_group=peer,
            grades=tuple(grades),
            modules=tuple(modules),
            fund=fund,
            warnings=tuple(self.warnings),
        )

    def year(self, top: dict) -> int | None:
        value = top.get("year")
        n = to_fraction(value)
        if n is None or n.denominator != 1 or not 2000 <= n <= 2100:
            self.problem(("year",), f"考核年度应为 2000 至 2100 之间的年份，而不是「{value}」")
            return None
        return int(n)

    def kinds(self, top: dict) -> list[str]:
        value = top.get("unit_kinds")
        path = ("unit_kinds",)
        if isinstance(value, str):
            value = [p for p in value.replace("、", ",").replace("，", ",").split(",") if p.strip()]
        if not value:
            self.problem(path, "必填字段缺失或为空：请列出被考核单位的类型（机构类型或 county）")
            return []
        if not isinstance(value, list):
            self.problem(path, "应为单位类型列表")
            return []
        out: list[str] = []
        for i, k in enumerate(value):
            k = str(k).strip() if isinstance(k, str | int) else ""
            k = KIND_WORDS.get(k, k)
            if k not in self.catalog.unit_kinds:
                known = "、".join(sorted(self.catalog.unit_kinds))
                self.problem(path + (i,), f"未知的单位类型「{k}」：应为 {known} 之一")
            elif k in out:
                self.problem(path + (i,), f"单位类型「{k}」重复")
            else:
                out.append(k)
        return out

    def grades(self, top: dict) -> list[Grade]:
        value = top.get("grades")
        path: Path_ = ("grades",)
        if isinstance(value, dict):  # {优秀: 90, 良好: 80, …, 不合格: null}
            value = [{"label": k, "min": v} for k, v in value.items()]
            self.data["grades"] = value  # so that paths name the bands by label
        if not isinstance(value, list) or not value:
            self.problem(path, "必填字段缺失或为空：请列出等级（从高到低，每级有名称和最低分）")
            return []
        for i, entry in enumerate(value):  # other spellings of a band, as people write them
            if isinstance(entry, list) and len(entry) in (1, 2):  # [优秀, 90]
                value[i] = {"label": entry[0], "min": entry[1] if len(entry) == 2 else None}
            elif isinstance(entry, dict):
                for alias, key in GRADE_ALIASES.items():
                    if alias in entry and key not in entry:
                        entry[key] = entry.pop(alias)
        out: list[Grade] = []
        labels: set[str] = set()
        previous: Fraction | None = None
        for i, entry in enumerate(value):
            gpath = path + (i,)
            obj = self.mapping(entry, gpath, "grade")
            if obj is None:
                continue
            label = self.text(obj, "label", gpath)
            raw_min = obj.get("min")
            last = i == len(value) - 1
            if raw_min is None and last:
                minimum = Fraction(0)  # the lowest band: "otherwise"
            else:
                minimum = self.number(raw_min, gpath + ("min",), "最低分", non_negative=True)
            if minimum is not None and minimum > 100:
                self.problem(gpath + ("min",), f"最低分不能超过 100（{plain(minimum)}）")
                minimum = None
            if label is not None and label in labels:
                self.problem(gpath + ("label",), f"等级「{label}」重复")
                label = None
            if minimum is not None and previous is not None and minimum >= previous:
                self.problem(
                    gpath + ("min",),
                    f"等级应从高到低排列：最低分 {plain(minimum)} 不低于上一级的 {plain(previous)}",
                )
                minimum = None
            if minimum is not None:
                previous = minimum
            if label is not None and minimum is not None:
                labels.add(label)
                out.append(Grade(label, minimum))
        if out and out[-1].minimum > 0 and len(out) == len(value):
            self.problem(
                path + (len(value) - 1, "min"),
                f"低于 {plain(out[-1].minimum)} 分的单位归入最低一级「{out[-1].label}」",
                warning=True,
            )
        return out

    def modules(self, top: dict) -> list[Module]:
        value = top.get("modules")
        if not isinstance(value, list) or not value:
            self.problem(("modules",), "必填字段缺失或为空：方案至少要有一个模块，模块里有考核项目")
            return []
        out: list[Module] = []
        module_codes: dict[str, Path_] = {}
        item_codes: dict[str, Path_] = {}
        for mi, entry in enumerate(value):
            mpath: Path_ = ("modules", mi)
            obj = self.mapping(entry, mpath, "module")
            if obj is None:
                continue
            code = self.code(obj, "code", mpath, "模块")
            name = self.text(obj, "name", mpath)
            if code is not None and code in module_codes:
                first = self.locate(module_codes[code])[0]
                self.problem(mpath + ("code",), f"模块编码「{code}」重复（另见第 {first} 行）")
                code = None
            elif code is not None:
                module_codes[code] = mpath + ("code",)
            items_raw = obj.get("items")
            if not isinstance(items_raw, list) or not items_raw:
                self.problem(mpath + ("items",), "模块至少要有一个考核项目（items）")
                continue
            items = []
            for ii, raw in enumerate(items_raw):
                item = self.item(raw, mpath + ("items", ii), code or "", item_codes)
                if item is not None:
                    items.append(item)
            if code is not None and name is not None:
                out.append(Module(code, name, tuple(items)))
        return out

    def item(self, raw: Any, path: Path_, module: str, seen: dict[str, Path_]) -> Item | None:
        obj = self.mapping(raw, path, "item")
        if obj is None:
            return None
        code = self.code(obj, "code", path, "考核项目")
        if code is not None and code in seen:
            first = self.locate(seen[code])[0]
            self.problem(path + ("code",), f"考核项目编码「{code}」重复（另见第 {first} 行）")
            code = None
        elif code is not None:
            seen[code] = path + ("code",)
        name = self.text(obj, "name", path)
        points = self.number(obj.get("points"), path + ("points",), "分值", positive=True)
        source = self.source(obj, path)
        rule = self.rule(obj, path, points, source)
        missing = obj.get("missing")
        exempt = False
        if missing is not None and missing not in ("exempt", "zero"):
            self.problem(
                path + ("missing",),
                f"未知的缺失处理「{missing}」：应为 exempt（不参与计分）或 zero（记 0 分）",
            )
        else:
            exempt = missing == "exempt"
        veto = obj.get("veto", False)
        if not isinstance(veto, bool):
            self.problem(path + ("veto",), "一票否决（veto）应为 true 或 false")
            veto = False
        if None in (code, name, points, source, rule):
            return None
        return Item(code, name, points, source, rule, exempt, veto, module)

    def source(self, obj: dict, path: Path_) -> Source | None:
        raw = obj.get("source")
        spath = path + ("source",)
        if raw is None or not str(raw).strip():
            self.problem(spath, "必填字段缺失或为空：请写明数据来源")
            return None
        text = str(raw).strip()
        kind, _, code = text.partition(":")
        kind, code = kind.strip(), code.strip()
        if kind not in SOURCES:
            known = "、".join(f"{k}:CODE" if v else k for k, v in SOURCES.items())
            self.problem(spath, f"未知的数据来源「{text}」：应为 {known} 之一")
            return None
        if SOURCES[kind] and not code:
            self.problem(spath, f"数据来源「{kind}」要写明编码，例如 {kind}:CODE")
            return None
        if not SOURCES[kind] and code:
            self.problem(spath, f"数据来源「{kind}」不带编码（写了「{code}」）")
            return None
        if kind == "verdict_share" and code not in SHARE_LEVELS:
            self.problem(spath, "达标机构占比只有 verdict_share:basic 和 verdict_share:recommended")
            return None
        known_codes = {
            "indicator": self.catalog.indicators,
            "data": self.catalog.data,
            "satisfaction": self.catalog.satisfaction,
        }.get(kind)
        if code and known_codes is not None and code not in known_codes:
            what = SOURCE_NAMES[kind]
            self.problem(spath, f"未知的{what}编码「{code}」：在已有的定义中找不到")
            return None
        if code and any(c in _BAD_CODE_CHARS or c.isspace() for c in code):
            self.problem(spath, f"编码「{code}」含有不允许的字符")
            return None
        return Source(kind, code)

    def rule(
        self, obj: dict, path: Path_, points: Fraction | None, source: Source | None
    ) -> Rule | None:
        """``rule: manual``, ``rule: {linear: {floor, target}}``, ``rule: {type: linear, …}``
        or ``rule: linear`` with ``floor``/``target``/``per``/``map`` on the item."""
        raw = obj.get("rule")
        rpath = path + ("rule",)
        params: Any = {}
        ppath = rpath
        if isinstance(raw, str):
            kind = raw.strip()
            params = {k: obj[k] for k in ("floor", "target", "per") if k in obj}
            if "map" in obj:
                params = obj["map"]
                ppath = path + ("map",)
        elif isinstance(raw, dict) and ("type" in raw or "kind" in raw):
            kind = str(raw.get("type", raw.get("kind"))).strip()
            params = {k: v for k, v in raw.items() if k not in ("type", "kind")}
            if kind == "map" and isinstance(params.get("table"), dict):
                params = params["table"]
                ppath = rpath + ("table",)
        elif isinstance(raw, dict) and len(raw) == 1:
            [(kind, params)] = raw.items()
            kind = str(kind).strip()
            ppath = rpath + (kind,)
        else:
            self.problem(
                rpath, "必填字段缺失或格式不对：例如 rule: {linear: {floor: 60, target: 90}}"
            )
            return None
        if kind not in RULES:
            self.problem(rpath, f"未知的计分规则「{kind}」：应为 {'、'.join(RULES)} 之一")
            return None
        if params is None:
            params = {}
        if not isinstance(params, dict):
            self.problem(ppath, f"计分规则 {kind} 的参数应为字段映射")
            return None
        if source is not None and source.words and kind != "map":
            self.problem(rpath, "评价结论（verdict）是文字，只能用 map 规则对应分值")
            return None
        if kind == "manual":
            return Rule("manual")
        if kind == "map":
            return self.map_rule(params, ppath, points, source)
        allowed = {"linear": ("floor", "target"), "ratio": ("target",), "deduct": ("per",)}[kind]
        for key in params:
            if key not in allowed:
                self.problem(ppath + (key,), f"计分规则 {kind} 没有参数「{key}」", warning=True)
        values: dict[str, Fraction | None] = {}
        for key in allowed:
            kpath = ppath + (key,) if key in params else ppath
            what = {"floor": "起点（floor）", "target": "目标（target）", "per": "每项扣分（per）"}
            values[key] = self.number(params.get(key), kpath, what[key], positive=kind != "linear")
        if None in values.values():
            return None
        if kind == "linear" and values["floor"] == values["target"]:
            self.problem(
                ppath,
                f"线性规则的起点与目标相同（{plain(values['floor'])}）：无法在两者之间计分",
            )
            return None
        return Rule(kind, **values)

    def map_rule(
        self, params: dict, path: Path_, points: Fraction | None, source: Source | None
    ) -> Rule | None:
        if not params:
            self.problem(path, "map 规则要列出每个取值对应的分值，例如 recommended: 10")
            return None
        table: list[tuple[str, Fraction]] = []
        ok = True
        for key, value in params.items():
            kpath = path + (key,)
            key_text = str(key).strip()
            if source is not None and source.words and key_text not in VERDICTS:
                self.problem(kpath, f"评价结论没有「{key_text}」：应为 {'、'.join(VERDICTS)}")
                ok = False
                continue
            if source is not None and not source.words and to_fraction(key) is None:
                self.problem(kpath, f"数值来源的 map 取值应为数字，而不是「{key_text}」")
                ok = False
                continue
            p = self.number(value, kpath, f"取值「{key_text}」的分值", non_negative=True)
            if p is None:
                ok = False
                continue
            if points is not None and p > points:
                self.problem(
                    kpath, f"取值「{key_text}」的分值 {plain(p)} 超过项目分值 {plain(points)}"
                )
                ok = False
                continue
            table.append((key_text, p))
        if source is not None and source.words:
            absent = [v for v in VERDICTS if v not in {k for k, _ in table}]
            if absent and ok:
                self.problem(
                    path,
                    f"map 规则缺少可能的取值：{'、'.join(absent)}（评价结论可能是 "
                    f"{'、'.join(VERDICTS)}，每个都要有分值）",
                )
                ok = False
        return Rule("map", table=tuple(table)) if ok else None

    def fund(self, top: dict, grades: list[Grade]) -> Fund | None:
        raw = top.get("fund")
        if raw is None:
            return None
        path: Path_ = ("fund",)
        obj = self.mapping(raw, path, "fund")
        if obj is None:
            return None
        rule_raw = obj.get("rule", obj.get("type"))
        rates_raw: Any = obj.get("rates")
        rpath: Path_ = path + ("rates",)
        if isinstance(rule_raw, dict) and len(rule_raw) == 1:
            [(rule, rates_raw)] = rule_raw.items()
            rpath = path + ("rule", rule)
        else:
            rule = rule_raw
        rule = str(rule).strip() if rule is not None else ""
        if rates_raw is None and isinstance(obj.get(rule), dict):  # rule: X, X: {…}
            rates_raw, rpath = obj[rule], path + (rule,)
        if rule not in FUND_RULES:
            self.problem(
                path + ("rule",),
                f"未知的资金分配规则「{rule}」：应为 score_population（按得分和人口）或 "
                "grade_per_capita（按等级人均）",
            )
            return None
        if rule == "score_population":
            pool = self.number(obj.get("pool"), path + ("pool",), "资金总额（pool）",
                               non_negative=True)  # fmt: skip
            if pool is not None and (pool * 100).denominator != 1:
                self.problem(path + ("pool",), f"资金总额以元计，最多 2 位小数（{plain(pool)}）")
                pool = None
            return Fund(rule, pool=pool) if pool is not None else None
        if "pool" in obj:
            pool = self.number(obj.get("pool"), path + ("pool",), "资金总额（pool）",
                               non_negative=True)  # fmt: skip
            if pool is not None:
                self.problem(path + ("pool",), "按等级人均分配不用资金总额，已忽略", warning=True)
        if not isinstance(rates_raw, dict) or not rates_raw:
            self.problem(rpath, "按等级人均分配要列出每个等级的人均金额（元），例如 优秀: 3")
            return None
        labels = [g.label for g in grades]
        rates: list[tuple[str, Fraction]] = []
        ok = True
        for label, value in rates_raw.items():
            label = str(label).strip()
            rate = self.number(value, rpath + (label,), f"等级「{label}」的人均金额",
                               non_negative=True)  # fmt: skip
            if labels and label not in labels:
                self.problem(
                    rpath + (label,), f"没有等级「{label}」：方案的等级是 {'、'.join(labels)}"
                )
                ok = False
            elif rate is None:
                ok = False
            else:
                rates.append((label, rate))
        for label in labels:
            if ok and label not in dict(rates):
                self.problem(rpath, f"等级「{label}」没有人均金额，按 0 元计", warning=True)
        return Fund(rule, rates=tuple(rates)) if ok else None
