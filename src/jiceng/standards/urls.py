from django.urls import path

from jiceng.standards import views

app_name = "standards"
urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/grading-template.xlsx", views.grading_template, name="grading_template"),
    path("<int:pk>/catalog.xlsx", views.catalog_excel, name="catalog_excel"),
    path("<int:pk>/source/", views.source, name="source"),
    path("<int:pk>/active/", views.set_active, name="set_active"),
]
