from django.urls import path

from jiceng.appraisal import views

app_name = "appraisal"
urlpatterns = [
    path("", views.index, name="index"),
    path("schemes/load/", views.load, name="load"),
    path("schemes/<int:pk>/", views.scheme, name="scheme"),
    path("schemes/<int:pk>/active/", views.scheme_active, name="scheme_active"),
    path("open/", views.open_appraisal, name="open"),
    path("<int:pk>/", views.ranking, name="ranking"),
    path("<int:pk>/export.xlsx", views.ranking_xlsx, name="ranking_xlsx"),
    path("<int:pk>/export.docx", views.ranking_docx, name="ranking_docx"),
    path("<int:pk>/funds/", views.funds, name="funds"),
    path("<int:pk>/funds.xlsx", views.funds_xlsx, name="funds_xlsx"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/correct/", views.correct, name="correct"),
    path("<int:pk>/unit/<str:code>/", views.sheet, name="sheet"),
    path("<int:pk>/unit/<str:code>/manual/", views.manual, name="manual"),
    path("<int:pk>/unit/<str:code>/appeal/", views.appeal, name="appeal"),
    path("appeals/<int:pk>/answer/", views.answer, name="answer"),
    path("bad-practice/", views.bad_practice, name="bad_practice"),
    path("bad-practice/<int:pk>/files/", views.bad_practice_files, name="bad_practice_files"),
    path("files/<int:pk>/", views.evidence_file, name="evidence"),
]
