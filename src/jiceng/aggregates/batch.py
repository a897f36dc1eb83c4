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
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.aggregates import totals
from jiceng.aggregates.actions import check_form, clean_values, locked_refusal
from jiceng.aggregates.models import DataSetVersion, DataValue, Report
from jiceng.aggregates.queries import definition_of
from jiceng.core import audit, scope
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

    # every form is checked in memory first (scope, kind, period, values), then written
    plans = []  # (node, version, period, {key: stored text or None}, rows)
    allowed: dict[int, bool] = {}

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
        by_key = {_key(r): r for r in form_rows}
        cleaned, bad = clean_values(definition_of(version), {k: r.value for k, r in by_key.items()})
        for p in bad:
            problem(by_key[p.field], "value" if p.label else "element", p.message)
            cleaned.pop(p.field, None)
        good = [r for r in form_rows if _key(r) in cleaned]
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
    saved = 0
    with transaction.atomic():
        reports: dict[tuple, Report] = {}
        existing: dict[tuple, DataValue] = {}
        node_ids = sorted({node.pk for node, *_rest in plans})
        periods = {period for _n, _v, period, _c, _r in plans}
        versions = {version.pk for _n, version, *_rest in plans}
        for i in range(0, len(node_ids), CHUNK):
            chunk = node_ids[i : i + CHUNK]
            for r in Report.objects.select_for_update().filter(
                dataset_id__in=versions, node_id__in=chunk, period__in=periods
            ):
                reports[(r.dataset_id, r.node_id, r.period)] = r
            for v in DataValue.objects.filter(
                dataset_id__in=versions, node_id__in=chunk, period__in=periods
            ).only("pk", "dataset_id", "node_id", "period", "element", "option", "value"):
                existing[(v.dataset_id, v.node_id, v.period, v.key)] = v
        new_reports, create, update, delete, audits = [], [], [], [], []
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
            ds = definition_of(version)
            before: dict[str, str | None] = {}
            after: dict[str, str | None] = {}
            for key, text in cleaned.items():
                old = existing.get((version.pk, node.pk, period, key))
                if (old.value if old else None) == text:
                    continue
                before[key] = old.value if old else None
                after[key] = text
                if text is None:
                    delete.append(old.pk)
                    continue
                number = (
                    None
                    if ds.elements[key.partition(".")[0]].value_type == "text"
                    else Decimal(text)
                )
                if old is None:
                    element, _sep, option = key.partition(".")
                    create.append((version.pk, node.pk, period, element, option, text, number))
                else:
                    old.value, old.number, old.updated_by = text, number, user
                    old.updated_at = timezone.now()
                    update.append(old)
            if after:
                audits.append((report, before, after))
        if stop():  # a locked form in an all-or-nothing batch: nothing is written
            return 0
        Report.objects.bulk_create(new_reports, batch_size=1000)
        for i in range(0, len(delete), 1000):
            DataValue.objects.filter(pk__in=delete[i : i + 1000]).delete()
        _insert_values(create, user)
        DataValue.objects.bulk_update(
            update, ["value", "number", "updated_by", "updated_at"], batch_size=1000
        )
        if plans:  # the yearly totals of the units and years written
            totals.refresh_with(
                plans[0][1].code,
                {n.pk for n, *_r in plans},
                totals.years_of(periods),
                [(n, p, e, o, text) for _v, n, p, e, o, text, number in create if number is not None],
            )
        audit.record_many(actor, "aggregates.save_values", audits)
    return saved


def _insert_values(rows: list[tuple], user) -> None:
    """INSERT new values by the thousand with ``executemany`` (the ORM's ``bulk_create``
    builds a model object and its SQL per value: most of a province's import)."""
    if not rows:
        return
    meta = DataValue._meta
    field = meta.get_field("number")
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    user_id = user.pk if user is not None else None
    columns = [
        "dataset_id", "node_id", "period", "element", "option", "value", "number",
        "updated_at", "updated_by_id",
    ]  # fmt: skip
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        ops.quote_name(meta.db_table),
        ", ".join(ops.quote_name(meta.get_field(c.removesuffix("_id")).column) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    params = [
        (
            dataset,
            node,
            period,
            element,
            option,
            text,
            None
            if number is None
            else ops.adapt_decimalfield_value(number, field.max_digits, field.decimal_places),
            now,
            user_id,
        )
        for dataset, node, period, element, option, text, number in rows
    ]
    with connection.cursor() as cursor:
        for i in range(0, len(params), 2000):
            cursor.executemany(sql, params[i : i + 2000])
