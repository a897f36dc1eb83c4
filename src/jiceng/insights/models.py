"""Saved visualizer views and the pins of dashboards."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedView(models.Model):
    """A visualizer view saved with a name: the query string that opens it."""

    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    # The region the view looks at: a shared view is seen by those who see this node.
    node = models.ForeignKey("orgs.Node", on_delete=models.CASCADE, related_name="saved_views")
    query = models.TextField(_("view"))
    shared = models.BooleanField(_("shared"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")

    def __str__(self) -> str:
        return self.name


class Pin(models.Model):
    """One item of a dashboard: a saved view, or a page of the platform by its URL (a map).

    A pin with ``published_at`` set was published by an administrator to every user at or
    below ``node``; the others are the owner's own.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pins")
    title = models.CharField(_("title"), max_length=120)
    view = models.ForeignKey(
        SavedView, null=True, blank=True, on_delete=models.CASCADE, related_name="pins"
    )
    url = models.CharField(_("address"), max_length=500, blank=True)
    order = models.PositiveIntegerField(default=0)
    node = models.ForeignKey(
        "orgs.Node", null=True, blank=True, on_delete=models.CASCADE, related_name="pins"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("dashboard pin")
        verbose_name_plural = _("dashboard pins")

    def __str__(self) -> str:
        return self.title

    @property
    def target(self) -> str:
        """Where the pin leads."""
        if self.view_id:
            return f"/insights/views/{self.view_id}/"
        return self.url
