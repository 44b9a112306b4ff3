from django.urls import path

from parcours.intake import views

app_name = "intake"

urlpatterns = [
    path("personnes/nouvelle/", views.create_person, name="create_person"),
    path("accompagnements/ouvrir/<uuid:person_public_id>/", views.open_episode, name="open_episode"),
]
