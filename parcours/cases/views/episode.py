"""Changes to an episode, posted from the person page, and the opening of an episode.

Each view parses the form, checks rights, calls the one action of cases.actions and redirects to
the person page. When the change fails, the person page is rendered again with the bound form, its
errors and everything typed (400 bad input, 403 not allowed, 409 changed meanwhile)."""

import datetime
import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from parcours.cases import access, actions
from parcours.cases.forms import (
    AddFollowUpMemberForm,
    ChangeIntensityForm,
    ChangeStageForm,
    CloseEpisodeForm,
    HandOverForm,
    PlanAppointmentForm,
    RecordContactForm,
    UpdateAppointmentForm,
)
from parcours.cases.locking import ConcurrentEditError
from parcours.cases.models import (
    Appointment,
    FollowUpMember,
    InvalidTransition,
    SupportEpisode,
)
from parcours.cases.views.person import render_person_page
from parcours.people.models import Consent

logger = logging.getLogger(__name__)

CONFLICT_MESSAGE = gettext_lazy(
    "Cet accompagnement a été modifié par quelqu'un d'autre pendant votre saisie : rien n'a été enregistré. "
    "Vérifiez son état actuel ci-dessous, puis validez à nouveau si besoin."
)


def _auto_id(episode: SupportEpisode, name: str) -> str:
    # Same ids as the forms of the person page (parcours.cases.views.person._episode_forms).
    return f"ep{episode.pk}-{name.replace('_', '')}-%s"


def _back(episode: SupportEpisode) -> HttpResponse:
    url = reverse("people:detail", kwargs={"public_id": episode.person.public_id})
    return redirect(f"{url}#episode-{episode.public_id}")


def _failed(request, episode, name: str, form, message: str, status: int) -> HttpResponse:
    if message:
        form.add_error(None, message)
    messages.error(request, message or _("Le formulaire contient des erreurs : rien n'a été enregistré."))
    return render_person_page(request, episode.person, bound={(episode.pk, name): form}, status=status)


def _conflict(request, episode, name: str, form_class, **kwargs) -> HttpResponse:
    """Keep what was typed, show the current state, and carry the current version so that a second
    submit, made knowingly, goes through."""
    fresh = SupportEpisode.objects.select_related("person", "organisation").get(pk=episode.pk)
    data = request.POST.copy()
    data["version"] = str(fresh.version)
    form = form_class(data, episode=fresh, auto_id=_auto_id(fresh, name), **kwargs)
    form.is_valid()
    return _failed(request, fresh, name, form, str(CONFLICT_MESSAGE), 409)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


@require_POST
def change_stage(request: HttpRequest, public_id) -> HttpResponse:
    episode = access.episode_for(request.user, public_id, manage=True)
    form = ChangeStageForm(request.POST, episode=episode, auto_id=_auto_id(episode, "stage"))
    if not form.is_valid():
        return _failed(request, episode, "stage", form, "", 400)
    try:
        actions.change_stage(
            episode,
            by=request.user,
            stage=form.cleaned_data["stage"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except ConcurrentEditError:
        return _conflict(request, episode, "stage", ChangeStageForm)
    except InvalidTransition:
        return _failed(
            request,
            episode,
            "stage",
            form,
            _("Ce changement d'étape n'est pas possible depuis l'étape actuelle."),
            400,
        )
    except ValidationError as exc:
        return _failed(request, episode, "stage", form, _error_text(exc), 400)
    messages.success(request, _("Étape mise à jour."))
    return _back(episode)


@require_POST
def change_intensity(request: HttpRequest, public_id) -> HttpResponse:
    episode = access.episode_for(request.user, public_id, manage=True)
    form = ChangeIntensityForm(request.POST, episode=episode, auto_id=_auto_id(episode, "intensity"))
    if not form.is_valid():
        return _failed(request, episode, "intensity", form, "", 400)
    data = form.cleaned_data
    try:
        actions.change_intensity(
            episode,
            by=request.user,
            intensity=data["intensity"],
            reason=data["reason"],
            approach=data["approach"] or None,
            contact_target_days=data["contact_target_days"],
            expected_version=data["version"],
        )
    except ConcurrentEditError:
        return _conflict(request, episode, "intensity", ChangeIntensityForm)
    except ValidationError as exc:
        return _failed(request, episode, "intensity", form, _error_text(exc), 400)
    messages.success(
        request, _("Intensité mise à jour ; la date du prochain contact attendu a été recalculée.")
    )
    return _back(episode)


@require_POST
def hand_over(request: HttpRequest, public_id) -> HttpResponse:
    episode = access.episode_for(request.user, public_id, manage=True)
    form = HandOverForm(request.POST, episode=episode, auto_id=_auto_id(episode, "hand_over"))
    if not form.is_valid():
        return _failed(request, episode, "hand_over", form, "", 400)
    try:
        actions.hand_over_episode(
            episode,
            by=request.user,
            to_referent=form.cleaned_data["to_referent"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except ConcurrentEditError:
        return _conflict(request, episode, "hand_over", HandOverForm)
    except ValidationError as exc:
        return _failed(request, episode, "hand_over", form, _error_text(exc), 400)
    messages.success(request, _("Référent·e changé·e."))
    return _back(episode)


@require_POST
def close_episode(request: HttpRequest, public_id) -> HttpResponse:
    episode = access.episode_for(request.user, public_id, manage=True)
    form = CloseEpisodeForm(request.POST, episode=episode, auto_id=_auto_id(episode, "close"))
    if not form.is_valid():
        return _failed(request, episode, "close", form, "", 400)
    try:
        actions.close_episode(
            episode,
            by=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except ConcurrentEditError:
        return _conflict(request, episode, "close", CloseEpisodeForm)
    except (InvalidTransition, ValidationError) as exc:
        return _failed(request, episode, "close", form, _error_text(exc), 400)
    messages.success(request, _("Accompagnement clos."))
    # Once closed, the person may no longer be visible to the user: go back to the portfolio.
    return redirect("cases:portfolio")


@require_POST
def add_follow_up_member(request: HttpRequest, public_id) -> HttpResponse:
    episode = access.episode_for(request.user, public_id, manage=True)
    form = AddFollowUpMemberForm(request.POST, auto_id=_auto_id(episode, "follow"))
    if (
        form.is_valid()
        and FollowUpMember.objects.filter(
            episode=episode, user=form.professional, ended_at__isnull=True
        ).exists()
    ):
        form.add_error("identifier", _("Ce ou cette professionnel·le suit déjà cette personne."))
    if not form.is_valid():
        return _failed(request, episode, "follow_up", form, "", 400)
    organisation = form.cleaned_data["organisation_obj"]
    try:
        actions.add_follow_up_member(
            episode,
            by=request.user,
            user=form.professional,
            organisation=organisation,
            role=form.cleaned_data["role"],
            access_level=form.cleaned_data["access_level"],
        )
    except PermissionDenied:
        message = _(
            "Seul·e le ou la référent·e ou un·e responsable de la structure peut ouvrir les rubriques "
            "sensibles à un membre du suivi, et personne ne s'ajoute soi-même."
        )
        return _failed(request, episode, "follow_up", form, message, 403)
    except ValidationError as exc:
        return _failed(request, episode, "follow_up", form, _error_text(exc), 400)
    has_consent = (
        Consent.objects.active()
        .filter(person=episode.person, organisation=organisation, scope=Consent.Scope.CASE_FILE)
        .exists()
    )
    if has_consent:
        messages.success(request, _("Membre du suivi ajouté."))
    else:
        messages.warning(
            request,
            _(
                "Membre du suivi ajouté, mais sans accès pour l'instant : la personne doit consentir au partage "
                "de son dossier avec %(organisation)s. Enregistrez son consentement dans la rubrique "
                "Consentements une fois qu'elle l'a donné."
            )
            % {"organisation": organisation.name},
        )
    return _back(episode)


@require_POST
def end_follow_up_member(request: HttpRequest, public_id, member_id: int) -> HttpResponse:
    episode = access.episode_for(request.user, public_id, manage=True)
    member = get_object_or_404(
        FollowUpMember.objects.filter(episode=episode, ended_at__isnull=True), pk=member_id
    )
    actions.end_follow_up_member(member, by=request.user)
    messages.success(request, _("Fin du suivi enregistrée."))
    return _back(episode)


@require_POST
def record_contact(request: HttpRequest, public_id) -> HttpResponse:
    # Follow-up members of other organisations record their own exchanges with the person too
    # (collaborative follow-up, R11); the action still guards the sensitive sections.
    episode = access.episode_for(request.user, public_id, open=True)
    form = RecordContactForm(
        request.POST,
        can_see_sensitive=access.can_see_sensitive(request.user, episode),
        auto_id=_auto_id(episode, "contact"),
    )
    if not form.is_valid():
        return _failed(request, episode, "contact", form, "", 400)
    try:
        actions.record_contact(episode, by=request.user, **form.cleaned_data)
    except PermissionDenied:
        return _failed(
            request,
            episode,
            "contact",
            form,
            _("Vous ne pouvez pas écrire dans cette rubrique sensible."),
            403,
        )
    except ValidationError as exc:
        return _failed(request, episode, "contact", form, _error_text(exc), 400)
    messages.success(request, _("Contact enregistré."))
    return _back(episode)


@require_POST
def plan_appointment(request: HttpRequest, public_id) -> HttpResponse:
    episode = access.episode_for(request.user, public_id, manage=True)
    form = PlanAppointmentForm(request.POST, auto_id=_auto_id(episode, "appointment"))
    if not form.is_valid():
        return _failed(request, episode, "appointment", form, "", 400)
    try:
        actions.plan_appointment(episode, by=request.user, site=episode.site, **form.cleaned_data)
    except ValidationError as exc:
        return _failed(request, episode, "appointment", form, _error_text(exc), 400)
    messages.success(request, _("Rendez-vous planifié."))
    return _back(episode)


@require_POST
def update_appointment(request: HttpRequest, public_id, appointment_id: int) -> HttpResponse:
    """Held / missed / cancelled: simple buttons, so errors come back as a message."""
    episode = access.episode_for(request.user, public_id, manage=True)
    appointment = get_object_or_404(
        access.appointments(request.user).filter(episode=episode).select_related("episode"),
        pk=appointment_id,
    )
    form = UpdateAppointmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez l'issue du rendez-vous."))
        return _back(episode)
    outcome, outcomes = form.cleaned_data["outcome"], UpdateAppointmentForm.Outcome
    try:
        if outcome == outcomes.HELD:
            actions.mark_appointment_held(appointment, by=request.user, summary=form.cleaned_data["summary"])
        elif outcome == outcomes.MISSED:
            actions.mark_appointment_missed(appointment, by=request.user)
        else:
            cancelled_by = (
                Appointment.CancelledBy.PERSON
                if outcome == outcomes.CANCELLED_BY_PERSON
                else Appointment.CancelledBy.STAFF
            )
            actions.cancel_appointment(appointment, by=request.user, cancelled_by=cancelled_by)
    except ValidationError as exc:
        if appointment.scheduled_at > timezone.now() + datetime.timedelta(minutes=5):
            messages.error(request, _("Un rendez-vous ne peut être marqué honoré qu'une fois commencé."))
        else:
            messages.error(request, _("Rendez-vous non modifié : %(detail)s") % {"detail": _error_text(exc)})
        return _back(episode)
    messages.success(request, _("Rendez-vous mis à jour."))
    return _back(episode)
