"""Private URLconf: config.urls plus the labour pages and API router (see settings_labour)."""

from django.urls import include, path

from config.api import api
from parcours.labour.api import router as labour_router

if all(registration[1] is not labour_router for registration in api._router_registrations):
    api.add_router("/", labour_router)
api_urls, api_app, api_namespace = api.urls
for pattern in api_urls:
    pattern.callback.login_required = False

from config import urls as base  # noqa: E402

urlpatterns = [
    *[p for p in base.urlpatterns if str(p.pattern) != "api/v1/"],
    *(
        []
        if any(str(p.pattern) == "metiers/" for p in base.urlpatterns)
        else [path("metiers/", include("parcours.labour.urls"))]
    ),
    path("api/v1/", (api_urls, api_app, api_namespace)),
]
