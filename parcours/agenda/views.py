"""The counselor's agenda: day and week views, the weekly hours and absences, the private
iCalendar feed. Each counselor keeps their own agenda (cases.access.require_agenda)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.agenda import actions
from parcours.agenda.calendar import calendar_for
from parcours.agenda.forms import AbsenceForm, AvailabilityRuleForm
from parcours.agenda.models import Absence, AvailabilityRule, CalendarFeed
from parcours.cases import access
from parcours.cases.models import Appointment


def _day(raw: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def agenda(request: HttpRequest) -> HttpResponse:
    """Day or week: the counselor's appointments, absences and free slots."""
    user = request.user
    access.require_agenda(user)
    day = _day(request.GET.get("jour"))
    view = "jour" if request.GET.get("vue") == "jour" else "semaine"
    start = day if view == "jour" else day - datetime.timedelta(days=day.weekday())
    days = 1 if view == "jour" else 7
    window_start = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    window_end = window_start + datetime.timedelta(days=days)
    appointments = list(
        access.appointments(user)
        .filter(with_user=user, scheduled_at__gte=window_start, scheduled_at__lt=window_end)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("episode__person", "site", "booking")
        .order_by("scheduled_at")
    )
    access.log_read([a.episode.person for a in appointments], user=user, route="agenda:agenda")
    confirmed = actions.confirmed_ids(a.pk for a in appointments)
    absences = list(
        Absence.objects.filter(counselor=user, starts_at__lt=window_end, ends_at__gt=window_start)
    )
    free = []
    for organisation_id in user.case_organisation_ids():
        free += actions.free_slots(
            user, organisation_id=organisation_id, start=start, days=days, not_before=timezone.now()
        )
    columns = []
    for offset in range(days):
        current = start + datetime.timedelta(days=offset)
        columns.append(
            {
                "day": current,
                "appointments": [
                    {"appointment": a, "confirmed": a.pk in confirmed, "self_booked": hasattr(a, "booking")}
                    for a in appointments
                    if timezone.localtime(a.scheduled_at).date() == current
                ],
                "free": [s for s in free if timezone.localtime(s.starts_at).date() == current],
                "absences": [
                    a
                    for a in absences
                    if timezone.localtime(a.starts_at).date()
                    <= current
                    <= timezone.localtime(a.ends_at).date()
                ],
            }
        )
    step = datetime.timedelta(days=days)
    return render(
        request,
        "agenda/agenda.html",
        {
            "columns": columns,
            "view": view,
            "day": day,
            "previous": (start - step).isoformat(),
            "next": (start + step).isoformat(),
            "today": timezone.localdate(),
            "has_feed": CalendarFeed.objects.filter(counselor=user).exists(),
        },
    )


def availability(request: HttpRequest) -> HttpResponse:
    """The weekly hours and absences: list, add (two forms on one page)."""
    user = request.user
    access.require_agenda(user)
    rule_form = AvailabilityRuleForm(user=user, prefix="rule")
    absence_form = AbsenceForm(prefix="absence")
    status = 200
    if request.method == "POST":
        if request.POST.get("form") == "rule":
            rule_form = AvailabilityRuleForm(request.POST, user=user, prefix="rule")
            if rule_form.is_valid():
                data = rule_form.cleaned_data
                actions.add_availability_rule(by=user, **data)
                messages.success(request, _("Plage de disponibilité ajoutée."))
                return redirect("agenda:availability")
        else:
            absence_form = AbsenceForm(request.POST, prefix="absence")
            if absence_form.is_valid():
                actions.add_absence(by=user, **absence_form.cleaned_data)
                messages.success(
                    request, _("Absence enregistrée : aucun créneau n'est proposé pendant ce temps.")
                )
                return redirect("agenda:availability")
        status = 400
    rules = AvailabilityRule.objects.filter(counselor=user).select_related("organisation", "site")
    absences = Absence.objects.filter(counselor=user, ends_at__gte=timezone.now())
    return render(
        request,
        "agenda/availability.html",
        {"rules": rules, "absences": absences, "rule_form": rule_form, "absence_form": absence_form},
        status=status,
    )


@require_POST
def delete_rule(request: HttpRequest, rule_id: int) -> HttpResponse:
    access.require_agenda(request.user)
    rule = get_object_or_404(AvailabilityRule, pk=rule_id, counselor=request.user)
    actions.remove_availability_rule(rule, by=request.user)
    messages.success(request, _("Plage supprimée. Les rendez-vous déjà pris restent prévus."))
    return redirect("agenda:availability")


@require_POST
def delete_absence(request: HttpRequest, absence_id: int) -> HttpResponse:
    access.require_agenda(request.user)
    absence = get_object_or_404(Absence, pk=absence_id, counselor=request.user)
    actions.remove_absence(absence, by=request.user)
    messages.success(request, _("Absence supprimée."))
    return redirect("agenda:availability")


@require_POST
def make_feed(request: HttpRequest) -> HttpResponse:
    token = actions.make_calendar_feed(by=request.user)
    url = request.build_absolute_uri(reverse("agenda:feed", kwargs={"token": token}))
    messages.success(
        request,
        _(
            "Nouvelle adresse de votre agenda (elle ne sera plus affichée : copiez-la dans votre "
            "logiciel d'agenda) : %(url)s"
        )
        % {"url": url},
    )
    return redirect("agenda:agenda")


@require_POST
def revoke_feed(request: HttpRequest) -> HttpResponse:
    access.require_agenda(request.user)
    actions.revoke_calendar_feed(by=request.user)
    messages.success(request, _("L'adresse de votre agenda ne fonctionne plus."))
    return redirect("agenda:agenda")


@login_not_required
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed: the token in the address is the credential (revocable)."""
    counselor = actions.feed_owner(token)
    if counselor is None:
        raise Http404
    since = timezone.now() - datetime.timedelta(days=90)
    appointments = (
        Appointment.objects.filter(with_user=counselor, scheduled_at__gte=since)
        .select_related("episode__person", "episode__organisation", "site")
        .order_by("scheduled_at")
    )
    response = HttpResponse(
        calendar_for(appointments, name="Agenda Parcours", for_counselor=True),
        content_type="text/calendar; charset=utf-8",
    )
    response["Cache-Control"] = "private, no-store"
    return response
