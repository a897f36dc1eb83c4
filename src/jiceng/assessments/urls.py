from django.urls import path

from jiceng.assessments import views, views_reports

app_name = "assessments"
urlpatterns = [
    path("", views.index, name="index"),
    path("cycles/new/", views.open_cycle, name="open_cycle"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:pk>/recheck-sample/", views.select_for_recheck, name="recheck_sample"),
    path("s/<int:pk>/", views.submission_page, name="submission"),
    path("s/<int:pk>/draft/", views.save_draft, name="save_draft"),
    path("s/<int:pk>/adopt/", views.adopt_grades, name="adopt_grades"),
    path("s/<int:pk>/return/", views.return_submission, name="return"),
    path("s/<int:pk>/finding/", views.add_finding, name="finding"),
    path("s/<int:pk>/reopen/", views.reopen, name="reopen"),
    path("s/<int:pk>/evidence/", views.upload_evidence, name="upload_evidence"),
    path("s/<int:pk>/evidence/<int:ev>/", views.download_evidence, name="evidence"),
    path("s/<int:pk>/evidence/<int:ev>/delete/", views.delete_evidence, name="delete_evidence"),
    path("s/<int:pk>/template.xlsx", views.grades_template, name="grades_template"),
    path("s/<int:pk>/import/", views.import_grades, name="import_grades"),
    path("publication/", views_reports.publication, name="publication"),
    path("publication/publish/", views_reports.publish, name="publish"),
    path("publication.xlsx", views_reports.publication_xlsx, name="publication_xlsx"),
    path("consistency/", views_reports.consistency, name="consistency"),
    path("progress/", views_reports.progress, name="progress"),
    path("history/<str:code>/", views_reports.history, name="history"),
    path("verdicts/<int:pk>/lookback/", views_reports.lookback, name="lookback"),
]
