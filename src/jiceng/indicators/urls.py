from django.urls import path

from jiceng.indicators import views, views_recordsets

app_name = "indicators"
urlpatterns = [
    path("", views.index, name="index"),
    path("node/<str:code>/", views.node_page, name="node"),
    path("table/<str:code>/", views.table_page, name="table"),
    path("table/<str:code>/export.xlsx", views.table_export, name="table_export"),
    path("targets/", views.targets_page, name="targets"),
    path("targets/<int:pk>/delete/", views.target_delete, name="target_delete"),
    path("recordsets/", views_recordsets.recordsets_page, name="recordsets"),
    path("recordsets/template.zip", views_recordsets.recordset_template, name="recordset_template"),
    path("recordsets/<int:pk>/", views_recordsets.recordset_page, name="recordset"),
    path("recordsets/<int:pk>/status/", views_recordsets.recordset_status, name="recordset_status"),
    path(
        "recordsets/<int:pk>/compute/", views_recordsets.recordset_compute, name="recordset_compute"
    ),
    path("recordsets/<int:pk>/delete/", views_recordsets.recordset_delete, name="recordset_delete"),
    path("recordsets/<int:pk>/retry/", views_recordsets.recordset_retry, name="recordset_retry"),
    path(
        "recordsets/<int:pk>/rejects.csv",
        views_recordsets.recordset_rejects,
        name="recordset_rejects",
    ),
]
