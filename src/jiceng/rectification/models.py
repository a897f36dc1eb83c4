"""The rectification ledger (整改台账): problem entries, supervision visits, fix evidence.

Every item graded below standard at a review, and every finding of a supervision visit
(督导检查), becomes a :class:`LedgerEntry`. The institution reports it fixed; a reviewer
verifies and closes it (销号) or sends it back. Each change of status is one
:class:`EntryEvent` row, so reports can count what happened when.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Source(models.TextChoices):
    REVIEW = "review", pgettext_lazy("ledger", "County review")
    RECHECK = "recheck", pgettext_lazy("ledger", "Re-check")
    SUPERVISION = "supervision", pgettext_lazy("ledger", "Supervision visit")
    LOOKBACK = "lookback", pgettext_lazy("ledger", "Look-back")
    OTHER = "other", pgettext_lazy("ledger", "Other")


class Status(models.TextChoices):
    OPEN = "open", pgettext_lazy("ledger", "Open")
    REPORTED_FIXED = "reported_fixed", pgettext_lazy("ledger", "Reported fixed")
    CLOSED = "closed", pgettext_lazy("ledger", "Closed")


class VisitKind(models.TextChoices):
    SUPERVISION = "supervision", pgettext_lazy("ledger", "Supervision visit")
    LOOKBACK = "lookback", pgettext_lazy("ledger", "Look-back visit")
    SPECIAL = "special", pgettext_lazy("ledger", "Special inspection")


class EventKind(models.TextChoices):
    OPENED = "opened", pgettext_lazy("ledger", "Opened")
    REPORTED_FIXED = "reported_fixed", pgettext_lazy("ledger", "Fix reported")
    CLOSED = "closed", pgettext_lazy("ledger", "Verified and closed")
    SENT_BACK = "sent_back", pgettext_lazy("ledger", "Sent back")
    DEADLINE_EXTENDED = "deadline_extended", pgettext_lazy("ledger", "Deadline extended")


class SupervisionVisit(models.Model):
    """One visit by a team to an institution or a region (督导检查 / 回头看 / 专项检查)."""

    node = models.ForeignKey(
        "orgs.Node",
        verbose_name=pgettext_lazy("ledger", "visited unit"),
        on_delete=models.PROTECT,
        related_name="supervision_visits",
    )
    visited_on = models.DateField(pgettext_lazy("ledger", "date of visit"))
    kind = models.CharField(
        pgettext_lazy("ledger", "kind of visit"),
        max_length=16,
        choices=VisitKind.choices,
        default=VisitKind.SUPERVISION,
    )
    team = models.TextField(pgettext_lazy("ledger", "team / inspectors"))
    notes = models.TextField(pgettext_lazy("ledger", "notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-pk"]
        verbose_name = _("supervision visit")
        verbose_name_plural = _("supervision visits")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.node.name} {self.visited_on:%Y-%m-%d}"


class Finding(models.Model):
    """One problem found during a visit, at one institution."""

    visit = models.ForeignKey(SupervisionVisit, on_delete=models.CASCADE, related_name="findings")
    institution = models.ForeignKey(
        "orgs.Node",
        verbose_name=pgettext_lazy("ledger", "institution"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.TextField(pgettext_lazy("ledger", "problem found"))
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["visit", "order", "pk"]
        verbose_name = pgettext_lazy("ledger", "finding")
        verbose_name_plural = pgettext_lazy("ledger", "findings")

    def __str__(self) -> str:
        return self.description[:60]


class LedgerEntry(models.Model):
    """One problem on the list (问题清单) and its way to being closed (销号)."""

    institution = models.ForeignKey(
        "orgs.Node",
        verbose_name=pgettext_lazy("ledger", "institution"),
        on_delete=models.PROTECT,
        related_name="rectification_entries",
    )
    source = models.CharField(
        pgettext_lazy("ledger", "source"), max_length=16, choices=Source.choices
    )
    # For review / re-check sources: the submission and the standard item graded below standard.
    submission = models.ForeignKey(
        "assessments.Submission",
        verbose_name=pgettext_lazy("ledger", "submission"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rectification_entries",
    )
    item_code = models.CharField(pgettext_lazy("ledger", "item code"), max_length=32, blank=True)
    # For supervision findings: the visit and its finding.
    visit = models.ForeignKey(
        SupervisionVisit,
        verbose_name=_("supervision visit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    finding = models.OneToOneField(
        Finding, null=True, blank=True, on_delete=models.PROTECT, related_name="entry"
    )
    description = models.TextField(pgettext_lazy("ledger", "problem"))
    opened_on = models.DateField(pgettext_lazy("ledger", "date found"))
    # Named when the entry is opened, or by the institution when it reports the fix.
    responsible = models.CharField(
        pgettext_lazy("ledger", "responsible person"), max_length=64, blank=True
    )
    deadline = models.DateField(pgettext_lazy("ledger", "deadline"))
    status = models.CharField(
        pgettext_lazy("ledger", "status"),
        max_length=16,
        choices=Status.choices,
        default=Status.OPEN,
        db_index=True,
    )
    measures = models.TextField(pgettext_lazy("ledger", "measures taken"), blank=True)
    reported_at = models.DateTimeField(
        pgettext_lazy("ledger", "reported fixed at"), null=True, blank=True
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("ledger", "verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(
        pgettext_lazy("ledger", "verified at"), null=True, blank=True
    )
    closed_at = models.DateTimeField(pgettext_lazy("ledger", "closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["deadline", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "item_code"],
                condition=Q(submission__isnull=False),
                name="rectification_one_entry_per_item",
            ),
        ]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")

    def __str__(self) -> str:
        return f"{self.number} {self.description[:40]}"

    @property
    def number(self) -> str:
        """The entry's reference number as printed on the ledger (整改编号)."""
        return f"ZG{self.opened_on:%Y}-{self.pk:05d}" if self.pk and self.opened_on else ""

    @property
    def node(self):
        """The node the entry hangs on (for scope filters and the audit trail)."""
        return self.institution

    def is_overdue(self, today: dt.date | None = None) -> bool:
        """Open (not reported fixed, or sent back) past its deadline."""
        today = today or dt.date.today()
        return self.status == Status.OPEN and self.deadline < today

    def days_overdue(self, today: dt.date | None = None) -> int:
        today = today or dt.date.today()
        return (today - self.deadline).days if self.is_overdue(today) else 0


class EntryEvent(models.Model):
    """One change of a ledger entry: opened, reported fixed, closed, sent back, re-dated."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(
        pgettext_lazy("ledger", "event"), max_length=24, choices=EventKind.choices
    )
    at = models.DateTimeField(pgettext_lazy("ledger", "time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(pgettext_lazy("ledger", "by"), max_length=150, blank=True)
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    note = models.TextField(pgettext_lazy("ledger", "note"), blank=True)
    deadline_before = models.DateField(null=True, blank=True)
    deadline_after = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["entry", "at", "pk"]
        verbose_name = _("ledger entry event")
        verbose_name_plural = _("ledger entry events")

    def __str__(self) -> str:
        return f"{self.entry_id} {self.kind} {self.at:%Y-%m-%d}"


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"rectification/{instance.entry_id}/{instance.sha256[:16]}-{instance.safe_name}"


class Evidence(models.Model):
    """A file that shows the fix (photo, scanned document, Word or Excel sheet)."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=255)
    name = models.CharField(pgettext_lazy("ledger", "file name"), max_length=255)
    kind = models.CharField(pgettext_lazy("ledger", "file type"), max_length=16)
    size = models.PositiveBigIntegerField(pgettext_lazy("ledger", "size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry", "pk"]
        verbose_name = _("fix evidence")
        verbose_name_plural = _("fix evidence")

    def __str__(self) -> str:
        return self.name

    @property
    def safe_name(self) -> str:
        """The file name reduced to characters safe on every file system."""
        from jiceng.core.evidence import safe_name

        return safe_name(self.name)
