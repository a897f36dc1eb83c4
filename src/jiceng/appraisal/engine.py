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

# Data codes the platform answers itself (``sources.gather``), besides the data sets' codes:
# bad-practice points of the year (feeding ``deduct`` items) and a region's share of
# institutions whose verdict reaches a standard (percentage).
PLATFORM_DATA = {
    "BAD_PRACTICE_POINTS": ("bad_practice", ""),
    "VERDICT_SHARE_BASIC": ("verdict_share", "basic"),
    "VERDICT_SHARE_RECOMMENDED": ("verdict_share", "recommended"),
}


def platform_catalog() -> core_catalog.Catalog:
    """The codes a scheme loaded here may use: the shipped indicators and data sets, every
    loaded data set's elements and indicators, and :data:`PLATFORM_DATA`."""
    from jiceng.aggregates.models import DataSetVersion
    from jiceng.aggregates.queries import definition_of

    base = core_catalog.default_catalog()
    data = set(base.data) | set(PLATFORM_DATA)
    for version in DataSetVersion.objects.all():
        ds = definition_of(version)
        data.update(ds.elements)
        data.update(i.code for i in ds.indicators)
    return core_catalog.Catalog(
        indicators=base.indicators, data=frozenset(data), satisfaction=base.satisfaction
    )


def read_scheme(data: bytes, filename: str) -> tuple[Scheme, str, str]:
    """The checked scheme, the text to store and its name; raises ``ValidationFailed`` with
    every problem (file, line or row and column, field) or ``UserError``."""
    catalog = platform_catalog()
    if filename.lower().endswith(".xlsx"):
        try:
            from jiceng.appraisal_core.excel import read_scheme_excel, scheme_yaml
        except ImportError:
            raise UserError(_("Upload a .yaml or .json file.")) from None
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
    """(gathering kind, code) of an item: the contract's sources and :data:`PLATFORM_DATA`."""
    kind, code = item.source.kind, item.source.code
    if kind == "data" and code in PLATFORM_DATA:
        return PLATFORM_DATA[code]
    return kind, code


def is_manual(item: Item) -> bool:
    return item.source.kind == "manual"


def fraction(x) -> Fraction:
    return Fraction(x)
