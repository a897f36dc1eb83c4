from django.urls import path

from jiceng.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("visualizer/", views.visualizer, name="visualizer"),
    path("visualizer/export.csv", views.export_csv, name="export_csv"),
    path("visualizer/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("views/", views.views_list, name="views"),
    path("views/save/", views.view_save, name="view_save"),
    path("views/<int:pk>/", views.view_open, name="view"),
    path("views/<int:pk>/share/", views.view_share, name="view_share"),
    path("views/<int:pk>/delete/", views.view_delete, name="view_delete"),
    path("pins/add/", views.pin_add, name="pin_add"),
    path("pins/<int:pk>/delete/", views.pin_delete, name="pin_delete"),
    path("publish/", views.publish, name="publish"),
]
