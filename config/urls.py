from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from config.api import api

api_urls, api_app, api_namespace = api.urls
# The API authenticates each request itself (token or session) and answers 401 in JSON:
# the login redirect of the HTML middleware must not apply to it.
for pattern in api_urls:
    pattern.callback.login_required = False

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="cases:portfolio"), name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("comptes/", include("parcours.accounts.urls")),
    path("personnes/", include("parcours.people.urls")),
    path("accompagnements/", include("parcours.cases.urls")),
    path("diagnostic/", include("parcours.diagnosis.urls")),
    path("services/", include("parcours.catalogue.urls")),
    path("marche/", include("parcours.market.urls")),
    path("metiers/", include("parcours.labour.urls")),
    path("profilage/", include("parcours.profiling.urls")),
    path("evaluation/", include("parcours.evaluation.urls")),
    path("transparence/", include("parcours.evaluation.transparency_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", (api_urls, api_app, api_namespace)),
]
