"""Collective workshops: sessions of a service, registrations, waiting list, attendance.

The provider sees the name of a registered person only if it may see the person anyway, or if
the person consented to share their identity through a referral; otherwise a number."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.cases import access
from parcours.catalogue import actions
from parcours.catalogue.forms import RegisterForm, WorkshopSessionForm
from parcours.catalogue.models import SharedField, WorkshopRegistration, WorkshopSession
from parcours.catalogue.views.services import get_managed_service
from parcours.people.models import Consent, Person


def portfolio_people(user):
    """People the counselor may register directly: those of their open referent episodes."""
    return (
        Person.objects.filter(episodes__referent=user, episodes__ended_on__isnull=True)
        .distinct()
        .order_by("last_name", "first_name")[:500]
    )


def session_create(request: HttpRequest, public_id) -> HttpResponse:
    service = get_managed_service(request, public_id)
    form = WorkshopSessionForm(request.POST or None, service=service)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = actions.schedule_workshop_session(
                service,
                by=request.user,
                starts_at=data["starts_at"],
                capacity=data["capacity"],
                site=data["site"],
                title=data["title"],
                duration_minutes=data["duration_minutes"],
            )
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
        else:
            messages.success(request, _("Séance programmée."))
            return redirect("catalogue:workshop_detail", public_id=session.public_id)
    return render(
        request,
        "catalogue/session_form.html",
        {"form": form, "service": service},
        status=400 if request.method == "POST" else 200,
    )


def _labelled_registrations(user, session: WorkshopSession, is_provider: bool) -> list[tuple]:
    registrations = list(
        session.registrations.select_related("person", "referral").order_by("registered_at", "pk")
    )
    person_ids = [r.person_id for r in registrations]
    visible = set(access.people(user).filter(pk__in=person_ids).values_list("pk", flat=True))
    consented = set(
        Consent.objects.active()
        .filter(
            person_id__in=person_ids,
            organisation_id=session.service.organisation_id,
            scope=Consent.Scope.REFERRAL,
        )
        .values_list("person_id", flat=True)
    )
    rows = []
    for number, registration in enumerate(registrations, start=1):
        shared = (
            registration.referral_id is not None
            and SharedField.IDENTITY in registration.referral.shared_fields
            and registration.person_id in consented
        )
        if registration.person_id in visible or (is_provider and shared):
            label = registration.person.full_name
        elif is_provider:
            label = _("Participant·e n° %(n)s (identité non partagée)") % {"n": number}
        else:
            continue  # someone else's participant: not shown at all
        rows.append((registration, label))
    return rows


def workshop_detail(request: HttpRequest, public_id) -> HttpResponse:
    session = get_object_or_404(
        WorkshopSession.objects.select_related("service__organisation", "site"), public_id=public_id
    )
    is_provider = session.service.organisation_id in request.user.case_organisation_ids()
    taken = session.registrations.filter(status__in=WorkshopRegistration.HOLDS_PLACE).count()
    waiting = session.registrations.filter(status=WorkshopRegistration.Status.WAITING_LIST).count()
    rows = _labelled_registrations(request.user, session, is_provider)
    named = [r.person for r, label in rows if label == r.person.full_name]
    access.log_read(named, user=request.user, route="catalogue:workshop_detail")
    return render(
        request,
        "catalogue/workshop_detail.html",
        {
            "session": session,
            "is_provider": is_provider,
            "rows": rows,
            "taken": taken,
            "waiting": waiting,
            "register_form": RegisterForm(people=portfolio_people(request.user)),
        },
    )


@require_POST
def workshop_register(request: HttpRequest, public_id) -> HttpResponse:
    session = get_object_or_404(WorkshopSession, public_id=public_id)
    form = RegisterForm(request.POST, people=portfolio_people(request.user))
    if not form.is_valid():
        messages.error(request, _("Choisissez une personne de votre portefeuille."))
        return redirect("catalogue:workshop_detail", public_id=session.public_id)
    try:
        registration = actions.register_for_workshop(
            session, by=request.user, person=form.cleaned_data["person"]
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", [])) or _("Inscription impossible."))
    else:
        messages.success(
            request,
            _("Inscription enregistrée.")
            if registration.status == WorkshopRegistration.Status.REGISTERED
            else _("Séance complète : la personne est sur liste d'attente."),
        )
    return redirect("catalogue:workshop_detail", public_id=session.public_id)


def _registration(request, registration_id: int) -> WorkshopRegistration:
    registration = get_object_or_404(
        WorkshopRegistration.objects.select_related("session__service"), pk=registration_id
    )
    user = request.user
    if not (
        registration.session.service.organisation_id in user.case_organisation_ids()
        or access.people(user).filter(pk=registration.person_id).exists()
    ):
        raise Http404
    return registration


@require_POST
def registration_cancel(request: HttpRequest, registration_id: int) -> HttpResponse:
    registration = _registration(request, registration_id)
    try:
        actions.cancel_workshop_registration(registration, by=request.user)
    except ValidationError as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", [])) or _("Annulation impossible."))
    else:
        messages.success(request, _("Inscription annulée ; la liste d'attente a été mise à jour."))
    return redirect("catalogue:workshop_detail", public_id=registration.session.public_id)


@require_POST
def registration_attendance(request: HttpRequest, registration_id: int) -> HttpResponse:
    registration = _registration(request, registration_id)
    try:
        actions.record_workshop_attendance(
            registration, by=request.user, attended=request.POST.get("present") == "1"
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", [])) or _("Présence non enregistrée."))
    else:
        messages.success(request, _("Présence enregistrée."))
    return redirect("catalogue:workshop_detail", public_id=registration.session.public_id)
