from django.urls import path

from parcours.ops import health

app_name = "ops"
urlpatterns = [
    path("", health.health, name="health"),
    path("ready/", health.ready, name="ready"),
]
