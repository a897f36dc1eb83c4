from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "jiceng.assessments"
    label = "assessments"
    verbose_name = _("Evaluation cycles")

    def ready(self) -> None:
        from jiceng.assessments import panels  # noqa: F401  (panels register themselves)
        from jiceng.core import nav

        nav.register(_("Evaluation"), "assessments:index", order=30)
