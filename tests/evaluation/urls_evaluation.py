"""Private URLconf used only until the lead wires evaluation into config/urls.py and config/api.py
(tests/evaluation/conftest.py switches to it only when `evaluation:` does not resolve): config.urls
plus the evaluation and transparency pages, and an API at /api/v1/ that serves the evaluation
router (the shared API instance cannot take a router once its URLs exist)."""

from django.urls import include, path
from ninja import NinjaAPI

from config import urls as base
from parcours.accounts.api_auth import BrowserSessionAuth, TokenAuth
from parcours.evaluation.api import router as evaluation_router

api = NinjaAPI(auth=[TokenAuth(), BrowserSessionAuth()], urls_namespace="api", docs_url=None)
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
