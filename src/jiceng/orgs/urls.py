from django.urls import path

from jiceng.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("import/", views.import_tree, name="import"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("export.xlsx", views.export_tree, name="export"),
    path("template.xlsx", views.template, name="template"),
    path("<str:code>/", views.node_detail, name="node"),
    path("<str:code>/children/", views.children, name="children"),
    path("<str:code>/edit/", views.node_edit, name="edit"),
    path("<str:code>/new/", views.node_new, name="new"),
    path("<str:code>/years/", views.node_year, name="year"),
]
