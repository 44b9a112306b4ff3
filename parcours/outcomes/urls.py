from django.urls import path

from parcours.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("", views.due_checkins, name="due"),
    path("accompagnement/<uuid:public_id>/", views.episode_outcomes, name="episode"),
    path("accompagnement/<uuid:public_id>/emploi/", views.record_outcome, name="record"),
    path("point/<int:checkin_id>/reponse/", views.answer_checkin, name="answer"),
    path("point/<int:checkin_id>/lien/", views.create_link, name="create_link"),
    path("lien/<str:token>/", views.answer_by_link, name="answer_by_link"),
]
