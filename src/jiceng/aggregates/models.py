"""Aggregate data in the platform: loaded data set versions, data values, one report per
unit, data set and period (its completion and its approval).

The definition file stays the source of truth (``source``); the rules live in
``jiceng.datasets`` (pure Python), which the pages and actions call.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.bulk import RowIdField

PERIOD_TYPE_LABELS = {
    "monthly": _("Monthly"),
    "quarterly": _("Quarterly"),
    "yearly": _("Yearly"),
}


class DataSetVersion(models.Model):
    """One loaded version of a data set definition (e.g. 满意度调查 2025)."""

    code = models.CharField(_("code"), max_length=64)
    version = models.CharField(_("version"), max_length=32)
    name = models.CharField(_("name"), max_length=255)
    period_type = models.CharField(_("period type"), max_length=16)
    institution_kinds = models.JSONField(_("institution types"), default=list)
    source_name = models.CharField(_("source file name"), max_length=255, blank=True)
    source = models.TextField(_("definition"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("loaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The region that loaded it: it applies there and below (as standards catalogs).
    owner = models.ForeignKey(
        "orgs.Node",
        verbose_name=_("owner region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["code", "-loaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "code", "version"], name="aggregates_dataset_unique"
            ),
        ]
        verbose_name = _("data set")
        verbose_name_plural = _("data sets")

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"

    @property
    def node(self):
        """The node the data set hangs on (scope checks and the audit trail)."""
        return self.owner

    @property
    def period_type_label(self) -> str:
        return str(PERIOD_TYPE_LABELS.get(self.period_type, self.period_type))

    @property
    def kind_labels(self) -> list[str]:
        """The reporting institution types as people read them (乡镇卫生院 …)."""
        from jiceng.orgs.models import Kind

        labels = dict(Kind.choices)
        return [str(labels.get(k, k)) for k in self.institution_kinds or []]

    def definition(self):
        """The parsed :class:`jiceng.datasets.DataSet` (cached per version)."""
        from jiceng.aggregates.queries import definition_of

        return definition_of(self)


class Report(models.Model):
    """The form of one unit for one data set version and period: completion and approval."""

    dataset = models.ForeignKey(
        DataSetVersion, verbose_name=_("data set"), on_delete=models.PROTECT, related_name="+"
    )
    node = models.ForeignKey(
        "orgs.Node", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField(_("period"), max_length=8)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Reason given for completing despite high-importance violations.
    completion_reason = models.TextField(_("reason for completing with violations"), blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    locked = models.BooleanField(_("locked"), default=False)
    unlock_reason = models.TextField(_("reason for unlocking"), blank=True)

    class Meta:
        ordering = ["dataset", "node", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "node", "period"], name="aggregates_report_unique"
            ),
        ]
        verbose_name = _("data report")
        verbose_name_plural = _("data reports")

    def __str__(self) -> str:
        return f"{self.dataset.name} · {self.node.name} · {self.period}"


class DataValue(models.Model):
    """One value: a unit's figure for an element (and option) in a period."""

    # no other row keeps a value's key (the audit names the form's report)
    id = RowIdField(primary_key=True, serialize=False, verbose_name="ID")

    # The references of a value are kept by the application, not by database constraints: the
    # database would look up the unit, the data set and the user of every inserted row, one
    # at a time (8 µs a row on PostgreSQL, a third of a province's import). Every write goes
    # through aggregates.batch, aggregates.actions or the demo, which take the units and
    # versions from the database in their transaction; units, versions and users are never
    # deleted, and Django still enforces PROTECT and SET_NULL
    # (tests/aggregates/test_value_references.py).
    # The data set has no index of its own: the unique constraint and the period index both
    # begin with it (each index costs a bulk import about a microsecond a value).
    dataset = models.ForeignKey(
        DataSetVersion,
        verbose_name=_("data set"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    node = models.ForeignKey(
        "orgs.Node",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    period = models.CharField(_("period"), max_length=8)
    element = models.CharField(_("data element"), max_length=64)
    option = models.CharField(_("option"), max_length=64, blank=True)
    value = models.TextField(_("value"))  # as stored canonically (format_value)
    number = models.DecimalField(
        _("number"), max_digits=28, decimal_places=10, null=True, blank=True
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Not indexed: no page looks values up by who changed them (the audit trail does), and
    # deleting a user (accounts are deactivated, not deleted) may scan the table once.
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["dataset", "node", "period", "element", "option"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "node", "period", "element", "option"],
                name="aggregates_value_unique",
            ),
        ]
        indexes = [models.Index(fields=["dataset", "period"], name="aggregates_value_period")]
        verbose_name = _("data value")
        verbose_name_plural = _("data values")

    def __str__(self) -> str:
        key = f"{self.element}.{self.option}" if self.option else self.element
        return f"{self.period} {key}={self.value}"

    @property
    def key(self) -> str:
        return f"{self.element}.{self.option}" if self.option else self.element


class OutlierBound(models.Model):
    """An administrator's min/max for a data element (or one option) and a unit kind, in a
    region and below (DHIS2's min-max outliers; the nearest region's bound wins)."""

    dataset_code = models.CharField(_("data set"), max_length=64)
    key = models.CharField(_("data element"), max_length=130)  # CODE or CODE.OPTION
    kind = models.CharField(_("unit type"), max_length=32)
    minimum = models.DecimalField(
        _("minimum"), max_digits=28, decimal_places=10, null=True, blank=True
    )
    maximum = models.DecimalField(
        _("maximum"), max_digits=28, decimal_places=10, null=True, blank=True
    )
    owner = models.ForeignKey(
        "orgs.Node", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_at = models.DateTimeField(_("set at"), auto_now=True)

    class Meta:
        ordering = ["dataset_code", "key", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "dataset_code", "key", "kind"], name="aggregates_bound_unique"
            ),
        ]
        verbose_name = _("outlier bound")
        verbose_name_plural = _("outlier bounds")

    def __str__(self) -> str:
        return f"{self.dataset_code} {self.key} {self.kind}"

    @property
    def node(self):
        """The region the bound hangs on (scope checks and the audit trail)."""
        return self.owner


class UnitTotal(models.Model):
    """A unit's total of one element (and option) over a year of its monthly or quarterly
    values: their sum and how many periods reported — derived data, kept by every write of
    values (:mod:`jiceng.aggregates.totals`) so that a year's aggregate reads one row where
    it would read twelve values. ``whole`` is the exact sum on PostgreSQL; on SQLite, whose
    decimals are floating point, the sum of the values' whole parts, with ``fraction`` the sum
    of their first ten decimal places as an integer (``inexact`` when a value did not fit).
    An element with options also has a row without one: its total over the options."""

    dataset_code = models.CharField(_("data set"), max_length=64)
    node = models.ForeignKey(  # indexed in the unique constraint, after the year
        "orgs.Node",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    months = models.PositiveSmallIntegerField(_("months in a period"))  # 1 or 3
    element = models.CharField(_("data element"), max_length=64)
    option = models.CharField(_("option"), max_length=64, blank=True)
    whole = models.DecimalField(_("sum"), max_digits=38, decimal_places=10)
    fraction = models.BigIntegerField(_("decimal places"), default=0)
    periods = models.PositiveIntegerField(_("periods reported"))
    inexact = models.BooleanField(_("inexact"), default=False)
    # the latest period of the year with a value, and that value (stocks: ``last``)
    last_period = models.CharField(_("latest period"), max_length=8, blank=True)
    last_value = models.TextField(_("latest value"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dataset_code", "year", "months", "node", "element", "option"],
                name="aggregates_total_unique",
            ),
        ]
        verbose_name = _("unit total")
        verbose_name_plural = _("unit totals")

    def __str__(self) -> str:
        return f"{self.dataset_code} {self.year} {self.element}.{self.option}"
