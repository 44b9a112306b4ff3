from django.urls import path

from parcours.cases import views

app_name = "cases"

urlpatterns: list = []
