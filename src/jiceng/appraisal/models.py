"""Appraisal in the platform: loaded scheme versions, one appraisal of a year for a region
(draft → reviewed → published, corrections as new versions), manual item values, appeals,
bad-practice points recorded against institutions, and the evidence files of both.

The scheme file stays the source of truth (``source``); scoring lives in the pure core
``jiceng.appraisal_core``, reached only through :mod:`jiceng.appraisal.engine`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

_USER = {
    "to": settings.AUTH_USER_MODEL,
    "null": True,
    "blank": True,
    "on_delete": models.SET_NULL,
    "related_name": "+",
}


class SchemeVersion(models.Model):
    """One loaded version of an appraisal scheme (考核方案), owned by the region that loaded it."""

    code = models.CharField(_("code"), max_length=64)
    version = models.CharField(_("version"), max_length=32)
    title = models.CharField(_("title"), max_length=255)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    unit_kinds = models.JSONField(_("appraised unit types"), default=list)
    source_name = models.CharField(_("source file name"), max_length=255, blank=True)
    source = models.TextField(_("definition"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)
    loaded_by = models.ForeignKey(verbose_name=_("loaded by"), **_USER)
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
                fields=["owner", "code", "version"], name="appraisal_scheme_unique"
            ),
        ]
        verbose_name = _("appraisal scheme")
        verbose_name_plural = _("appraisal schemes")

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"

    @property
    def node(self):
        """The node the scheme hangs on (scope checks and the audit trail)."""
        return self.owner


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEWED = "reviewed", _("Reviewed")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded by a correction")


class Appraisal(models.Model):
    """The appraisal of one year for one region under one scheme version.

    Published appraisals keep their results frozen in ``frozen``; a correction is a new
    row (``number`` + 1, ``corrects`` the old one, with a reason) and the old one is
    superseded.
    """

    scheme = models.ForeignKey(
        SchemeVersion,
        verbose_name=_("appraisal scheme"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "orgs.Node", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveSmallIntegerField(_("version number"), default=1)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason for the correction"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(verbose_name=_("created by"), **_USER)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(verbose_name=_("reviewed by"), **_USER)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(verbose_name=_("published by"), **_USER)
    appeal_until = models.DateField(_("appeals accepted until"), null=True, blank=True)
    frozen = models.JSONField(_("published results"), null=True, blank=True)

    class Meta:
        ordering = ["-year", "region__path", "scheme__code", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "region", "year", "number"], name="appraisal_unique"
            ),
        ]
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")

    def __str__(self) -> str:
        return f"{self.scheme.title} · {self.region.name} · {self.year}"

    @property
    def node(self):
        return self.region

    @property
    def is_frozen(self) -> bool:
        return self.status in (Status.PUBLISHED, Status.SUPERSEDED)


def evidence_path(instance: EvidenceFile, filename: str) -> str:
    """``appraisal/<unit code>/<hash>.<kind>`` under ``MEDIA_ROOT`` (inside the var dir)."""
    return f"appraisal/{instance.node.code}/{filename}"


class EvidenceFile(models.Model):
    """A file supporting a manual score or bad-practice points (a scanned on-site check sheet,
    a penalty notice): its type sniffed from its content, size and hash recorded.

    A file is never changed. The manual values of a correction link the same files as the
    version they correct, so the published version keeps reaching them."""

    node = models.ForeignKey(
        "orgs.Node", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("file type"), max_length=16)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(verbose_name=_("uploaded by"), **_USER)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.name


class ManualValue(models.Model):
    """An appraiser's value of a manual item for one unit, with the reason and evidence."""

    appraisal = models.ForeignKey(
        Appraisal, verbose_name=_("appraisal"), on_delete=models.CASCADE, related_name="manual"
    )
    unit = models.ForeignKey(
        "orgs.Node", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    item = models.CharField(_("item"), max_length=64)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=4)
    reason = models.TextField(_("reason"))
    evidence = models.TextField(_("evidence"), blank=True)
    files = models.ManyToManyField(
        EvidenceFile, verbose_name=_("evidence files"), blank=True, related_name="manual_values"
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now=True)
    entered_by = models.ForeignKey(verbose_name=_("entered by"), **_USER)

    class Meta:
        ordering = ["appraisal", "unit__path", "item"]
        constraints = [
            models.UniqueConstraint(
                fields=["appraisal", "unit", "item"], name="appraisal_manual_unique"
            ),
        ]
        verbose_name = _("manual item value")
        verbose_name_plural = _("manual item values")

    def __str__(self) -> str:
        return f"{self.unit.name} {self.item}={self.value}"

    @property
    def node(self):
        return self.unit


class Appeal(models.Model):
    """An appeal (申诉) of an appraised unit against its published result, and the answer."""

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("Upheld: the result will be corrected")
        REJECTED = "rejected", _("Rejected: the result stands")

    appraisal = models.ForeignKey(
        Appraisal, verbose_name=_("appraisal"), on_delete=models.PROTECT, related_name="appeals"
    )
    unit = models.ForeignKey(
        "orgs.Node", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    item = models.CharField(_("item"), max_length=64, blank=True)
    text = models.TextField(_("grounds of the appeal"))
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    filed_by = models.ForeignKey(verbose_name=_("filed by"), **_USER)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(verbose_name=_("answered by"), **_USER)

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"{self.unit.name} · {self.appraisal}"

    @property
    def node(self):
        return self.unit


class BadPractice(models.Model):
    """Points for bad practice (不良执业行为记分) recorded against an institution."""

    institution = models.ForeignKey(
        "orgs.Node", verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    rule = models.CharField(_("rule broken"), max_length=255)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    evidence = models.TextField(_("evidence"), blank=True)
    files = models.ManyToManyField(
        EvidenceFile, verbose_name=_("evidence files"), blank=True, related_name="bad_practice"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(verbose_name=_("recorded by"), **_USER)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["institution", "date"], name="appraisal_bad_inst_date")]
        verbose_name = _("bad-practice points")
        verbose_name_plural = _("bad-practice points")

    def __str__(self) -> str:
        return f"{self.institution.name} {self.date} −{self.points}"

    @property
    def node(self):
        return self.institution
