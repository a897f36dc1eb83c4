"""The yearly evaluation cycle: cycles, submissions, grades, evidence, verdicts, publication.

A :class:`Cycle` is opened for a region (usually a county) and a year. Each grassroots
institution of the region gets one :class:`Submission`, graded at up to three levels
(self, county, re-check). The verdict of every level is computed by
``jiceng.standards.verdict.compute_verdict``; the published verdict is a
:class:`VerdictRecord` with a validity period that look-backs confirm or withdraw.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    SELF = "self", _("Self-assessment")
    COUNTY = "county", _("County review")
    RECHECK = "recheck", _("Re-check")


LEVEL_ORDER = (Level.SELF, Level.COUNTY, Level.RECHECK)


class Stage(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for changes")
    COUNTY_PASSED = "county_passed", _("Passed by county")
    RECHECK_PENDING = "recheck_pending", _("Awaiting re-check")
    RECHECKED = "rechecked", _("Re-checked")
    PUBLISHED = "published", _("Published")


class VerdictValue(models.TextChoices):
    NONE = "none", _("Standard not reached")
    BASIC = "basic", _("Basic standard reached")
    RECOMMENDED = "recommended", _("Recommended standard reached")


class Cycle(models.Model):
    """One year's evaluation in a region, with its deadlines and catalogs."""

    region = models.ForeignKey(
        "orgs.Node", verbose_name=_("region"), on_delete=models.PROTECT, related_name="cycles"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=255)
    self_deadline = models.DateField(_("self-assessment deadline"), null=True, blank=True)
    county_deadline = models.DateField(_("county review deadline"), null=True, blank=True)
    recheck_deadline = models.DateField(_("re-check deadline"), null=True, blank=True)
    validity_years = models.PositiveSmallIntegerField(_("validity of a verdict (years)"), default=3)
    closed = models.BooleanField(_("closed"), default=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "region__path"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="assessments_cycle_unique"),
        ]
        verbose_name = _("evaluation cycle")
        verbose_name_plural = _("evaluation cycles")

    def __str__(self) -> str:
        return self.title

    @property
    def node(self):
        return self.region


class CycleCatalog(models.Model):
    """Which catalog the institutions of one kind are graded against in a cycle."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="catalogs")
    kind = models.CharField(_("institution type"), max_length=32)
    catalog = models.ForeignKey(
        "standards.Catalog", verbose_name=_("catalog"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["cycle", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "kind"], name="assessments_cyclecatalog_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle} {self.kind}"


class Submission(models.Model):
    """One institution's evaluation in one cycle, through every level."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="submissions")
    institution = models.ForeignKey(
        "orgs.Node",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="submissions",
    )
    catalog = models.ForeignKey(
        "standards.Catalog", verbose_name=_("catalog"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.DRAFT)
    # Optimistic locking: every write bumps it; a form carries the version it was read at.
    version = models.PositiveIntegerField(default=1)
    self_locked = models.BooleanField(default=False)
    county_locked = models.BooleanField(default=False)
    recheck_locked = models.BooleanField(default=False)
    # Re-check: required for a proposed recommended verdict, or chosen in a sample.
    recheck_required = models.BooleanField(default=False)
    recheck_sampled = models.BooleanField(default=False)
    # Verdicts computed at each level (the reasons are recomputed on demand).
    self_verdict = models.CharField(max_length=16, choices=VerdictValue.choices, blank=True)
    county_verdict = models.CharField(max_length=16, choices=VerdictValue.choices, blank=True)
    recheck_verdict = models.CharField(max_length=16, choices=VerdictValue.choices, blank=True)
    county_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rechecker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    county_passed_at = models.DateTimeField(null=True, blank=True)
    rechecked_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cycle", "institution__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "institution"], name="assessments_submission_unique"
            ),
        ]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")

    def __str__(self) -> str:
        return f"{self.institution} · {self.cycle.year}"

    @property
    def node(self):
        return self.institution

    def grades_at(self, level: str) -> dict[str, str]:
        """Item code → grade at ``level`` (self, county, recheck); ungraded items left out.
        (For many submissions at once: ``consistency.grades_by_submission``, one query.)"""
        rows = self.grades.filter(level=level).exclude(grade="")
        return dict(rows.values_list("item_code", "grade"))

    def remarks_at(self, level: str) -> dict[str, str]:
        """Item code → remark at ``level``, only items with a remark."""
        rows = self.grades.filter(level=level).exclude(remark="")
        return dict(rows.values_list("item_code", "remark"))

    def final_level(self) -> str:
        """The level whose grades decide: the re-check if it was completed, else county."""
        if self.recheck_locked or self.stage == Stage.RECHECKED or self.recheck_verdict:
            return Level.RECHECK
        if self.county_locked or self.county_verdict:
            return Level.COUNTY
        return Level.SELF

    def final_verdict(self) -> str:
        return {
            Level.RECHECK: self.recheck_verdict,
            Level.COUNTY: self.county_verdict,
            Level.SELF: self.self_verdict,
        }[self.final_level()]

    @property
    def submitted_late(self) -> bool:
        """The self-assessment was (last) submitted after the cycle's self-assessment deadline
        (a day of the configured time zone); it was accepted all the same."""
        deadline = self.cycle.self_deadline
        return bool(
            self.submitted_at and deadline and timezone.localdate(self.submitted_at) > deadline
        )

    def locked_at(self, level: str) -> bool:
        return {
            Level.SELF: self.self_locked,
            Level.COUNTY: self.county_locked,
            Level.RECHECK: self.recheck_locked,
        }[Level(level)]


class Grade(models.Model):
    """One item's grade at one level of a submission."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="grades")
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    item_code = models.CharField(_("item code"), max_length=32)
    grade = models.CharField(_("grade"), max_length=16)
    remark = models.TextField(_("remark"), blank=True)
    grader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["submission", "level", "item_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "level", "item_code"], name="assessments_grade_unique"
            ),
        ]
        verbose_name = _("grade")
        verbose_name_plural = _("grades")

    def __str__(self) -> str:
        return f"{self.item_code}={self.grade} ({self.level})"


def evidence_path(instance: Evidence, filename: str) -> str:
    sub = instance.submission
    return f"evidence/{sub.cycle.year}/{sub.institution.code}/{filename}"


class Evidence(models.Model):
    """A file supporting an item: type sniffed from its content, size and hash recorded."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="evidence")
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.SELF)
    item_code = models.CharField(_("item code"), max_length=32, blank=True)
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("file type"), max_length=16)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "item_code", "uploaded_at"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.original_name

    @property
    def node(self):
        return self.submission.institution


class Finding(models.Model):
    """A reviewer's finding or comment, on one item or on the whole submission."""

    class Kind(models.TextChoices):
        FINDING = "finding", _("Finding")
        RETURN = "return", _("Return comment")
        REOPEN = "reopen", _("Re-opening")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="findings")
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.FINDING)
    item_code = models.CharField(_("item code"), max_length=32, blank=True)
    text = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "created_at", "id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def node(self):
        return self.submission.institution


class Publication(models.Model):
    """A published list (公示) of verdicts for a region and year."""

    region = models.ForeignKey(
        "orgs.Node", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-year", "region__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year"], name="assessments_publication_unique"
            ),
        ]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")

    def __str__(self) -> str:
        return f"{self.region} {self.year}"

    @property
    def node(self):
        return self.region


class VerdictRecord(models.Model):
    """A published verdict of an institution, valid for a period, confirmed or withdrawn."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CONFIRMED = "confirmed", _("Confirmed by look-back")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    institution = models.ForeignKey(
        "orgs.Node", verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="verdicts")
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="verdicts")
    publication = models.ForeignKey(
        Publication, null=True, blank=True, on_delete=models.PROTECT, related_name="verdicts"
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    verdict = models.CharField(_("verdict"), max_length=16, choices=VerdictValue.choices)
    reasons = models.JSONField(_("reasons"), default=dict)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["institution", "-valid_from", "-id"]
        verbose_name = _("published verdict")
        verbose_name_plural = _("published verdicts")

    def __str__(self) -> str:
        return f"{self.institution} {self.cycle.year} {self.get_verdict_display()}"

    @property
    def node(self):
        return self.institution


class LookBack(models.Model):
    """A look-back visit (回头看) that confirmed or withdrew a published verdict."""

    class Outcome(models.TextChoices):
        CONFIRM = "confirm", _("Confirmed")
        WITHDRAW = "withdraw", _("Withdrawn")

    record = models.ForeignKey(VerdictRecord, on_delete=models.CASCADE, related_name="lookbacks")
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    date = models.DateField(_("date"))
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["record", "date", "id"]
        verbose_name = _("look-back")
        verbose_name_plural = _("look-backs")

    def __str__(self) -> str:
        return f"{self.record} {self.outcome} {self.date}"

    @property
    def node(self):
        return self.record.institution
