"""Many units' values at once (the API's POST, a county's file import): all or nothing.

Rows are grouped into forms (unit, period) and checked as ``do_save_values`` checks one form
(scope, the unit's kind, the period's type, locks, the values); every problem of every row is
collected with its row number, and if there is any, nothing is saved. The writes are made in
bulk (a province's two years in about a minute): values created, changed and removed by the
thousand, one audit row per changed form with every value before and after.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.aggregates import totals
from jiceng.aggregates.actions import Checked, ValueChecker, check_form, locked_refusal
from jiceng.aggregates.models import DataSetVersion, DataValue, Report
from jiceng.aggregates.queries import definition_of
from jiceng.core import audit, bulk, scope
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
    as ``[(row, [problems])]`` (in row order); a form is saved without its bad rows, and a
    form refused as a whole (locked, wrong period, out of scope) sets all its rows aside.
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
    visible = {
        code: node for code, node in nodes.items() if actor is None or scope.can_see(actor, node)
    }
    for r in rows:
        if r.org_code not in visible:
            problem(r, "org_code", _("Unknown unit %(code)s.") % {"code": r.org_code})
            continue
        period = r.period.strip()
        key = (r.org_code, period, r.element, r.option)
        if key in seen:
            problem(r, "value", _("The same value is given twice."))
            continue
        seen.add(key)
        forms[(r.org_code, period)].append(r)

    # every form is checked in memory first (scope, kind, period, values), then written
    plans = []  # (node, version, period, {key: (stored text, number) or None}, rows)
    allowed: dict[int, bool] = {}
    checkers: dict[int, ValueChecker] = {}

    def refuse(form_rows: list[Row], column: str, message: str) -> None:
        problem(form_rows[0], column, message)
        if set_aside:  # the whole form is refused: each of its other rows for the same reason
            for r in form_rows[1:]:
                rejected[r.row].append(replace(problems[-1], row=r.row))

    for (code, period), form_rows in forms.items():
        node = nodes[code]
        version = _version_for(versions, node)
        if version is None:
            refuse(form_rows, "org_code", _("The data set does not apply to this unit."))
            continue
        if actor is not None:
            if node.pk not in allowed:
                allowed[node.pk] = scope.can(actor, scope.Action.IMPORT_DATA, node)
            if not allowed[node.pk]:
                refuse(
                    form_rows,
                    "org_code",
                    _("%(unit)s is outside the units whose forms you fill.") % {"unit": node.name},
                )
                continue
        try:
            label = check_form(version, node, period)
        except UserError as exc:
            refuse(form_rows, "period", str(exc))
            continue
        checker = checkers.get(version.pk)
        if checker is None:
            checker = checkers[version.pk] = ValueChecker(definition_of(version))
        by_key = {_key(r): r for r in form_rows}
        cleaned, bad = checker.check({k: r.value for k, r in by_key.items()})
        for p in bad:
            problem(by_key[p.field], "value" if p.label else "element", p.message)
            cleaned.pop(p.field, None)
        good = [r for r in form_rows if _key(r) in cleaned] if bad else form_rows
        if good and (set_aside or not bad):
            plans.append((node, version, label, cleaned, good))
    saved_forms = _write(actor, plans, refuse, lambda: bool(problems) and not set_aside)
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


CHUNK = 400  # units per query of existing values and reports


def _write(actor, plans: list, refuse, stop) -> int:
    """Write the checked forms in one transaction: locked forms are refused (all or nothing
    unless ``set_aside``); values created, changed and removed in bulk; one audit row per
    changed form with every value before and after. Returns the number of forms saved
    (0, writing nothing, when ``stop()`` says a refusal undoes the whole batch)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    user_id = user.pk if user is not None else None
    saved = 0
    with transaction.atomic(), connection.cursor() as cursor, bulk.big_cache(cursor):
        reports: dict[tuple, Report] = {}
        # (dataset, unit, period) -> {key: (pk, stored text)} of the forms holding values
        existing: dict[tuple, dict[str, tuple[int, str]]] = defaultdict(dict)
        node_ids = sorted({node.pk for node, *_rest in plans})
        periods = {period for _n, _v, period, _c, _r in plans}
        versions = {version.pk for _n, version, *_rest in plans}
        for i in range(0, len(node_ids), CHUNK):
            for r in Report.objects.select_for_update().filter(
                dataset_id__in=versions, node_id__in=node_ids[i : i + CHUNK], period__in=periods
            ):
                reports[(r.dataset_id, r.node_id, r.period)] = r
        # a value is only ever written with its form's report (here, do_save_values, the
        # demo): only the units with reports can hold values (none in a first import)
        with_reports = sorted({node for _dataset, node, _period in reports})
        for i in range(0, len(with_reports), CHUNK):
            for pk, dataset, node, period, element, option, value in DataValue.objects.filter(
                dataset_id__in=versions, node_id__in=with_reports[i : i + CHUNK], period__in=periods
            ).values_list("pk", "dataset_id", "node_id", "period", "element", "option", "value"):
                key = f"{element}.{option}" if option else element
                existing[(dataset, node, period)][key] = (pk, value)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        new_reports, create, update, delete, audits = [], [], [], [], []
        new_forms: list[tuple[int, str, dict]] = []  # (unit, period, the values it created)
        for node, version, period, cleaned, form_rows in plans:
            report = reports.get((version.pk, node.pk, period))
            if report is not None and report.locked:
                refuse(form_rows, "period", str(locked_refusal(node, period)))
                continue
            if report is None:
                report = Report(dataset=version, node=node, period=period)
                new_reports.append(report)
            else:
                report.dataset, report.node = version, node
            saved += 1
            head = (version.pk, node.pk, period)
            old_values = existing.get(head)
            if old_values is None:  # a form without values: every value given is new
                after = {key: c[0] for key, c in cleaned.items() if c is not None}
                before = dict.fromkeys(after)
                for key, (text, number) in ((k, c) for k, c in cleaned.items() if c is not None):
                    element, _sep, option = key.partition(".")
                    create.append((*head, element, option, text, number, now, user_id))
                new_forms.append((node.pk, period, cleaned))
            else:
                created: dict[str, Checked] = {}
                new_forms.append((node.pk, period, created))
                before, after = {}, {}
                for key, checked in cleaned.items():
                    text, number = checked or (None, None)
                    pk, value = old_values.get(key, (None, None))
                    if value == text:
                        continue
                    before[key] = value
                    after[key] = text
                    if text is None:
                        delete.append(pk)
                    elif pk is None:
                        element, _sep, option = key.partition(".")
                        create.append((*head, element, option, text, number, now, user_id))
                        created[key] = checked
                    else:
                        update.append((text, number, now, user_id, pk))
            if after:
                audits.append((report, before, after))
        if stop():  # a locked form in an all-or-nothing batch: nothing is written
            return 0
        _insert_reports(new_reports)
        for i in range(0, len(delete), 1000):
            DataValue.objects.filter(pk__in=delete[i : i + 1000]).delete()
        bulk.insert_rows(DataValue._meta.db_table, COLUMNS, create)
        _update_values(update)
        if plans:  # the yearly totals of the units and years written
            totals.refresh_with(
                plans[0][1].code, {n.pk for n, *_r in plans}, totals.years_of(periods), new_forms
            )
        audit.record_many(actor, "aggregates.save_values", audits)
    return saved


COLUMNS = [
    "dataset_id", "node_id", "period", "element", "option", "value", "number",
    "updated_at", "updated_by_id",
]  # fmt: skip


def _insert_reports(reports: list[Report]) -> None:
    """INSERT new reports without the ORM's per-object SQL, then read back their ids (the
    audit rows name them)."""
    bulk.insert_objects(reports)
    by_key = {(r.dataset_id, r.node_id, r.period): r for r in reports}
    node_ids = sorted({r.node_id for r in reports})
    for i in range(0, len(node_ids), CHUNK):
        for pk, dataset, node, period in Report.objects.filter(
            dataset_id__in={r.dataset_id for r in reports},
            node_id__in=node_ids[i : i + CHUNK],
            period__in={r.period for r in reports},
        ).values_list("pk", "dataset_id", "node_id", "period"):
            report = by_key.get((dataset, node, period))
            if report is not None:
                report.pk = pk
                report._state.adding = False


def _update_values(rows: list[tuple]) -> None:
    """Changed values: ``(value, number, updated_at, updated_by_id, pk)`` tuples."""
    if not rows:
        return
    ops = connection.ops
    sql = "UPDATE {} SET {} = %s, {} = %s, {} = %s, {} = %s WHERE {} = %s".format(
        ops.quote_name(DataValue._meta.db_table),
        *(ops.quote_name(c) for c in ("value", "number", "updated_at", "updated_by_id", "id")),
    )
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[i : i + 5000])
