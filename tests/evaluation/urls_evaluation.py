"""Private URLconf: config.urls plus the evaluation pages, transparency pages and API router."""

from django.urls import include, path

from config import urls as base
from config.api import api
from parcours.evaluation.api import router as evaluation_router

if not any(r is evaluation_router for _, r in api._routers):
    api.add_router("/", evaluation_router)
api_urls, api_app, api_namespace = api.urls
for pattern in api_urls:
    pattern.callback.login_required = False

urlpatterns = [
    *[p for p in base.urlpatterns if str(p.pattern) != "api/v1/"],
    path("evaluation/", include("parcours.evaluation.urls")),
    path("transparence/", include("parcours.evaluation.transparency_urls")),
    path("api/v1/", (api_urls, api_app, api_namespace)),
]
