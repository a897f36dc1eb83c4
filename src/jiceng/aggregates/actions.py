"""Writes of aggregate data, each audited: load a data set, save values (drafts), complete a
form, approve (lock) and unlock it.

A value's unit must be within the actor's scope (``scope.Action.ENTER_DATA``) and its
period not locked; otherwise the write is refused in Chinese and nothing changes.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.aggregates import totals
from jiceng.aggregates.models import DataSetVersion, DataValue, OutlierBound, Report
from jiceng.aggregates.queries import definition_of, form_checks
from jiceng.core import audit, scope
from jiceng.core.errors import Problem, UserError, ValidationFailed
from jiceng.datasets import DataSet, format_value, parse_period
from jiceng.datasets.values import parse_value
from jiceng.orgs.models import Node
from jiceng.standards.actions import default_owner

_DEFAULT = object()
MAX_PLACES = 10  # decimal places a stored number keeps


def require_manage(actor, owner: Node | None) -> None:
    """Loading a data set for ``owner`` needs an administrator of ``owner`` or above."""
    if actor is not None and not scope.can_manage_catalog(actor, owner):
        raise PermissionDenied(_("Only administrators of the owner region load data sets."))


def do_load_dataset(
    actor, ds: DataSet, source_text: str, source_name: str, owner=_DEFAULT
) -> DataSetVersion:
    """Store a checked data set version for ``owner`` (default: the actor's region); audited.

    A version already loaded for that region is refused.
    """
    if owner is _DEFAULT:
        owner = default_owner(actor)
    require_manage(actor, owner)
    with transaction.atomic():
        if DataSetVersion.objects.filter(owner=owner, code=ds.code, version=ds.version).exists():
            raise UserError(
                _("Data set %(code)s version %(version)s is already loaded.")
                % {"code": ds.code, "version": ds.version}
            )
        version = DataSetVersion.objects.create(
            code=ds.code,
            version=ds.version,
            name=ds.name,
            period_type=ds.period_type,
            institution_kinds=list(ds.institution_kinds),
            source_name=source_name,
            source=source_text,
            active=True,
            owner=owner,
            loaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            actor,
            "aggregates.load_dataset",
            version,
            after={**audit.snapshot(version), "source": None, "elements": len(ds.elements)},
        )
    return version


# ---------------------------------------------------------------- one form


def _require(actor, action: scope.Action, node: Node) -> None:
    if actor is None:
        return
    if not scope.can(actor, action, node):
        if action in (scope.Action.ENTER_DATA, scope.Action.IMPORT_DATA):
            raise PermissionDenied(
                _("%(unit)s is outside the units whose forms you fill.") % {"unit": node.name}
            )
        raise PermissionDenied(
            _("You may not approve or unlock the forms of %(unit)s.") % {"unit": node.name}
        )


def check_form(version: DataSetVersion, node: Node, period: str) -> str:
    """The canonical period label; refuses a unit kind or period type the set does not take."""
    ds = definition_of(version)
    if node.kind not in ds.institution_kinds:
        raise UserError(
            _("%(unit)s does not report the data set %(name)s.")
            % {"unit": node.name, "name": ds.name}
        )
    try:
        p = parse_period(period)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if p.type != ds.period_type:
        raise UserError(
            _("%(period)s is not a period of the data set %(name)s.")
            % {"period": period, "name": ds.name}
        )
    return p.label


def locked_refusal(node: Node, period: str) -> UserError:
    return UserError(
        _(
            "The form of %(unit)s for %(period)s is approved and locked; ask the county to unlock it."
        )
        % {"unit": node.name, "period": period}
    )


def _report(version: DataSetVersion, node: Node, period: str) -> Report:
    report, _created = Report.objects.select_for_update().get_or_create(
        dataset=version, node=node, period=period
    )
    return report


Number = int | Decimal  # what the ``number`` column is written from
Checked = tuple[str, Number | None]  # (stored text, number; None for a text element)


def _check_text(text: str, value_type: str) -> Checked | str:
    """One stripped, non-empty cell of ``value_type``: (stored text, number), or the message.

    ``parse_value`` then ``format_value``, with a shortcut for plain ASCII decimals of a
    numeric type (``"007.50"`` is stored as ``7.5``): at most 18 whole digits, so that a
    whole number is written as an ``int``, and at most 10 places, the column's."""
    if value_type in _PLAIN_TYPES and text.isascii():
        m = _PLAIN.fullmatch(text)
        if m is not None and (m[2] is None or value_type in _DECIMAL_TYPES):
            whole, places = m[1].lstrip("0") or "0", (m[2] or "").rstrip("0")
            stored = f"{whole}.{places}" if places else whole
            number = Decimal(stored) if places else int(whole)
            if value_type != "percentage" or number <= 100:
                return stored, number
    try:
        value = parse_value(text, value_type)
    except ValueError as exc:
        return str(exc)
    stored = format_value(value)
    if value_type == "text":
        return stored, None
    number = Decimal(stored)
    if -number.as_tuple().exponent > MAX_PLACES:
        return _("At most %(n)s decimal places.") % {"n": MAX_PLACES}
    return stored, number


_DECIMAL_TYPES = frozenset({"number", "percentage"})
_PLAIN_TYPES = _DECIMAL_TYPES | {"integer", "non_negative_integer"}
_PLAIN = re.compile(r"([0-9]{1,18})(?:\.([0-9]{1,10}))?")
_CACHED_TEXTS = 100_000  # distinct texts remembered per value type


class ValueChecker:
    """The checks of a form's values for one data set, compiled once: each key's element is
    looked up once and each distinct text of a value type is parsed once (a county's file
    repeats the same counts thousands of times). Every form, typed or imported, goes through
    it, so both give the same values and the same messages."""

    def __init__(self, ds: DataSet):
        self.ds = ds
        self._texts: dict[str, dict[str, Checked | str]] = {}
        # key -> (the value type's parsed texts, value type, element name) once found good
        self._keys: dict[str, tuple[dict, str, str]] = {}

    def _spec(self, key: str) -> tuple[dict, str, str] | Problem:
        element, _sep, option = key.partition(".")
        el = self.ds.elements.get(element)
        if el is None:
            return Problem(_("Unknown data element %(code)s.") % {"code": element}, field=key)
        if option and option not in el.option_codes:
            return Problem(_("Unknown option %(code)s.") % {"code": key}, field=key, label=el.name)
        if el.options and not option:
            return Problem(_("Give the value of each option."), field=key, label=el.name)
        spec = (self._texts.setdefault(el.value_type, {}), el.value_type, el.name)
        self._keys[key] = spec
        return spec

    def check(self, raw: dict[str, str]) -> tuple[dict[str, Checked | None], list[Problem]]:
        """{"CODE" or "CODE.OPTION": (stored text, number), or None for an emptied cell},
        and the problems (field: the key; label: the element's name)."""
        out: dict[str, Checked | None] = {}
        problems: list[Problem] = []
        keys = self._keys
        for key, text in raw.items():
            spec = keys.get(key) or self._spec(key)
            if spec.__class__ is Problem:
                problems.append(spec)
                continue
            text = (text or "").strip()
            if not text:
                out[key] = None
                continue
            texts = spec[0]
            got = texts.get(text)
            if got is None:
                if len(texts) >= _CACHED_TEXTS:
                    texts.clear()
                got = texts[text] = _check_text(text, spec[1])
            if got.__class__ is str:
                problems.append(Problem(got, field=key, label=spec[2]))
                continue
            out[key] = got
        return out, problems


def clean_values(ds: DataSet, raw: dict[str, str]) -> tuple[dict[str, str | None], list[Problem]]:
    """{"CODE" or "CODE.OPTION": stored text, or None for an emptied cell}, and the problems."""
    checked, problems = ValueChecker(ds).check(raw)
    return {k: None if v is None else v[0] for k, v in checked.items()}, problems


def do_save_values(
    actor,
    version: DataSetVersion,
    node: Node,
    period: str,
    raw: dict[str, str],
    action: scope.Action = scope.Action.ENTER_DATA,
) -> Report:
    """Save (draft) values of one form: all or nothing; every change audited before/after.

    ``raw`` maps "CODE" or "CODE.OPTION" to the text typed; an empty text deletes the value.
    ``action`` is ``IMPORT_DATA`` for a county's batch (API, file import).
    """
    _require(actor, action, node)
    period = check_form(version, node, period)
    ds = definition_of(version)
    cleaned, problems = ValueChecker(ds).check(raw)
    if problems:
        raise ValidationFailed(problems, _("Nothing was saved."))
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        report = _report(version, node, period)
        if report.locked:
            raise locked_refusal(node, period)
        existing = {
            v.key: v for v in DataValue.objects.filter(dataset=version, node=node, period=period)
        }
        before: dict[str, str | None] = {}
        after: dict[str, str | None] = {}
        create, update, delete = [], [], []
        for key, checked in cleaned.items():
            text, number = checked or (None, None)
            old = existing.get(key)
            if (old.value if old else None) == text:
                continue
            before[key] = old.value if old else None
            after[key] = text
            if text is None:
                delete.append(old.pk)
                continue
            if old is None:
                element, _sep, option = key.partition(".")
                create.append(
                    DataValue(
                        dataset=version,
                        node=node,
                        period=period,
                        element=element,
                        option=option,
                        value=text,
                        number=number,
                        updated_by=user,
                    )
                )
            else:
                old.value, old.number, old.updated_by = text, number, user
                old.updated_at = timezone.now()
                update.append(old)
        if not after:
            return report
        DataValue.objects.filter(pk__in=delete).delete()
        DataValue.objects.bulk_create(create)
        DataValue.objects.bulk_update(update, ["value", "number", "updated_by", "updated_at"])
        totals.refresh(version.code, [node.pk], totals.years_of([period]))
        audit.record(actor, "aggregates.save_values", report, before=before, after=after)
    return report


def do_complete(
    actor,
    version: DataSetVersion,
    node: Node,
    period: str,
    reason: str = "",
    at: datetime | None = None,
) -> Report:
    """Complete a form after checking its rules; high-importance violations need a reason.

    ``at`` (default now) is the completion time; the demo uses it to write late reports.
    """
    _require(actor, scope.Action.ENTER_DATA, node)
    period = check_form(version, node, period)
    reason = (reason or "").strip()
    with transaction.atomic():
        report = _report(version, node, period)
        if report.locked:
            raise locked_refusal(node, period)
        if report.completed_at is not None:
            raise UserError(_("This form is already completed."))
        checks = form_checks(version, node, period)
        if checks.high and not reason:
            raise ValidationFailed(
                [Problem(v["message"], field=v["code"], label=v["name"]) for v in checks.high],
                _(
                    "The form breaks %(n)s high-importance rule(s): correct the values or "
                    "give a reason to complete it anyway."
                )
                % {"n": len(checks.high)},
            )
        report.completed_at = at or timezone.now()
        report.completed_by = actor if getattr(actor, "is_authenticated", False) else None
        report.completion_reason = reason if checks.violations else ""
        report.save(update_fields=["completed_at", "completed_by", "completion_reason"])
        audit.record(
            actor,
            "aggregates.complete",
            report,
            after={
                "completed_at": report.completed_at,
                "violations": [v["code"] for v in checks.violations],
            },
            reason=report.completion_reason,
        )
    return report


def do_approve(actor, report: Report) -> Report:
    """Approve a completed form: its values are locked until someone unlocks it; audited."""
    _require(actor, scope.Action.APPROVE_DATA, report.node)
    with transaction.atomic():
        report = Report.objects.select_for_update().select_related("node").get(pk=report.pk)
        if report.completed_at is None:
            raise UserError(_("Only a completed form can be approved."))
        if report.locked:
            raise UserError(_("This form is already approved."))
        report.locked = True
        report.approved_at = timezone.now()
        report.approved_by = actor if getattr(actor, "is_authenticated", False) else None
        report.save(update_fields=["locked", "approved_at", "approved_by"])
        audit.record(
            actor,
            "aggregates.approve",
            report,
            before={"locked": False},
            after={"locked": True, "approved_at": report.approved_at},
        )
    return report


def do_unlock(actor, report: Report, reason: str) -> Report:
    """Unlock an approved form so that its values can be corrected; a reason is required."""
    _require(actor, scope.Action.APPROVE_DATA, report.node)
    reason = (reason or "").strip()
    if not reason:
        raise UserError(_("Give the reason for unlocking."))
    with transaction.atomic():
        report = Report.objects.select_for_update().select_related("node").get(pk=report.pk)
        if not report.locked:
            raise UserError(_("This form is not locked."))
        report.locked = False
        report.unlock_reason = reason
        report.save(update_fields=["locked", "unlock_reason"])
        audit.record(
            actor,
            "aggregates.unlock",
            report,
            before={"locked": True},
            after={"locked": False},
            reason=reason,
        )
    return report


# ---------------------------------------------------------------- min/max outliers


def _bound_number(text: str, label: str) -> Decimal | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except ArithmeticError:
        value = None
    if value is None or not value.is_finite() or -value.as_tuple().exponent > MAX_PLACES:
        raise ValidationFailed(
            [Problem(_("%(label)s is not a number: %(text)s") % {"label": label, "text": text})],
            _("Nothing was saved."),
        )
    return value


def do_set_outlier_bound(
    actor,
    version: DataSetVersion,
    owner: Node,
    key: str,
    kind: str,
    minimum: str,
    maximum: str,
) -> OutlierBound:
    """Set (or change) the min/max of ``key`` (CODE or CODE.OPTION) for units of ``kind`` in
    ``owner``'s region and below; audited with before and after. Administrators of ``owner``."""
    if actor is not None and not scope.can_manage_catalog(actor, owner):
        raise PermissionDenied(_("Only administrators of the region set outlier bounds."))
    ds = definition_of(version)
    element, _sep, option = key.partition(".")
    el = ds.elements.get(element)
    problems = []
    if el is None or (option and option not in el.option_codes) or el.value_type == "text":
        problems.append(Problem(_("Unknown data element %(code)s.") % {"code": key}, field="key"))
    if kind not in ds.institution_kinds:
        problems.append(
            Problem(_("Units of type %(kind)s do not report this data set.") % {"kind": kind})
        )
    if problems:
        raise ValidationFailed(problems, _("Nothing was saved."))
    low = _bound_number(minimum, _("Minimum"))
    high = _bound_number(maximum, _("Maximum"))
    if low is None and high is None:
        raise UserError(_("Give a minimum, a maximum or both."))
    if low is not None and high is not None and low > high:
        raise UserError(_("The minimum is larger than the maximum."))
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        bound = (
            OutlierBound.objects.select_for_update()
            .filter(owner=owner, dataset_code=version.code, key=key, kind=kind)
            .first()
        )
        before = (
            None
            if bound is None
            else {"minimum": _plain(bound.minimum), "maximum": _plain(bound.maximum)}
        )
        if bound is None:
            bound = OutlierBound(owner=owner, dataset_code=version.code, key=key, kind=kind)
        bound.minimum, bound.maximum, bound.set_by = low, high, user
        bound.save()
        audit.record(
            actor,
            "aggregates.set_outlier_bound",
            bound,
            before=before,
            after={
                "dataset": version.code,
                "key": key,
                "kind": kind,
                "minimum": _plain(low),
                "maximum": _plain(high),
            },
        )
    return bound


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else format_value(Fraction(value))


def do_delete_outlier_bound(actor, bound: OutlierBound) -> None:
    """Remove an administrator's min/max; audited."""
    if actor is not None and not scope.can_manage_catalog(actor, bound.owner):
        raise PermissionDenied(_("Only administrators of the region set outlier bounds."))
    with transaction.atomic():
        audit.record(
            actor,
            "aggregates.delete_outlier_bound",
            bound,
            before={
                "dataset": bound.dataset_code,
                "key": bound.key,
                "kind": bound.kind,
                "minimum": _plain(bound.minimum),
                "maximum": _plain(bound.maximum),
            },
        )
        bound.delete()
