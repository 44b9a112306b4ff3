from django.urls import path

from parcours.obligations import views

app_name = "obligations"

urlpatterns = [
    path("equite/", views.fairness, name="fairness"),
    path("accompagnement/<uuid:public_id>/", views.episode_obligations, name="episode"),
    path("accompagnement/<uuid:public_id>/engagements/", views.agree_obligations, name="agree"),
    path("accompagnement/<uuid:public_id>/manquement/", views.record_breach, name="record_breach"),
    path("procedure/<int:procedure_id>/<slug:verb>/", views.procedure_step, name="step"),
]
