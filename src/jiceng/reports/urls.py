from django.urls import path

from jiceng.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.request_report, name="new"),
    path("<int:pk>/", views.report_page, name="report"),
    path("<int:pk>/summary.<str:fmt>", views.download, name="download"),
    path("templates/", views.templates_page, name="templates"),
    path("templates/default.docx", views.default_template, name="default_template"),
    path("templates/<int:pk>.docx", views.template_download, name="template"),
]
