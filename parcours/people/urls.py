from django.urls import path

from parcours.people import views

app_name = "people"

urlpatterns = [
    path("nouvelle/", views.create_person, name="create"),
    path("<uuid:public_id>/", views.person_detail, name="detail"),
    path("<uuid:public_id>/modifier/", views.edit_person, name="edit"),
    path("<uuid:public_id>/consentements/", views.give_consent, name="give_consent"),
    path(
        "<uuid:public_id>/consentements/<int:consent_id>/retrait/",
        views.withdraw_consent,
        name="withdraw_consent",
    ),
]
