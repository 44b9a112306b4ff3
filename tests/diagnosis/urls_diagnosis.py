"""PRIVATE, temporary: config.urls plus the diagnosis pages and API router (see settings_diagnosis)."""

from django.urls import include, path

from config.api import api
from parcours.diagnosis.api import router as diagnosis_router

api.add_router("/", diagnosis_router)

from config.urls import urlpatterns as base_urlpatterns  # noqa: E402

urlpatterns = [*base_urlpatterns, path("diagnostic/", include("parcours.diagnosis.urls"))]
