from django.contrib import admin
from django.urls import include, path

from config.api import api
from parcours.home import views as home_views

api_urls, api_app, api_namespace = api.urls
# The API authenticates each request itself (token or session) and answers 401 in JSON:
# the login redirect of the HTML middleware must not apply to it.
for pattern in api_urls:
    pattern.callback.login_required = False

urlpatterns = [
    path("", home_views.home, name="home"),
    path("accueil/", include("parcours.home.urls")),
    path("health/", include("parcours.ops.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("comptes/", include("parcours.accounts.urls")),
    path("", include("parcours.intake.urls")),
    path("personnes/", include("parcours.cases.person_urls")),
    path("accompagnements/", include("parcours.cases.urls")),
    path("diagnostic/", include("parcours.diagnosis.urls")),
    path("services/", include("parcours.catalogue.urls")),
    path("marche/", include("parcours.market.urls")),
    path("metiers/", include("parcours.labour.urls")),
    path("profilage/", include("parcours.profiling.urls")),
    path("evaluation/", include("parcours.evaluation.urls")),
    path("transparence/", include("parcours.evaluation.transparency_urls")),
    path("moi/", include("parcours.portal.urls")),
    path("apres-embauche/", include("parcours.outcomes.urls")),
    path("engagements/", include("parcours.obligations.urls")),
    path("espace-personne/", include("parcours.portal.staff_urls")),
    path("messages/", include("parcours.conversations.urls")),
    path("agenda/", include("parcours.agenda.urls")),
    path("donnees-personnelles/", include("parcours.privacy.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", (api_urls, api_app, api_namespace)),
]
