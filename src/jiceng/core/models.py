"""The audit trail: one row for every write the platform makes."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who did what to which object, when, with the state before and after."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    # Path of the tree node the object hangs on, so the trail can be scoped.
    node_path = models.CharField(max_length=255, blank=True, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"


class DataVersion(models.Model):
    """How many writes of one kind were made at one tree path, and when the last one was:
    the versions of cached page parts.

    :func:`jiceng.core.audit.record` adds one in every write's transaction; see
    :mod:`jiceng.core.pagecache`.
    """

    kind = models.CharField(max_length=16)
    path = models.CharField(max_length=255)
    n = models.BigIntegerField(default=0)
    stamp = models.BigIntegerField(default=0)  # microseconds since 1970 of the last write

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "path"], name="core_dataversion_kind_path")
        ]
        indexes = [models.Index(fields=["path", "kind"], name="core_dataversion_path")]

    def __str__(self) -> str:
        return f"{self.kind} {self.path} {self.n}"
