from django.urls import path

from jiceng.maps import views

app_name = "maps"
urlpatterns = [
    path("", views.map_page, name="map"),
    path("boundaries/", views.boundaries, name="boundaries"),
]
