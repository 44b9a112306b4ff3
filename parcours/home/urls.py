from django.urls import path

from parcours.home import views

app_name = "home"

urlpatterns = [
    path("coordination/", views.coordination, name="coordination"),
    path("analyse/", views.analysis, name="analysis"),
    path("administration/", views.administration, name="administration"),
]
