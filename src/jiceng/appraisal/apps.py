from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    name = "jiceng.appraisal"
    label = "appraisal"
    verbose_name = _("Performance appraisal")

    def ready(self) -> None:
        from jiceng.appraisal import dashboard, panels  # noqa: F401  (register the panel, ranking)
        from jiceng.core import nav

        nav.register(_("Appraisal"), "appraisal:index", order=55)
