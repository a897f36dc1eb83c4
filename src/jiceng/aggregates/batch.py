"""Many units' values at once (the API's POST, a county's file import): all or nothing.

Rows are grouped into forms (unit, period) and each form goes through ``do_save_values``
(scope, locks, value checks, the audit trail); every problem of every row is collected with
its row number, and if there is any, nothing is saved.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

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


def _key(r: Row) -> str:
    return f"{r.element}.{r.option}" if r.option else r.element


def save_rows(
    actor, dataset_code: str, rows: list[Row], filename: str = "", set_aside: bool = False
) -> dict:
    """Save every row or none; ValidationFailed lists each problem by row and column.

    With ``set_aside`` the good rows are saved and the bad ones returned under ``rejects``
    as ``[(row, [problems])]`` (in row order); each form is still saved whole by
    ``do_save_values`` (audited), without its bad rows.
    """
    versions = list(
        DataSetVersion.objects.filter(code=dataset_code, active=True)
        .select_related("owner")
        .order_by("-loaded_at")
    )
    if not versions:
        raise UserError(_("Unknown data set %(code)s.") % {"code": dataset_code})
    nodes = {n.code: n for n in Node.objects.filter(code__in={r.org_code for r in rows})}
    problems: list[Problem] = []
    rejected: dict[int, list[Problem]] = defaultdict(list)

    def problem(r: Row, column: str, message: str) -> None:
        p = Problem(message, file=filename, row=r.row, column=column)
        problems.append(p)
        rejected[r.row].append(p)

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

    def save_form(node: Node, version, period: str, form_rows: list[Row]) -> list[Row]:
        """Save one form; the rows refused (each with its problem noted)."""
        first = form_rows[0]
        by_key = {_key(r): r for r in form_rows}
        try:
            with transaction.atomic():
                do_save_values(
                    actor,
                    version,
                    node,
                    period,
                    {_key(r): r.value for r in form_rows},
                    scope.Action.IMPORT_DATA,
                )
        except ValidationFailed as exc:
            bad = []
            for p in exc.problems:
                r = by_key.get(p.field, first)
                problem(r, "value" if p.label else "element", p.message)
                bad.append(r)
            return bad
        except PermissionDenied as exc:
            problem(first, "org_code", str(exc))
        except UserError as exc:
            problem(first, "period", str(exc))
        else:
            return []
        if set_aside:  # the whole form is refused: each of its other rows for the same reason
            for r in form_rows[1:]:
                rejected[r.row].append(replace(problems[-1], row=r.row))
        return list(form_rows)

    saved_forms = 0
    try:
        with transaction.atomic():
            for (code, period), form_rows in forms.items():
                node = nodes[code]
                version = _version_for(versions, node)
                if version is None:
                    problem(
                        form_rows[0], "org_code", _("The data set does not apply to this unit.")
                    )
                    if set_aside:
                        for r in form_rows[1:]:
                            rejected[r.row].append(replace(problems[-1], row=r.row))
                    continue
                bad = save_form(node, version, period, form_rows)
                if bad and set_aside:
                    good = [r for r in form_rows if r not in bad]
                    if good and not save_form(node, version, period, good):
                        saved_forms += 1
                elif not bad:
                    saved_forms += 1
            if problems and not set_aside:
                raise _Rollback
    except _Rollback:
        pass
    if problems and not set_aside:
        problems.sort(key=lambda p: (p.row or 0, p.column))
        raise ValidationFailed(problems, _("Nothing was saved."))
    rejects = [(r, rejected[r.row]) for r in rows if r.row in rejected]
    return {
        "values": len(rows) - len(rejects),
        "forms": saved_forms,
        "rejected": len(rejects),
        "rejects": rejects,
    }
