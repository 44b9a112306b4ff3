from django.urls import path

from parcours.agenda import views

app_name = "agenda"

urlpatterns = [
    path("", views.agenda, name="agenda"),
    path("disponibilites/", views.availability, name="availability"),
    path("disponibilites/<int:rule_id>/supprimer/", views.delete_rule, name="delete_rule"),
    path("absences/<int:absence_id>/supprimer/", views.delete_absence, name="delete_absence"),
    path("flux/", views.make_feed, name="make_feed"),
    path("flux/revoquer/", views.revoke_feed, name="revoke_feed"),
    path("flux/<str:token>.ics", views.feed, name="feed"),
]
