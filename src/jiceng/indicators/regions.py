"""A record set speaks only for its own region: the check of its units before a load.

A record set belongs to a region (``RecordSet.node``, the owner). Its ``orgs`` table, when
it has one, may only list platform units inside that region (the owner and the units
below it); every other table may only name units of that tree (the loader checks that).
Without an ``orgs`` table the owner's own subtree is the tree. A set without an owner
(loaded by the operator from the command line without ``--region``) is not restricted.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.utils.translation import gettext as _

from jiceng.core.errors import Problem, ValidationFailed
from jiceng.orgs.models import Node

# Something shaped like a resident identity number (18 characters) is never echoed.
ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
MAX_LISTED = 100  # problems listed before the rest are summed up in one line
CHUNK = 500  # codes per database lookup


def _orgs_rows(src_dir: Path) -> tuple[str, list[tuple[int, str, str]]]:
    """(file name, [(row, code, name)]) of the ``orgs`` table of ``src_dir``; ("", []) if none.

    Codes are read the way the loader reads them (text, trimmed, empty = missing). A file
    the loader cannot read gives no rows here: the loader reports it.
    """
    import duckdb

    from jiceng.analytics.readers import find_sources, raw_columns, register_raw

    files, _problems = find_sources(Path(src_dir))
    path = files.get("orgs")
    if path is None:
        return "", []
    con = duckdb.connect(":memory:")
    try:
        if register_raw(con, "orgs", path):
            return path.name, []
        cols = raw_columns(con, "orgs")
        if "org_code" not in cols:
            return path.name, []
        name = "nullif(trim(CAST(\"name\" AS VARCHAR)), '')" if "name" in cols else "NULL"
        rows = con.execute(
            "SELECT _row, code, name FROM (SELECT _row, "
            "nullif(trim(CAST(\"org_code\" AS VARCHAR)), '') AS code, "
            f"{name} AS name FROM raw_orgs) WHERE code IS NOT NULL ORDER BY _row"
        ).fetchall()
    finally:
        con.close()
    return path.name, [(int(r), c, n or "") for r, c, n in rows]


def _shown(text: str) -> str:
    return ID_LIKE.sub("*" * 18, text)


def units_within(owner: Node, codes: set[str]) -> set[str]:
    """The codes among ``codes`` of platform units at or below ``owner``."""
    found: set[str] = set()
    ordered = sorted(codes)
    for i in range(0, len(ordered), CHUNK):
        found.update(
            Node.objects.subtree(owner)
            .filter(code__in=ordered[i : i + CHUNK])
            .values_list("code", flat=True)
        )
    return found


def outside_problems(src_dir: Path, owner: Node | None) -> list[Problem]:
    """One problem (file, row, column, unit code) per ``orgs`` row outside ``owner``'s region.

    Units of other regions and codes the platform does not know get the same message, so
    that an upload does not reveal which codes exist outside the uploader's sight.
    """
    if owner is None:
        return []
    fname, rows = _orgs_rows(src_dir)
    if not rows:
        return []
    inside = units_within(owner, {code for _row, code, _name in rows})
    bad = [(row, code, name) for row, code, name in rows if code not in inside]
    problems = [
        Problem(
            _(
                "Unit %(code)s (%(name)s) is not a unit of %(region)s (%(region_code)s) in the "
                "platform's organisation tree; a record set may only list units of the region "
                "it belongs to."
            )
            % {
                "code": _shown(code),
                "name": _shown(name) or "—",
                "region": owner.name,
                "region_code": owner.code,
            },
            fname,
            row,
            "org_code",
        )
        for row, code, name in bad[:MAX_LISTED]
    ]
    if len(bad) > MAX_LISTED:
        problems.append(
            Problem(
                _("%(n)d more units are outside %(region)s.")
                % {"n": len(bad) - MAX_LISTED, "region": owner.name},
                fname,
                None,
                "org_code",
            )
        )
    return problems


def check_units(src_dir: Path, owner: Node | None) -> None:
    """Raise ValidationFailed when the record set in ``src_dir`` lists units outside ``owner``."""
    problems = outside_problems(src_dir, owner)
    if problems:
        raise ValidationFailed(problems)
