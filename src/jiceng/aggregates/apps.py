from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AggregatesConfig(AppConfig):
    name = "jiceng.aggregates"
    label = "aggregates"
    verbose_name = _("Aggregate data")

    def ready(self) -> None:
        from jiceng.aggregates import panels  # noqa: F401  (registers the home panel)
        from jiceng.core import nav

        nav.register(_("Data entry"), "aggregates:index", order=45)
