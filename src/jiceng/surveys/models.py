"""Satisfaction surveys in the platform: loaded questionnaires, responses (telephone numbers
and names only as keyed hashes), imports, and the tallies the rates are read from.

A :class:`Tally` holds, per questionnaire, institution, quarter and question ("" for the
overall question), how many respondents answered and how many of them were satisfied. It is
written in the same transaction as the responses it counts (``actions``), so that every rate
of every node is a sum of a few thousand rows instead of a scan of millions of responses.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

KIND_LABELS = {
    "outpatient": _("Outpatient"),
    "inpatient": _("Inpatient"),
    "contracted": _("Contracted residents"),
    "public_health": _("Public health services"),
}


class Questionnaire(models.Model):
    """One loaded version of a questionnaire (e.g. 门诊患者满意度电话调查 2026)."""

    code = models.CharField(_("code"), max_length=32)
    version = models.CharField(_("version"), max_length=32)
    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=16)
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
        ordering = ["kind", "code", "-loaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "code", "version"], name="surveys_questionnaire_unique"
            ),
        ]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"

    @property
    def node(self):
        return self.owner

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    def definition(self):
        """The parsed :class:`jiceng.surveys.questionnaire.Questionnaire` (cached)."""
        from jiceng.surveys.queries import definition_of

        return definition_of(self)


class SurveyImport(models.Model):
    """One imported file (or one response entered on the page) of a questionnaire."""

    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.PROTECT, related_name="+"
    )
    # The region of the importer: the audit trail hangs on it.
    node = models.ForeignKey(
        "orgs.Node", verbose_name=_("region"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField(_("period"), max_length=8)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    responses = models.PositiveIntegerField(_("responses"), default=0)
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("survey import")
        verbose_name_plural = _("survey imports")

    def __str__(self) -> str:
        return f"{self.questionnaire.name} · {self.period} · {self.file_name}"


class Response(models.Model):
    """One respondent's answers. No telephone number or name in clear: keyed hashes only."""

    # No index of their own: the unique constraint starts with the institution and the
    # questionnaire (every index slows an import of a million rows down).
    questionnaire = models.ForeignKey(
        Questionnaire,
        verbose_name=_("questionnaire"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    institution = models.ForeignKey(
        "orgs.Node",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    date = models.DateField(_("survey date"))
    quarter = models.CharField(_("quarter"), max_length=6)
    respondent = models.CharField(_("respondent (keyed hash)"), max_length=64)
    name_hash = models.CharField(_("name (keyed hash)"), max_length=64, blank=True)
    answers = models.JSONField(_("answers"), default=dict)
    comment = models.TextField(_("comment"), blank=True)
    satisfied = models.BooleanField(_("satisfied overall"), null=True)
    batch = models.ForeignKey(
        SurveyImport,
        verbose_name=_("import"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "questionnaire", "date", "respondent"],
                name="surveys_response_unique",
            ),
        ]
        indexes = [models.Index(fields=["quarter", "institution"], name="surveys_resp_quarter")]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")

    def __str__(self) -> str:
        return f"{self.institution_id} · {self.date}"


class Tally(models.Model):
    """Respondents who answered and who were satisfied, per institution, quarter, question."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey("orgs.Node", on_delete=models.PROTECT, related_name="+")
    quarter = models.CharField(max_length=6)
    question = models.CharField(max_length=32, blank=True)  # "": the overall question
    answered = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "institution", "quarter", "question"],
                name="surveys_tally_unique",
            ),
        ]
        indexes = [models.Index(fields=["quarter", "question"], name="surveys_tally_quarter")]

    def __str__(self) -> str:
        return f"{self.institution_id} · {self.quarter} · {self.question or '*'}"
