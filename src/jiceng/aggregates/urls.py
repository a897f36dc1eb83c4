from django.urls import path

from jiceng.aggregates import views

app_name = "aggregates"
urlpatterns = [
    path("", views.index, name="index"),
    path("load/", views.load, name="load"),
    path("import/", views.import_values, name="import"),
    path("sets/<int:pk>/", views.dataset, name="dataset"),
    path("sets/<int:pk>/bounds/", views.set_bound, name="set_bound"),
    path("sets/<int:pk>/bounds/<int:bound>/delete/", views.delete_bound, name="delete_bound"),
    path("form/<int:pk>/<str:unit>/<str:period>/", views.form, name="form"),
    path("form/<int:pk>/<str:unit>/<str:period>/save/", views.save, name="save"),
    path("form/<int:pk>/<str:unit>/<str:period>/complete/", views.complete, name="complete"),
    path("form/<int:pk>/<str:unit>/<str:period>/approve/", views.approve, name="approve"),
    path("form/<int:pk>/<str:unit>/<str:period>/unlock/", views.unlock, name="unlock"),
    path("reporting/<str:code>/", views.reporting, name="reporting"),
    path("validation/<str:code>/", views.validation, name="validation"),
    path("values/<str:code>/", views.values, name="values"),
    path("values/<str:code>/export.xlsx", views.values_export, name="values_export"),
    path("reporting/<str:code>/export.xlsx", views.reporting_export, name="reporting_export"),
]
