"""Self-booking: the person books one of their referent's free slots (or moves an appointment),
in their space or through the one-time link of a reminder, which works without logging in for
that one appointment and three actions only: confirm, cancel, rebook."""

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from parcours.agenda import actions as agenda
from parcours.portal import scope
from parcours.portal.auth import person_required


def _by_day(slots) -> list[dict]:
    return [
        {"day": day, "slots": list(day_slots)}
        for day, day_slots in groupby(slots, key=lambda s: timezone.localtime(s.starts_at).date())
    ]


@require_http_methods(["GET", "POST"])
@person_required
def book(request: HttpRequest) -> HttpResponse:
    """The free slots of each open episode's referent; choosing one books it. With ?remplace=<id>
    (or the field `replace`), the chosen slot replaces that appointment."""
    person = request.person
    replace_id = request.POST.get("replace") or request.GET.get("remplace")
    replacing = None
    if replace_id:
        replacing = scope.get_own(
            scope.own_appointments(person).select_related("episode__organisation", "episode__referent"),
            pk=replace_id if str(replace_id).isdigit() else 0,
        )
    episodes = agenda.bookable_episodes(person)
    if replacing is not None:
        episodes = [e for e in episodes if e.pk == replacing.episode_id]
    if request.method == "POST":
        episode = next((e for e in episodes if str(e.public_id) == request.POST.get("episode")), None)
        starts_at = agenda.parse_slot_key(request.POST.get("slot", ""))
        if episode is None or starts_at is None:
            messages.error(request, _("Choix non valable : rechargez la page et recommencez."))
            return redirect(request.get_full_path())
        try:
            if replacing is not None:
                appointment = agenda.rebook(replacing, starts_at=starts_at)
            else:
                appointment = agenda.book_slot(episode, starts_at=starts_at)
        except ValidationError:
            messages.error(request, _("Ce créneau n'est plus libre. Choisissez-en un autre."))
            return redirect(request.get_full_path())
        messages.success(
            request,
            _("Rendez-vous réservé le %(when)s. Votre conseiller·ère est prévenu·e.")
            % {"when": timezone.localtime(appointment.scheduled_at).strftime("%d/%m/%Y à %H:%M")},
        )
        return redirect("portal:appointments")
    offers = [{"episode": e, "days": _by_day(agenda.bookable_slots(e))} for e in episodes]
    return render(request, "portal/book.html", {"offers": offers, "replacing": replacing})


LINK_ACTIONS = {"confirm", "cancel", "rebook"}


@login_not_required
@require_http_methods(["GET", "POST"])
def appointment_link(request: HttpRequest, token: str) -> HttpResponse:
    """The reminder's one-time link. Spent by the first action; expired when the appointment
    starts. A dead link leads to the login page of the person's space."""
    link = agenda.link_for(token)
    if link is None or not link.is_usable():
        return render(request, "portal/link_expired.html", status=410 if link else 404)
    appointment = link.appointment
    if request.method == "POST":
        action = request.POST.get("action", "")
        starts_at = agenda.parse_slot_key(request.POST.get("slot", "")) if action == "rebook" else None
        if action not in LINK_ACTIONS or (action == "rebook" and starts_at is None):
            messages.error(request, _("Choix non valable : rechargez la page et recommencez."))
            return redirect(request.path)
        try:
            result = agenda.use_link(link, action=action, starts_at=starts_at)
        except ValidationError:
            messages.error(
                request,
                _(
                    "Ce n'est plus possible en ligne (créneau pris, ou rendez-vous trop proche). Appelez votre conseiller·ère."
                ),
            )
            return redirect(request.path)
        return render(request, "portal/link_done.html", {"action": action, "appointment": result})
    can_change = agenda.can_cancel(appointment)
    days = _by_day(agenda.bookable_slots(appointment.episode)) if can_change else []
    return render(
        request,
        "portal/link.html",
        {"appointment": appointment, "can_change": can_change, "days": days},
    )
