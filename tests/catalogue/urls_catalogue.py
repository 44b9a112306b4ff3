"""Private URLconf: config.urls plus the catalogue pages and API router (see settings_catalogue)."""

from django.urls import include, path

from config.api import api
from parcours.catalogue.api import router as catalogue_router

api.add_router("/", catalogue_router)
api_urls, api_app, api_namespace = api.urls
for pattern in api_urls:
    pattern.callback.login_required = False

from config import urls as base  # noqa: E402

urlpatterns = [
    *[p for p in base.urlpatterns if str(p.pattern) != "api/v1/"],
    path("services/", include("parcours.catalogue.urls")),
    path("api/v1/", (api_urls, api_app, api_namespace)),
]
