"""The person's pages under /moi/: their own file only (parcours.portal.scope)."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.agenda import actions as agenda
from parcours.agenda.calendar import calendar_for
from parcours.cases.models import Intensity
from parcours.messaging import actions as messaging
from parcours.messaging.models import DeliveryChannel
from parcours.people.models import Consent
from parcours.portal import actions as portal_actions
from parcours.portal import scope
from parcours.portal.auth import person_required
from parcours.portal.export import access_entries, person_data, person_data_pdf


@person_required
def home(request: HttpRequest) -> HttpResponse:
    """My referent(s) and how to reach them, what comes next."""
    person = request.person
    episodes = list(
        scope.own_episodes(person)
        .open()
        .select_related("organisation", "referent", "site__commune")
        .order_by("-started_on")
    )
    upcoming = list(
        scope.own_appointments(person)
        .upcoming()
        .select_related("site", "with_user")
        .order_by("scheduled_at")[:3]
    )
    open_actions = scope.own_actions(person).open().count()
    return render(
        request,
        "portal/home.html",
        {
            "person": person,
            "episodes": episodes,
            "upcoming": upcoming,
            "open_actions": open_actions,
            # 100 % online support: the pages the person uses on their own (docs/portal.md).
            "online": any(e.intensity == Intensity.ONLINE for e in episodes),
        },
    )


@person_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Which channels the person accepts messages on (opt-out honoured by the delivery layer)."""
    person = request.person
    if request.method == "POST":
        for channel in DeliveryChannel.values:
            if request.POST.get(channel) == "on":
                messaging.opt_in(person, channel=channel)
            else:
                messaging.opt_out(person, channel=channel)
        messages.success(request, _("Vos préférences sont enregistrées."))
        return redirect("portal:preferences")
    refused = messaging.opted_out_channels(person)
    channels = [
        {"value": value, "label": label, "accepted": value not in refused}
        for value, label in DeliveryChannel.choices
    ]
    return render(request, "portal/preferences.html", {"person": person, "channels": channels})


# --- My plan ----------------------------------------------------------------------------------


@person_required
def plan(request: HttpRequest) -> HttpResponse:
    actions_list = list(
        scope.own_actions(request.person)
        .filter(plan__episode__ended_on__isnull=True)
        .select_related("plan__episode__organisation")
    )
    return render(request, "portal/plan.html", {"actions": actions_list, "today": timezone.localdate()})


@require_POST
@person_required
def update_plan_action(request: HttpRequest, action_id: int) -> HttpResponse:
    action = scope.get_own(scope.own_actions(request.person), pk=action_id)
    done = {"done": True, "todo": False}.get(request.POST.get("status", ""))
    note = request.POST.get("note")
    try:
        portal_actions.update_own_action(action, person=request.person, done=done, note=note)
    except ValidationError:
        messages.error(request, _("Ce plan ne peut plus être modifié : l'accompagnement est terminé."))
    else:
        messages.success(request, _("C'est enregistré. Votre conseiller·ère est prévenu·e."))
    return redirect(reverse("portal:plan") + f"#action-{action.pk}")


# --- My appointments --------------------------------------------------------------------------


@person_required
def appointments(request: HttpRequest) -> HttpResponse:
    mine = scope.own_appointments(request.person).select_related("site", "with_user", "episode__organisation")
    now = timezone.now()
    upcoming = list(mine.filter(scheduled_at__gte=now).order_by("scheduled_at"))
    for appointment in upcoming:
        appointment.can_cancel = portal_actions.can_cancel(appointment, now)
        appointment.notice_hours = agenda.cancel_notice_hours(appointment.episode.organisation_id)
    past = list(mine.filter(scheduled_at__lt=now).order_by("-scheduled_at")[:20])
    return render(
        request,
        "portal/appointments.html",
        {"upcoming": upcoming, "past": past},
    )


@require_POST
@person_required
def cancel_appointment(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = scope.get_own(scope.own_appointments(request.person), pk=appointment_id)
    try:
        portal_actions.cancel_own_appointment(appointment, person=request.person)
    except ValidationError:
        messages.error(
            request,
            _("Ce rendez-vous ne peut plus être annulé en ligne. Appelez votre conseiller·ère."),
        )
    else:
        messages.success(request, _("Rendez-vous annulé. Votre conseiller·ère est prévenu·e."))
    return redirect("portal:appointments")


@require_POST
@person_required
def ask_another_slot(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = scope.get_own(scope.own_appointments(request.person), pk=appointment_id)
    try:
        portal_actions.ask_for_another_slot(appointment, person=request.person)
    except ValidationError:
        messages.error(request, _("Ce rendez-vous n'est plus prévu."))
    else:
        messages.success(
            request, _("Demande envoyée : votre conseiller·ère vous proposera un autre créneau.")
        )
    return redirect("portal:appointments")


def _ics(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@person_required
def appointment_ics(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = scope.get_own(
        scope.own_appointments(request.person).select_related("site", "episode__organisation"),
        pk=appointment_id,
    )
    return _ics(calendar_for([appointment]), f"rendez-vous-{appointment.pk}.ics")


@person_required
def appointments_feed(request: HttpRequest) -> HttpResponse:
    mine = (
        scope.own_appointments(request.person)
        .filter(scheduled_at__gte=timezone.now() - datetime.timedelta(days=90))
        .select_related("site", "episode__organisation")
        .order_by("scheduled_at")
    )
    return _ics(calendar_for(mine), "rendez-vous.ics")


# --- My episodes and exchanges, with every organisation -----------------------------------------


@person_required
def exchanges(request: HttpRequest) -> HttpResponse:
    """Every episode of the person (open or closed, with every organisation) and every contact
    recorded with them, newest first (access.own_episodes, access.own_contacts)."""
    person = request.person
    episodes = list(
        scope.own_episodes(person)
        .select_related("organisation", "referent")
        .order_by(F("ended_on").desc(nulls_first=True), "-started_on")
    )
    contacts = (
        scope.own_contacts(person)
        .select_related("episode__organisation", "author")
        .order_by("-occurred_at", "-pk")
    )
    page = Paginator(contacts, settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/exchanges.html", {"episodes": episodes, "page": page})


# --- My referrals -----------------------------------------------------------------------------


@person_required
def referrals(request: HttpRequest) -> HttpResponse:
    mine = scope.own_referrals(request.person).select_related("service", "receiving_organisation")
    return render(request, "portal/referrals.html", {"referrals": mine})


# --- My consents ------------------------------------------------------------------------------


@person_required
def consents(request: HttpRequest) -> HttpResponse:
    person = request.person
    organisations = list(portal_actions.consent_organisations(person))
    if request.method == "POST":
        organisation = next(
            (o for o in organisations if str(o.public_id) == request.POST.get("organisation")), None
        )
        scope_value = request.POST.get("scope", "")
        give = request.POST.get("decision") == "give"
        if organisation is None or scope_value not in Consent.Scope.values:
            messages.error(request, _("Choix non valable : rechargez la page et recommencez."))
            return redirect("portal:consents")
        portal_actions.change_own_consent(person, organisation=organisation, scope=scope_value, give=give)
        messages.success(
            request,
            _("Consentement donné. L'organisation est prévenue.")
            if give
            else _("Consentement retiré, dès maintenant. L'organisation est prévenue."),
        )
        return redirect("portal:consents")
    active = {
        (c.organisation_id, c.scope)
        for c in scope.own_consents(person).active().only("organisation_id", "scope")
    }
    rows = [
        {
            "organisation": organisation,
            "scopes": [
                {"value": value, "label": label, "given": (organisation.pk, value) in active}
                for value, label in Consent.Scope.choices
            ],
        }
        for organisation in organisations
    ]
    return render(request, "portal/consents.html", {"rows": rows})


# --- Who read my file, my data ----------------------------------------------------------------


@person_required
def access_log(request: HttpRequest) -> HttpResponse:
    entries = access_entries(request.person, limit=200)
    return render(request, "portal/access_log.html", {"entries": entries})


@person_required
def my_data(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/my_data.html")


@person_required
def my_data_json(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(
        person_data(request.person), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = 'attachment; filename="mes-donnees-parcours.json"'
    return response


@person_required
def my_data_pdf(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(person_data_pdf(request.person), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="mes-donnees-parcours.pdf"'
    return response
