from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "jiceng.insights"
    label = "insights"
    verbose_name = _("Dashboards")

    def ready(self) -> None:
        from jiceng.core import nav
        from jiceng.insights import panels  # noqa: F401  (registers the home panels)

        nav.register(_("Visualizer"), "insights:visualizer", order=58)
