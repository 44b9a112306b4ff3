from django.urls import path

from parcours.cases.views import episode, portfolio, team

app_name = "cases"

urlpatterns = [
    path("", portfolio.portfolio, name="portfolio"),
    path("alertes/", portfolio.alerts, name="alerts"),
    path("equipe/", team.team, name="team"),
    path("<uuid:public_id>/etape/", episode.change_stage, name="change_stage"),
    path("<uuid:public_id>/intensite/", episode.change_intensity, name="change_intensity"),
    path("<uuid:public_id>/referent/", episode.hand_over, name="hand_over"),
    path("<uuid:public_id>/cloture/", episode.close_episode, name="close_episode"),
    path("<uuid:public_id>/suivi/", episode.add_follow_up_member, name="add_follow_up_member"),
    path(
        "<uuid:public_id>/suivi/<int:member_id>/fin/",
        episode.end_follow_up_member,
        name="end_follow_up_member",
    ),
    path("<uuid:public_id>/contacts/", episode.record_contact, name="record_contact"),
    path("<uuid:public_id>/rendez-vous/", episode.plan_appointment, name="plan_appointment"),
    path(
        "<uuid:public_id>/rendez-vous/<int:appointment_id>/",
        episode.update_appointment,
        name="update_appointment",
    ),
]
