from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "jiceng.indicators"
    label = "indicators"
    verbose_name = _("Indicators")

    def ready(self) -> None:
        try:
            from jiceng.core import nav
            from jiceng.indicators import panels  # noqa: F401  (registers the home panel)
        except ImportError:  # the navigation and home registries are not there yet
            return

        nav.register(_("Indicators"), "indicators:index", order=50)
        nav.register(
            _("Record sets"), "indicators:recordsets", visible=_manages_indicators, order=55
        )


def _manages_indicators(user) -> bool:
    from jiceng.core import scope

    root = scope.scope_root(user)
    if root is None:
        return scope.is_global(user)
    return scope.can(user, scope.Action.MANAGE_CATALOGS, root)
