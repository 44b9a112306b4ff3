"""Staff side of the person's space: inviting a person (from the person page or at intake)."""

from django.urls import path

from parcours.portal.views import staff

app_name = "portal_staff"

urlpatterns = [
    path("personnes/<uuid:person_public_id>/inviter/", staff.invite, name="invite"),
    path("personnes/<uuid:person_public_id>/fermer/", staff.close, name="close"),
]
