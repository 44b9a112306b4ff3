"""Private URLconf: config.urls plus the market pages and API router (see settings_market)."""

from django.urls import include, path

from config.api import api
from parcours.market.api import router as market_router

api.add_router("/", market_router)
api_urls, api_app, api_namespace = api.urls
for pattern in api_urls:
    pattern.callback.login_required = False

from config import urls as base  # noqa: E402

urlpatterns = [
    *[p for p in base.urlpatterns if str(p.pattern) != "api/v1/"],
    path("marche/", include("parcours.market.urls")),
    path("api/v1/", (api_urls, api_app, api_namespace)),
]
