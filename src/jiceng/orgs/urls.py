from django.urls import path

from jiceng.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<str:code>/", views.node_detail, name="node"),
]
