from django.urls import path

from jiceng.core import views

app_name = "core"
urlpatterns = [
    path("favicon.ico", views.favicon, name="favicon"),
    path("audit/", views.audit_trail, name="audit"),
    path("audit/<str:object_type>/<str:object_id>/", views.audit_object, name="audit_object"),
]
