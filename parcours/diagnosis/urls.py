from django.urls import path

from parcours.diagnosis import views

app_name = "diagnosis"

EPISODE = "episodes/<uuid:public_id>/"
DIAGNOSIS = EPISODE + "diagnostics/<uuid:diagnosis_id>/"

urlpatterns = [
    path(EPISODE, views.episode_overview, name="episode"),
    path(EPISODE + "commencer/", views.start_diagnosis, name="start"),
    path(EPISODE + "lien/", views.create_invitation, name="create_invitation"),
    path(DIAGNOSIS, views.diagnosis_detail, name="detail"),
    path(DIAGNOSIS + "rubriques/<int:index>/", views.fill_section, name="fill_section"),
    path(DIAGNOSIS + "terminer/", views.complete_diagnosis, name="complete"),
    path(DIAGNOSIS + "freins/", views.add_barrier, name="add_barrier"),
    path(DIAGNOSIS + "competences/", views.add_skill, name="add_skill"),
    path(EPISODE + "plan/", views.action_plan, name="action_plan"),
    path(EPISODE + "plan/suggestions/", views.accept_suggestion, name="accept_suggestion"),
    path(EPISODE + "plan/actions/<int:action_id>/", views.edit_action, name="edit_action"),
    path(
        EPISODE + "plan/actions/<int:action_id>/etat/",
        views.change_action_status,
        name="change_action_status",
    ),
    path(EPISODE + "orientation/", views.orientation, name="orientation"),
    # Public: the person, without an account, through the signed one-time link.
    path("auto/<str:token>/", views.self_start, name="self_start"),
    path("auto/<str:token>/envoyer/", views.self_submit, name="self_submit"),
    path("auto/<str:token>/<int:index>/", views.self_section, name="self_section"),
]
