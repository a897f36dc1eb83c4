"""Standards catalogs as loaded into the platform: one row per catalog version, one per item.

The file a catalog came from stays the source of truth (``source``); these rows are its
validated, queryable form. Verdict rules live in ``jiceng.standards.verdict``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    BASIC = "basic", _("Basic standard")
    RECOMMENDED = "recommended", _("Recommended standard")


class Catalog(models.Model):
    """One version of a service capability standard (e.g. 乡镇卫生院服务能力标准 2022)."""

    code = models.CharField(_("code"), max_length=64)
    version = models.CharField(_("version"), max_length=32)
    title = models.CharField(_("title"), max_length=255)
    edition = models.CharField(_("edition"), max_length=64, blank=True)
    # Node kinds (orgs.Kind values) this catalog applies to.
    institution_kinds = models.JSONField(_("institution types"), default=list)
    # Grading scale: [{"grade": "A", "label": "...", "meets": true}, ...]
    scale = models.JSONField(_("grading scale"), default=list)
    basic_threshold = models.DecimalField(max_digits=6, decimal_places=4, default=0.8)
    recommended_threshold = models.DecimalField(max_digits=6, decimal_places=4, default=0.8)
    source_name = models.CharField(max_length=255, blank=True)
    source = models.TextField(blank=True)
    loaded_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)
    # The region that loaded the catalog: it applies there and below, and only that
    # region's administrators (or those above) change it. None: a national catalog.
    owner = models.ForeignKey(
        "orgs.Node",
        verbose_name=_("owner region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "code", "version"], name="standards_catalog_unique"
            ),
        ]
        verbose_name = _("standards catalog")
        verbose_name_plural = _("standards catalogs")

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"

    @property
    def node(self):
        """The node the catalog hangs on (scope checks and the audit trail)."""
        return self.owner

    @property
    def kind_labels(self) -> list[str]:
        """The institution types as people read them (乡镇卫生院 …)."""
        from jiceng.orgs.models import Kind

        labels = dict(Kind.choices)
        return [str(labels.get(k, k)) for k in self.institution_kinds or []]


class Item(models.Model):
    """One item (条款) of a catalog."""

    catalog = models.ForeignKey(Catalog, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("item code"), max_length=32)
    chapter = models.CharField(_("chapter"), max_length=128)  # chapter code, e.g. "2"
    chapter_title = models.CharField(_("chapter title"), max_length=128, blank=True)
    section = models.CharField(_("section"), max_length=128, blank=True)  # section code
    section_title = models.CharField(_("section title"), max_length=128, blank=True)
    text = models.TextField(_("requirement"))
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices)
    core = models.BooleanField(_("core item"), default=False)
    na_allowed = models.BooleanField(_("may be not applicable"), default=False)
    evidence = models.TextField(_("evidence expected"), blank=True)
    method = models.CharField(_("assessment method"), max_length=64, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["catalog", "order"]
        constraints = [
            models.UniqueConstraint(fields=["catalog", "code"], name="standards_item_unique"),
        ]
        verbose_name = _("standard item")
        verbose_name_plural = _("standard items")

    def __str__(self) -> str:
        return f"{self.code} {self.text[:40]}"
