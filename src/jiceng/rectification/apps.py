from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    name = "jiceng.rectification"
    label = "rectification"
    verbose_name = _("Rectification ledger")

    def ready(self) -> None:
        from jiceng.core import nav
        from jiceng.rectification import panels  # noqa: F401  (panels register themselves)

        nav.register(_("Rectification ledger"), "rectification:ledger", order=40)
