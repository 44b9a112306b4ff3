from django.urls import path

from parcours.portal.views import after_hire, booking, conversations, explore, franceconnect, login, pages

app_name = "portal"

urlpatterns = [
    path("", pages.home, name="home"),
    path("connexion/", login.login, name="login"),
    path("connexion/code/", login.enter_code, name="enter_code"),
    path("connexion/mot-de-passe/", login.password_login, name="password_login"),
    path("deconnexion/", login.logout, name="logout"),
    path("securite/", login.security, name="security"),
    path("franceconnect/", franceconnect.start, name="franceconnect_start"),
    path("franceconnect/retour/", franceconnect.callback, name="franceconnect_callback"),
    path("preferences/", pages.preferences, name="preferences"),
    path("plan/", pages.plan, name="plan"),
    path("plan/<int:action_id>/", pages.update_plan_action, name="update_action"),
    path("rendez-vous/", pages.appointments, name="appointments"),
    path("rendez-vous.ics", pages.appointments_feed, name="appointments_feed"),
    path("rendez-vous/<int:appointment_id>.ics", pages.appointment_ics, name="appointment_ics"),
    path("rendez-vous/<int:appointment_id>/annuler/", pages.cancel_appointment, name="cancel_appointment"),
    path("rendez-vous/<int:appointment_id>/autre-creneau/", pages.ask_another_slot, name="ask_another_slot"),
    path("rendez-vous/reserver/", booking.book, name="book"),
    path("lien/<str:token>/", booking.appointment_link, name="appointment_link"),
    path("echanges/", pages.exchanges, name="exchanges"),
    path("orientations/", pages.referrals, name="referrals"),
    path("consentements/", pages.consents, name="consents"),
    path("consultations/", pages.access_log, name="access_log"),
    path("messages/", conversations.threads, name="threads"),
    path("messages/<int:thread_id>/", conversations.thread, name="thread"),
    path("messages/pieces/<int:attachment_id>/", conversations.attachment, name="attachment"),
    path("engagements/", after_hire.obligations, name="obligations"),
    path(
        "engagements/<int:procedure_id>/observations/", after_hire.send_observations, name="send_observations"
    ),
    path("engagements/<int:procedure_id>/recours/", after_hire.appeal, name="appeal"),
    path("suivi-emploi/", after_hire.checkins, name="checkins"),
    path("suivi-emploi/<int:checkin_id>/", after_hire.answer_checkin, name="answer_checkin"),
    path("autodiagnostic/", explore.self_diagnosis, name="self_diagnosis"),
    path("autodiagnostic/commencer/", explore.start_self_diagnosis, name="start_self_diagnosis"),
    path(
        "autodiagnostic/<uuid:diagnosis_id>/<int:index>/",
        explore.self_diagnosis_section,
        name="self_diagnosis_section",
    ),
    path(
        "autodiagnostic/<uuid:diagnosis_id>/envoyer/", explore.self_diagnosis_send, name="self_diagnosis_send"
    ),
    path("metiers/", explore.occupations, name="occupations"),
    path("metiers/<str:rome_code>/", explore.occupation, name="occupation"),
    path("offres/", explore.offers, name="offers"),
    path("offres/<int:offer_id>/interet/", explore.offer_interest, name="offer_interest"),
    path("mes-donnees/", pages.my_data, name="my_data"),
    path("mes-donnees.json", pages.my_data_json, name="my_data_json"),
    path("mes-donnees.pdf", pages.my_data_pdf, name="my_data_pdf"),
]
