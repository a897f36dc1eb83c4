"""URL map: pages per app, the REST API under /api/v1/, accounts, admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from jiceng.accounts.forms import LoginForm
from jiceng.accounts.views import AuditedPasswordChangeView
from jiceng.api.main import api
from jiceng.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        AuditedPasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("jiceng.core.urls")),
    path("", include("jiceng.accounts.urls")),
    path("orgs/", include("jiceng.orgs.urls")),
    path("standards/", include("jiceng.standards.urls")),
    path("evaluation/", include("jiceng.assessments.urls")),
    path("rectification/", include("jiceng.rectification.urls")),
    path("indicators/", include("jiceng.indicators.urls")),
    path("data/", include("jiceng.aggregates.urls")),
    path("maps/", include("jiceng.maps.urls")),
    path("appraisal/", include("jiceng.appraisal.urls")),
    path("reports/", include("jiceng.reports.urls")),
    path("insights/", include("jiceng.insights.urls")),
    path("surveys/", include("jiceng.surveys.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
