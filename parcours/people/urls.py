from django.urls import path

from parcours.people import views

app_name = "people"

urlpatterns: list = []
