"""Many units' values at once (the API's POST, a county's file import): all or nothing.

Rows are grouped into forms (unit, period) and each form goes through ``do_save_values``
(scope, locks, value checks, the audit trail); every problem of every row is collected with
its row number, and if there is any, nothing is saved.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.aggregates.actions import do_save_values
from jiceng.aggregates.models import DataSetVersion
from jiceng.core import scope
from jiceng.core.errors import Problem, UserError, ValidationFailed
from jiceng.orgs.models import Node


@dataclass(frozen=True)
class Row:
    """One value as sent: ``row`` is how the sender finds it (an index, a file row)."""

    row: int
    org_code: str
    period: str
    element: str
    option: str
    value: str


class _Rollback(Exception):
    pass


def _version_for(versions: list[DataSetVersion], node: Node) -> DataSetVersion | None:
    """The newest active version of the data set that applies at ``node``."""
    for v in versions:
        if scope.catalog_applies(v.owner, node):
            return v
    return None


def save_rows(actor, dataset_code: str, rows: list[Row], filename: str = "") -> dict:
    """Save every row or none; ValidationFailed lists each problem by row and column."""
    versions = list(
        DataSetVersion.objects.filter(code=dataset_code, active=True)
        .select_related("owner")
        .order_by("-loaded_at")
    )
    if not versions:
        raise UserError(_("Unknown data set %(code)s.") % {"code": dataset_code})
    nodes = {n.code: n for n in Node.objects.filter(code__in={r.org_code for r in rows})}
    problems: list[Problem] = []

    def problem(r: Row, column: str, message: str) -> None:
        problems.append(Problem(message, file=filename, row=r.row, column=column))

    forms: dict[tuple[str, str], list[Row]] = defaultdict(list)
    seen: set[tuple] = set()
    for r in rows:
        node = nodes.get(r.org_code)
        if node is None or (actor is not None and not scope.can_see(actor, node)):
            problem(r, "org_code", _("Unknown unit %(code)s.") % {"code": r.org_code})
            continue
        key = (r.org_code, r.period.strip(), r.element, r.option)
        if key in seen:
            problem(r, "value", _("The same value is given twice."))
            continue
        seen.add(key)
        forms[(r.org_code, r.period.strip())].append(r)
    try:
        with transaction.atomic():
            for (code, period), form_rows in forms.items():
                node = nodes[code]
                version = _version_for(versions, node)
                first = form_rows[0]
                if version is None:
                    problem(first, "org_code", _("The data set does not apply to this unit."))
                    continue
                raw = {
                    (f"{r.element}.{r.option}" if r.option else r.element): r.value
                    for r in form_rows
                }
                by_key = {
                    (f"{r.element}.{r.option}" if r.option else r.element): r for r in form_rows
                }
                try:
                    do_save_values(actor, version, node, period, raw, scope.Action.IMPORT_DATA)
                except ValidationFailed as exc:
                    for p in exc.problems:
                        r = by_key.get(p.field, first)
                        problem(r, "value" if p.label else "element", p.message)
                except PermissionDenied as exc:
                    problem(first, "org_code", str(exc))
                except UserError as exc:
                    problem(first, "period", str(exc))
            if problems:
                raise _Rollback
    except _Rollback:
        pass
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.column))
        raise ValidationFailed(problems, _("Nothing was saved."))
    return {"values": len(rows), "forms": len(forms)}
