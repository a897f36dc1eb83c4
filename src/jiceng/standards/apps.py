from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StandardsConfig(AppConfig):
    name = "jiceng.standards"
    label = "standards"
    verbose_name = _("Service capability standards")

    def ready(self) -> None:
        try:
            from jiceng.core import nav
        except ImportError:  # the navigation registry is not there yet
            return
        nav.register(_("Standards"), "standards:index", order=60)
