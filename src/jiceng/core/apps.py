from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "jiceng.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from jiceng.core import nav, panels  # noqa: F401  (panels register themselves)
        from jiceng.core.panels import is_admin

        nav.register(_("Home"), "home", order=0)
        # A default; the orgs app may register "orgs:tree" again to take it over.
        nav.register(_("Organisation tree"), "orgs:tree", order=10)
        nav.register(_("Users"), "accounts:users", visible=is_admin, order=80)
        nav.register(_("Audit trail"), "core:audit", visible=is_admin, order=90)
