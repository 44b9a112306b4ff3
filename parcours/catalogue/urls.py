from django.urls import path

from parcours.catalogue.views import conventions, public, referrals, services, workshops

app_name = "catalogue"

urlpatterns = [
    path("", public.public_search, name="public_search"),
    path("export.json", public.export_catalogue, name="export"),
    path("nouveau/", services.service_create, name="service_create"),
    path("import/", services.import_page, name="import"),
    path("notifications/", services.notifications, name="notifications"),
    path("pour/<uuid:episode_id>/", services.match, name="match"),
    path("orientations/", referrals.referral_list, name="referral_list"),
    path("orientations/<uuid:public_id>/", referrals.referral_detail, name="referral_detail"),
    path("orientations/<uuid:public_id>/inscription/", referrals.referral_register, name="referral_register"),
    path(
        "orientations/<uuid:public_id>/<str:verb>/", referrals.referral_transition, name="referral_transition"
    ),
    path("ateliers/<uuid:public_id>/", workshops.workshop_detail, name="workshop_detail"),
    path("ateliers/<uuid:public_id>/inscrire/", workshops.workshop_register, name="workshop_register"),
    path(
        "inscriptions/<int:registration_id>/annuler/",
        workshops.registration_cancel,
        name="registration_cancel",
    ),
    path(
        "inscriptions/<int:registration_id>/presence/",
        workshops.registration_attendance,
        name="registration_attendance",
    ),
    path("conventions/", conventions.convention_list, name="convention_list"),
    path("conventions/nouvelle/", conventions.convention_form, name="convention_create"),
    path("conventions/<uuid:public_id>/", conventions.convention_detail, name="convention_detail"),
    path(
        "conventions/<uuid:public_id>/nouvelle-version/",
        conventions.convention_form,
        name="convention_revise",
    ),
    path("couverture/", conventions.coverage, name="coverage"),
    path("<uuid:public_id>/", public.service_detail, name="service_detail"),
    path("<uuid:public_id>/modifier/", services.service_edit, name="service_edit"),
    path("<uuid:public_id>/a-jour/", services.service_confirm, name="service_confirm"),
    path("<uuid:public_id>/seances/nouvelle/", workshops.session_create, name="session_create"),
    path("<uuid:public_id>/orienter/<uuid:episode_id>/", referrals.referral_create, name="referral_create"),
]
