from django.urls import path

from parcours.profiling import views

app_name = "profiling"

urlpatterns = [
    path("episodes/<uuid:public_id>/", views.episode_score, name="episode_score"),
    path("suivi/", views.monitoring, name="monitoring"),
    # Public: the model card holds no personal data; the person concerned may read it.
    path("modeles/<str:version>/", views.model_card_public, name="model_card_public"),
    path("modeles/<str:version>/fiche-complete/", views.model_card_full, name="model_card_full"),
    path("modeles/<str:version>/activer/", views.activate, name="activate"),
]
