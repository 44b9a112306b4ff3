# Private test URLs (removed once the lead wires them): config.urls + profiling page and API.
from django.urls import include, path

from config.api import api
from config.urls import urlpatterns as base
from parcours.profiling.api import router as profiling_router

api.add_router("/", profiling_router)
api_urls, api_app, api_namespace = api.urls
for pattern in api_urls:
    pattern.callback.login_required = False

urlpatterns = [p for p in base if str(p.pattern) != "api/v1/"] + [
    path("profilage/", include("parcours.profiling.urls")),
    path("api/v1/", (api_urls, api_app, api_namespace)),
]
