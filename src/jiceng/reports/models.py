"""Work summaries and progress reports (generated documents) and the templates they use."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportTemplate(models.Model):
    """One uploaded version of a region's work-summary template (.docx with named fields)."""

    region = models.ForeignKey(
        "orgs.Node", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(_("version"))
    filename = models.CharField(_("file name"), max_length=255)
    data = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("summary template")
        constraints = [
            models.UniqueConstraint(fields=["region", "version"], name="report_template_version")
        ]
        ordering = ["region", "-version"]

    def __str__(self) -> str:
        return f"{self.filename} v{self.version}"


class GeneratedReport(models.Model):
    """A work summary (a year) or a progress report (a quarter) of a region, as .docx and PDF."""

    class Kind(models.TextChoices):
        SUMMARY = "summary", _("Work summary")
        PROGRESS = "progress", _("Quarterly progress report")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    region = models.ForeignKey(
        "orgs.Node", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    template = models.ForeignKey(
        ReportTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    docx = models.BinaryField(_("Word document"), default=b"")
    pdf = models.BinaryField(_("PDF document"), default=b"")
    has_pdf = models.BooleanField(_("with PDF"), default=False)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # the running worker's last beat
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("work summary")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.region} {self.period_label}"

    @property
    def period_label(self) -> str:
        return f"{self.year}Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
