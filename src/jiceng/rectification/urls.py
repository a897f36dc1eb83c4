from django.urls import path

from jiceng.rectification import views

app_name = "rectification"
urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("export.xlsx", views.export, name="export"),
    path("summary/", views.summary, name="summary"),
    path("new/", views.entry_new, name="entry_new"),
    path("<int:pk>/", views.entry_detail, name="entry"),
    path("<int:pk>/report/", views.report_fixed, name="report_fixed"),
    path("<int:pk>/close/", views.verify_close, name="verify_close"),
    path("<int:pk>/send-back/", views.send_back, name="send_back"),
    path("<int:pk>/extend/", views.extend_deadline, name="extend_deadline"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"),
    path("visits/", views.visits, name="visits"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
]
