from django.urls import path

from parcours.market import views

app_name = "market"

urlpatterns = [
    path("offres/", views.offer_search, name="offer_search"),
    path("offres/<int:pk>/", views.offer_detail, name="offer_detail"),
    path("accompagnements/<uuid:public_id>/offres/", views.episode_matches, name="episode_matches"),
    path("entreprises/", views.hiring_list, name="hiring_list"),
    path("tension/", views.tension_list, name="tension_list"),
]
