from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "jiceng.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from jiceng.accounts.signals import record_logout

        user_logged_out.connect(record_logout, dispatch_uid="jiceng.accounts.record_logout")
