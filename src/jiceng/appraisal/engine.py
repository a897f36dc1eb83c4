"""The one door to the pure scoring core (``jiceng.appraisal_core``): reading a scheme with
the platform's catalog of codes, and scoring a region's gathered values.

Everything the pages, actions, exports and the demo know about a scheme comes through here,
so the core's shape is named in one file.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from django.utils.translation import gettext as _

from jiceng.appraisal_core import catalog as core_catalog
from jiceng.appraisal_core.numbers import half_up, plain  # noqa: F401  (re-exported)
from jiceng.appraisal_core.scheme import Item, Scheme, parse_scheme
from jiceng.core.errors import UserError


def platform_catalog() -> core_catalog.Catalog:
    """The codes a scheme loaded here may use: the shipped indicators and data sets, every
    loaded data set's elements and indicators, and the questionnaire kinds."""
    from jiceng.aggregates.models import DataSetVersion
    from jiceng.aggregates.queries import definition_of

    base = core_catalog.default_catalog()
    data = set(base.data)
    for version in DataSetVersion.objects.all():
        ds = definition_of(version)
        data.update(ds.elements)
        data.update(i.code for i in ds.indicators)
    return core_catalog.Catalog(
        indicators=base.indicators, data=frozenset(data), satisfaction=satisfaction_codes()
    )


def satisfaction_codes() -> frozenset[str]:
    """What ``satisfaction:CODE`` may name: a questionnaire kind of the surveys app, by its
    code (lower or upper case) or its Chinese name."""
    from jiceng.surveys.questionnaire import KINDS

    return frozenset(KINDS) | {k.upper() for k in KINDS} | frozenset(KINDS.values())


def _num(x: Fraction) -> int | float | str:
    return int(x) if x.denominator == 1 else plain(x)


def scheme_yaml(scheme: Scheme) -> str:
    """The scheme written in the YAML layout (what is stored for an Excel upload)."""
    import yaml

    def rule(item: Item):
        r = item.rule
        if r.kind == "manual":
            return "manual"
        if r.kind == "linear":
            return {"linear": {"floor": _num(r.floor), "target": _num(r.target)}}
        if r.kind == "ratio":
            return {"ratio": {"target": _num(r.target)}}
        if r.kind == "deduct":
            return {"deduct": {"per": _num(r.per)}}
        return {"map": {k: _num(p) for k, p in r.table}}

    def item(i: Item) -> dict:
        out = {"code": i.code, "name": i.name, "points": _num(i.points), "source": str(i.source),
               "rule": rule(i)}  # fmt: skip
        if i.exempt:
            out["missing"] = "exempt"
        if i.veto:
            out["veto"] = True
        return out

    data: dict = {
        "code": scheme.code,
        "version": scheme.version,
        "title": scheme.title,
        "year": scheme.year,
        "unit_kinds": list(scheme.unit_kinds),
        "peer_group": scheme.peer_group,
        "grades": [
            {"label": g.label, **({"min": _num(g.minimum)} if g.minimum else {})}
            for g in scheme.grades
        ],
    }
    if scheme.fund is not None:
        f = scheme.fund
        if f.rule == "score_population":
            data["fund"] = {"pool": _num(f.pool), "rule": f.rule}
        else:
            data["fund"] = {"rule": f.rule, "rates": {g: _num(r) for g, r in f.rates}}
    data["modules"] = [
        {"code": m.code, "name": m.name, "items": [item(i) for i in m.items]}
        for m in scheme.modules
    ]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def read_scheme(data: bytes, filename: str) -> tuple[Scheme, str, str]:
    """The checked scheme, the text to store and its name; raises ``ValidationFailed`` with
    every problem (file, line or row and column, field) or ``UserError``."""
    catalog = platform_catalog()
    if filename.lower().endswith(".xlsx"):
        from jiceng.appraisal_core.excel import read_scheme_excel

        scheme = read_scheme_excel(data, filename, catalog)
        return scheme, scheme_yaml(scheme), filename.rsplit(".", 1)[0] + ".yaml"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(_("The file is not UTF-8 text.")) from None
    return parse_scheme(text, filename, catalog), text, filename


@lru_cache(maxsize=64)
def _parsed(pk: int, source: str, name: str) -> Scheme:
    # Stored sources were checked when loaded; data sets loaded since do not matter.
    return parse_scheme(source, name, platform_catalog())


def scheme_of(version) -> Scheme:
    """The parsed scheme of a stored :class:`~jiceng.appraisal.models.SchemeVersion`."""
    return _parsed(version.pk, version.source, version.source_name or "scheme.yaml")


def info(scheme: Scheme) -> Scheme:
    """The scheme's description (code, version, title, year, unit kinds, items …)."""
    return scheme


def source_of(item: Item) -> tuple[str, str]:
    """(source kind, code) of an item, as :func:`jiceng.appraisal.sources.gather` asks them."""
    return item.source.kind, item.source.code


def is_manual(item: Item) -> bool:
    return item.source.kind == "manual"


def fraction(x) -> Fraction:
    return Fraction(x)
