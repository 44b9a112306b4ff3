from django.urls import path

from parcours.labour import views

app_name = "labour"

urlpatterns = [
    path("", views.occupation_search, name="occupation_search"),
    path("fiche/<str:rome_code>/", views.occupation_detail, name="occupation_detail"),
    path("projet/<uuid:public_id>/", views.career_project, name="career_project"),
    path("projet/<uuid:public_id>/demarrer/", views.start_project, name="start_project"),
    path("projet/<uuid:public_id>/competences/", views.update_skills, name="update_skills"),
    path("projet/<uuid:public_id>/metiers/", views.add_target, name="add_target"),
    path(
        "projet/<uuid:public_id>/metiers/<int:target_id>/", views.target_occupation, name="target_occupation"
    ),
    path(
        "projet/<uuid:public_id>/metiers/<int:target_id>/decision/", views.decide_target, name="decide_target"
    ),
    path(
        "projet/<uuid:public_id>/metiers/<int:target_id>/retrait/", views.remove_target, name="remove_target"
    ),
    path("projet/<uuid:public_id>/immersions/", views.plan_placement, name="plan_placement"),
    path(
        "projet/<uuid:public_id>/immersions/<int:placement_id>/bilan/",
        views.assess_placement,
        name="assess_placement",
    ),
]
