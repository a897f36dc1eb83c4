from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "jiceng.surveys"
    label = "surveys"
    verbose_name = _("Satisfaction surveys")

    def ready(self) -> None:
        from jiceng.core import nav

        nav.register(_("Satisfaction surveys"), "surveys:index", order=47)
