from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MapsConfig(AppConfig):
    name = "jiceng.maps"
    label = "maps"
    verbose_name = _("Maps")

    def ready(self) -> None:
        from jiceng.core import nav

        nav.register(_("Maps"), "maps:map", order=52)
