"""Stored indicator values, the record sets they came from, and targets.

Resident-level records never enter these tables: they live in the analytics store
(DuckDB files under JICENG_ANALYTICS_DIR). Only computed values come back here.
"""

import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordSet(models.Model):
    """One loaded record set (a directory of resident-level tables) in the analytics store."""

    class Status(models.TextChoices):
        LOADING = "loading", _("Loading")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    name = models.CharField(_("name"), max_length=128, unique=True)
    node = models.ForeignKey(
        "orgs.Node",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="record_sets",
    )
    source = models.CharField(_("source"), max_length=512, blank=True)
    store_path = models.CharField(max_length=512, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.LOADING)
    row_counts = models.JSONField(default=dict, blank=True)
    rejected_rows = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    # Background work on this record set (load, compute): stage, percent, done, error.
    progress = models.JSONField(default=dict, blank=True)
    # Problems found when the load was refused: [{message, file, row, column, field}].
    problems = models.JSONField(default=list, blank=True)
    # Rows set aside when loading with "skip invalid rows" (CSV with reasons).
    rejects_path = models.CharField(max_length=512, blank=True)
    # The background job on this record set (see ``indicators/jobs.py``): the task queued
    # or running, the process running it, and its last sign of life (or the time queued).
    task_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=128, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    loaded_at = models.DateTimeField(null=True, blank=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-loaded_at", "name"]
        verbose_name = _("record set")
        verbose_name_plural = _("record sets")

    def __str__(self) -> str:
        return self.name

    @property
    def source_name(self) -> str:
        """The original file or folder name of ``source``, never the server path to it."""
        return re.split(r"[\\/]", self.source.rstrip("\\/"))[-1] if self.source else ""


class IndicatorValue(models.Model):
    """One indicator for one org unit and period, with numerator, denominator and provenance."""

    record_set = models.ForeignKey(RecordSet, on_delete=models.CASCADE, related_name="values")
    org_code = models.CharField(_("org code"), max_length=32, db_index=True)
    node = models.ForeignKey(
        "orgs.Node",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="indicator_values",
    )
    period = models.CharField(_("period"), max_length=10, db_index=True)
    indicator = models.CharField(_("indicator"), max_length=64, db_index=True)
    numerator = models.DecimalField(max_digits=16, decimal_places=4)
    denominator = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    definition_version = models.CharField(max_length=32)
    engine = models.CharField(max_length=16, default="duckdb")
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["org_code", "period", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["record_set", "org_code", "period", "indicator"],
                name="indicators_value_unique",
            ),
        ]
        indexes = [models.Index(fields=["node", "period", "indicator"])]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")

    def __str__(self) -> str:
        return f"{self.org_code} {self.period} {self.indicator}"


class Target(models.Model):
    """A target for an indicator in a region and year (e.g. 规范管理率 ≥ 60%)."""

    class Comparison(models.TextChoices):
        AT_LEAST = "ge", _("at least")
        AT_MOST = "le", _("at most")

    indicator = models.CharField(_("indicator"), max_length=64)
    node = models.ForeignKey(
        "orgs.Node", on_delete=models.CASCADE, related_name="indicator_targets"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    threshold = models.DecimalField(_("threshold"), max_digits=7, decimal_places=4)
    comparison = models.CharField(
        max_length=2, choices=Comparison.choices, default=Comparison.AT_LEAST
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "node", "year"], name="indicators_target_unique"
            ),
        ]
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self) -> str:
        return f"{self.indicator} {self.node} {self.year}"

    def met_by(self, value: float | None) -> bool | None:
        if value is None:
            return None
        t = float(self.threshold)
        return value >= t if self.comparison == self.Comparison.AT_LEAST else value <= t
