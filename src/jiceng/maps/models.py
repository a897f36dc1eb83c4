"""Boundaries of the units of the tree: each import is a version (``BoundarySet``), and each
unit has at most one current ``Boundary`` (older ones are kept, no longer current)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BoundarySet(models.Model):
    """One import of boundaries (a file, or the demo's synthetic ones): a version."""

    class Format(models.TextChoices):
        GEOJSON = "geojson", "GeoJSON"
        SHAPEFILE = "shapefile", "Shapefile"
        DEMO = "demo", _("Synthetic (demo)")

    # The smallest region holding every unit of the import: scope and the audit trail.
    node = models.ForeignKey(
        "orgs.Node", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=16, choices=Format.choices)
    code_field = models.CharField(_("code property"), max_length=64, default="code")
    features = models.PositiveIntegerField(_("features"), default=0)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("boundary import")
        verbose_name_plural = _("boundary imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.features})"


class Boundary(models.Model):
    """The outline of one unit from one import; ``current`` marks the one the maps draw."""

    node = models.ForeignKey(
        "orgs.Node", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+"
    )
    source = models.ForeignKey(
        BoundarySet, verbose_name=_("import"), on_delete=models.CASCADE, related_name="boundaries"
    )
    geometry = models.JSONField(_("geometry"))  # GeoJSON, WGS84 lon/lat, as imported
    display = models.JSONField(_("simplified geometry"))  # what the map draws
    # A point inside the outline (for labels, and for tests that click a region).
    centre_lon = models.FloatField(_("label longitude"), default=0)
    centre_lat = models.FloatField(_("label latitude"), default=0)
    current = models.BooleanField(_("current"), default=True)

    class Meta:
        ordering = ["node", "-source"]
        constraints = [
            models.UniqueConstraint(
                fields=["node"],
                condition=models.Q(current=True),
                name="maps_one_current_boundary",
            ),
        ]
        indexes = [models.Index(fields=["node", "current"], name="maps_boundary_current")]
        verbose_name = _("boundary")
        verbose_name_plural = _("boundaries")

    def __str__(self) -> str:
        return f"{self.node} ({self.source_id})"
