"""Performance appraisal core (考核方案与计分): pure Python, no Django (``docs/appraisal.md``).

Entry points (the public API the pages, the API and the reports build on):

- :func:`load_scheme_file` / :func:`parse_scheme` / :func:`read_scheme_excel`: a scheme file
  into a frozen :class:`Scheme` (modules → :class:`Item` with :class:`Source` and
  :class:`Rule`, :class:`Grade` bands, optional :class:`Fund`), or ValidationFailed with
  every problem (file, line or row/column, field, reason in Chinese). Codes are checked
  against a :class:`Catalog` (default: :func:`default_catalog`, the shipped definitions).
- :func:`parse_value`: an entered/imported value for an item (ValueError in Chinese, e.g.
  a manual score above the item's points); :func:`score_item`: the :class:`ItemScore`
  (points, or None when left out; flags 无数据 / 不参与计分 / 一票否决).
- :func:`compute`: ``{unit: {item: value}}`` (+ population, + peer group per unit) →
  :class:`Appraisal` with one :class:`UnitResult` per unit (exact score, displayed score,
  rank, grade, fund weight and amount) and warnings; :func:`largest_remainder`,
  :func:`shared_ranks`, :func:`grade_of`, :func:`half_up` are the pieces.
- ``jiceng appraisal check|compute`` (:mod:`.commands`): the stateless command line.
"""

from .catalog import Catalog, default_catalog
from .numbers import half_up, plain, to_fraction
from .scheme import (
    Fund,
    Grade,
    Item,
    Module,
    Rule,
    Scheme,
    Source,
    load_scheme_file,
    parse_scheme,
    sample_scheme_paths,
)
from .scoring import (
    LEFT_OUT,
    NO_DATA,
    VETO,
    Appraisal,
    ItemScore,
    UnitResult,
    compute,
    grade_of,
    largest_remainder,
    parse_value,
    score_item,
    score_unit,
    shared_ranks,
)


def read_scheme_excel(data: bytes, filename: str, catalog: Catalog | None = None) -> Scheme:
    """The Excel layout of a scheme (:mod:`.excel`; openpyxl is imported only when needed)."""
    from .excel import read_scheme_excel as read

    return read(data, filename, catalog)


def write_scheme_excel(scheme: Scheme) -> bytes:
    """The workbook of a scheme, as :func:`read_scheme_excel` reads it back."""
    from .excel import write_scheme_excel as write

    return write(scheme)


__all__ = [
    "LEFT_OUT",
    "NO_DATA",
    "VETO",
    "Appraisal",
    "Catalog",
    "Fund",
    "Grade",
    "Item",
    "ItemScore",
    "Module",
    "Rule",
    "Scheme",
    "Source",
    "UnitResult",
    "compute",
    "default_catalog",
    "grade_of",
    "half_up",
    "largest_remainder",
    "load_scheme_file",
    "parse_scheme",
    "parse_value",
    "plain",
    "read_scheme_excel",
    "sample_scheme_paths",
    "score_item",
    "score_unit",
    "shared_ranks",
    "to_fraction",
    "write_scheme_excel",
]
