from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "jiceng.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from jiceng.core import nav

        # Summaries are of regions: institution staff have none to write or read.
        nav.register(
            _("Work summary"),
            "reports:index",
            order=70,
            visible=lambda user: getattr(user, "role", "") != "institution_staff",
        )
