from django.urls import path

from parcours.evaluation.views import experiments, indicators, registry, surveys

app_name = "evaluation"

urlpatterns = [
    path("enquete/<str:token>/", surveys.answer_survey, name="answer_survey"),
    path("mes-retours/", surveys.my_feedback, name="my_feedback"),
    path("retours-equipe/", surveys.team_feedback, name="team_feedback"),
    path("indicateurs/", indicators.indicator_list, name="indicator_list"),
    path("indicateurs/registre/", registry.registry, name="registry"),
    path("indicateurs/registre/proposer/", registry.propose, name="registry_propose"),
    path("indicateurs/registre/<int:version_id>/activer/", registry.activate, name="registry_activate"),
    path("indicateurs/<slug:code>/", indicators.indicator_detail, name="indicator_detail"),
    path("experimentations/", experiments.experiment_list, name="experiment_list"),
    path("experimentations/nouvelle/", experiments.experiment_create, name="experiment_create"),
    path("experimentations/puissance/", experiments.power_calculator, name="power"),
    path("experimentations/<uuid:public_id>/", experiments.experiment_detail, name="experiment_detail"),
    path(
        "experimentations/<uuid:public_id>/statut/",
        experiments.experiment_change_status,
        name="experiment_status",
    ),
    path(
        "experimentations/<uuid:public_id>/analyser/",
        experiments.experiment_analyse,
        name="experiment_analyse",
    ),
]
