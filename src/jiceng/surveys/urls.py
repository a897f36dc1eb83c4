from django.urls import path

from jiceng.surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.index, name="index"),
    path("load/", views.load, name="load"),
    path("import/", views.import_responses, name="import"),
    path("q/<int:pk>/", views.questionnaire, name="questionnaire"),
    path("q/<int:pk>/template.xlsx", views.template, name="template"),
    path("q/<int:pk>/enter/", views.enter, name="enter"),
    path("rates/<str:code>/", views.rates, name="rates"),
    path("rates/<str:code>/export.xlsx", views.rates_export, name="rates_export"),
    path("comments/<str:code>/", views.comments, name="comments"),
]
