"""Pages of a person's record. They keep the "people:" namespace and the /personnes/ prefix; the
views live in cases because they show the person's episodes (people is the lower layer)."""

from django.urls import path

from parcours.cases.views import person as views

app_name = "people"

urlpatterns = [
    path("<uuid:public_id>/", views.person_detail, name="detail"),
    path("<uuid:public_id>/modifier/", views.edit_person, name="edit"),
    path("<uuid:public_id>/consentements/", views.give_consent, name="give_consent"),
    path(
        "<uuid:public_id>/consentements/<int:consent_id>/retrait/",
        views.withdraw_consent,
        name="withdraw_consent",
    ),
]
