from django.urls import path

from jiceng.core import views

app_name = "core"
urlpatterns = [
    path("audit/", views.audit_trail, name="audit"),
]
