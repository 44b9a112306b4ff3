"""JSON API for support episodes, follow-up members, contacts, appointments and the case events.

Reads go through the scoped querysets (`parcours.cases.access`): what the caller may not see is 404.
Writes call parcours/cases/actions.py, the same functions as the HTML views. Who may write:
- on an episode (stage, intensity, handover, closure, follow-up members, appointments): a counselor or
  manager of the episode's organisation (403 for a follow-up member of another organisation);
- contacts: anyone who sees the episode, follow-up members included (sensitive sections: the referent
  and members granted them, as enforced by `record_contact`).
"""

import uuid
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Path, Router
from ninja.pagination import paginate
from ninja.responses import Status as HttpStatus

from parcours.accounts.models import User
from parcours.cases import access, actions
from parcours.cases.models import (
    Appointment,
    Contact,
    FollowUpMember,
    Intensity,
    Stage,
    SupportEpisode,
)
from parcours.cases.person_api import (
    MAX_ID,
    LoggedPagination,
    Pagination,
)
from parcours.cases.schemas import (
    AppointmentIn,
    AppointmentOut,
    CancelIn,
    CloseIn,
    ContactIn,
    ContactOut,
    EpisodeOut,
    EventOut,
    FollowUpMemberIn,
    FollowUpMemberOut,
    HandoverIn,
    HeldIn,
    IntensityIn,
    StageIn,
)
from parcours.organisations.models import Organisation, Site
from parcours.people.models import Consent

router = Router(tags=["accompagnements"])

EPISODE_RELATED = ("person", "organisation", "referent")


def active_user(public_id: uuid.UUID) -> User:
    user = User.objects.filter(public_id=public_id, is_active=True).first()
    if user is None:
        raise ValidationError("unknown user")
    return user


def site_of(organisation_id: int, site_id: int | None) -> Site | None:
    if site_id is None:
        return None
    site = Site.objects.filter(organisation_id=organisation_id, pk=site_id).first()
    if site is None:
        raise ValidationError("unknown site for this organisation")
    return site


def _plain(value):
    return getattr(value, "value", value)


# --- Episodes --------------------------------------------------------------------------------


@router.get("/episodes", response=list[EpisodeOut], url_name="episode_list")
@paginate(LoggedPagination)
def list_episodes(
    request,
    stage: Stage | None = None,
    intensity: Intensity | None = None,
    overdue: bool | None = None,
    referent: Literal["me"] | None = None,
    person: uuid.UUID | None = None,
    is_open: bool | None = None,
):
    """Episodes the caller may see, the most urgent contact first."""
    user = request.auth
    # Without a narrowing filter the list reads an agency's whole caseload: the rule's hashed form.
    many = referent is None and person is None
    episodes = access.episodes(user, many=many).select_related(*EPISODE_RELATED)
    if stage:
        episodes = episodes.filter(stage=stage)
    if intensity:
        episodes = episodes.filter(intensity=intensity)
    if overdue is True:
        episodes = episodes.overdue()
    elif overdue is False:
        episodes = episodes.exclude(pk__in=SupportEpisode.objects.overdue().values("pk"))
    if referent == "me":
        episodes = episodes.filter(referent=user)
    if person:
        episodes = episodes.filter(person__public_id=person)
    if is_open is not None:
        episodes = episodes.filter(ended_on__isnull=is_open)
    return episodes.order_by(F("next_contact_due").asc(nulls_last=True), "pk")


@router.get("/episodes/{public_id}", response=EpisodeOut, url_name="episode_detail")
def get_episode(request, public_id: uuid.UUID):
    episode = access.episode_for(request.auth, public_id)
    access.log_read(episode.person, user=request.auth, route="api:episode_detail")
    return episode


def _reloaded(episode: SupportEpisode) -> SupportEpisode:
    return SupportEpisode.objects.select_related(*EPISODE_RELATED).get(pk=episode.pk)


@router.post("/episodes/{public_id}/stage", response=EpisodeOut, url_name="episode_change_stage")
def change_stage(request, public_id: uuid.UUID, payload: StageIn):
    user = request.auth
    episode = access.episode_for(request.auth, public_id)
    access.require_manage(user, episode)
    episode = actions.change_stage(
        episode, by=user, stage=_plain(payload.stage), reason=payload.reason, expected_version=payload.version
    )
    return _reloaded(episode)


@router.post("/episodes/{public_id}/intensity", response=EpisodeOut, url_name="episode_change_intensity")
def change_intensity(request, public_id: uuid.UUID, payload: IntensityIn):
    user = request.auth
    episode = access.episode_for(request.auth, public_id)
    access.require_manage(user, episode)
    episode = actions.change_intensity(
        episode,
        by=user,
        intensity=_plain(payload.intensity),
        reason=payload.reason,
        contact_target_days=payload.contact_target_days,
        approach=_plain(payload.approach),
        expected_version=payload.version,
    )
    return _reloaded(episode)


@router.post("/episodes/{public_id}/handover", response=EpisodeOut, url_name="episode_hand_over")
def hand_over(request, public_id: uuid.UUID, payload: HandoverIn):
    user = request.auth
    episode = access.episode_for(request.auth, public_id)
    access.require_manage(user, episode)
    episode = actions.hand_over_episode(
        episode,
        by=user,
        to_referent=active_user(payload.to_referent),
        reason=payload.reason,
        expected_version=payload.version,
    )
    return _reloaded(episode)


@router.post("/episodes/{public_id}/close", response=EpisodeOut, url_name="episode_close")
def close(request, public_id: uuid.UUID, payload: CloseIn):
    user = request.auth
    episode = access.episode_for(request.auth, public_id)
    access.require_manage(user, episode)
    if payload.ended_on and not (episode.started_on <= payload.ended_on <= timezone.localdate()):
        raise ValidationError("the end date must be between the start of the episode and today")
    episode = actions.close_episode(
        episode,
        by=user,
        reason=_plain(payload.reason),
        ended_on=payload.ended_on,
        expected_version=payload.version,
    )
    return _reloaded(episode)


# --- Follow-up members -----------------------------------------------------------------------


def _members(episode: SupportEpisode):
    consent = Consent.objects.active().filter(
        person_id=OuterRef("episode__person_id"),
        organisation_id=OuterRef("organisation_id"),
        scope=Consent.Scope.CASE_FILE,
    )
    return (
        FollowUpMember.objects.filter(episode=episode)
        .select_related("user", "organisation")
        .annotate(has_consent=Exists(consent))
    )


@router.get(
    "/episodes/{public_id}/follow-up-members",
    response=list[FollowUpMemberOut],
    url_name="follow_up_member_list",
)
@paginate(Pagination)
def list_follow_up_members(request, public_id: uuid.UUID):
    episode = access.episode_for(request.auth, public_id)
    access.log_read(episode.person, user=request.auth, route="api:follow_up_member_list")
    return _members(episode).order_by("-started_at", "-pk")


@router.post(
    "/episodes/{public_id}/follow-up-members",
    response={201: FollowUpMemberOut},
    url_name="follow_up_member_add",
)
def add_follow_up_member(request, public_id: uuid.UUID, payload: FollowUpMemberIn):
    """Add a professional to the follow-up group. They get access only once the person has given
    their consent (scope case_file) to the member's organisation: see `has_consent`."""
    user = request.auth
    episode = access.episode_for(request.auth, public_id)
    access.require_manage(user, episode)
    if not episode.is_open:
        raise ValidationError("the episode is closed")
    organisation = Organisation.objects.filter(public_id=payload.organisation).first()
    if organisation is None:
        raise ValidationError("unknown organisation")
    member = actions.add_follow_up_member(
        episode,
        by=user,
        user=active_user(payload.user),
        organisation=organisation,
        role=payload.role,
        access_level=_plain(payload.access_level),
    )
    return HttpStatus(201, _members(episode).get(pk=member.pk))


@router.post(
    "/episodes/{public_id}/follow-up-members/{member_id}/end",
    response=FollowUpMemberOut,
    url_name="follow_up_member_end",
)
def end_follow_up_member(request, public_id: uuid.UUID, member_id: int = Path(..., ge=1, le=MAX_ID)):
    user = request.auth
    episode = access.episode_for(request.auth, public_id)
    member = get_object_or_404(_members(episode), pk=member_id)
    access.require_manage(user, episode)
    actions.end_follow_up_member(member, by=user)
    return _members(episode).get(pk=member.pk)


# --- Contacts --------------------------------------------------------------------------------

CONTACT_RELATED = ("episode__person", "author")


@router.get("/contacts", response=list[ContactOut], url_name="contact_list")
@paginate(LoggedPagination)
def list_contacts(request, person: uuid.UUID | None = None):
    """Contacts the caller may see across their episodes (sensitive sections filtered), latest first."""
    contacts = access.contacts(request.auth).select_related(*CONTACT_RELATED)
    if person:
        contacts = contacts.filter(episode__person__public_id=person)
    return contacts.order_by("-occurred_at", "-pk")


@router.get("/episodes/{public_id}/contacts", response=list[ContactOut], url_name="episode_contact_list")
@paginate(Pagination)
def list_episode_contacts(request, public_id: uuid.UUID):
    episode = access.episode_for(request.auth, public_id)
    access.log_read(episode.person, user=request.auth, route="api:episode_contact_list")
    return (
        access.contacts(request.auth)
        .filter(episode=episode)
        .select_related(*CONTACT_RELATED)
        .order_by("-occurred_at", "-pk")
    )


@router.post("/episodes/{public_id}/contacts", response={201: ContactOut}, url_name="contact_record")
def record_contact(request, public_id: uuid.UUID, payload: ContactIn):
    user = request.auth
    episode = access.episode_for(request.auth, public_id, open=True)
    contact = actions.record_contact(
        episode,
        by=user,
        channel=_plain(payload.channel),
        direction=_plain(payload.direction),
        occurred_at=payload.occurred_at,
        duration_minutes=payload.duration_minutes,
        summary=payload.summary,
        section=_plain(payload.section),
    )
    return HttpStatus(201, Contact.objects.select_related(*CONTACT_RELATED).get(pk=contact.pk))


# --- Appointments ----------------------------------------------------------------------------

APPOINTMENT_RELATED = ("episode__person", "with_user")


@router.get("/appointments", response=list[AppointmentOut], url_name="appointment_list")
@paginate(LoggedPagination)
def list_appointments(
    request, upcoming: bool = False, with_me: bool = False, status: Appointment.Status | None = None
):
    """Appointments of the episodes the caller may see. `upcoming=true`: planned and not yet
    passed, soonest first; otherwise latest first."""
    appointments = access.appointments(request.auth).select_related(*APPOINTMENT_RELATED)
    if with_me:
        appointments = appointments.filter(with_user=request.auth)
    if status:
        appointments = appointments.filter(status=status)
    if upcoming:
        return appointments.upcoming().order_by("scheduled_at", "pk")
    return appointments.order_by("-scheduled_at", "-pk")


@router.get(
    "/episodes/{public_id}/appointments", response=list[AppointmentOut], url_name="episode_appointment_list"
)
@paginate(Pagination)
def list_episode_appointments(request, public_id: uuid.UUID):
    episode = access.episode_for(request.auth, public_id)
    access.log_read(episode.person, user=request.auth, route="api:episode_appointment_list")
    return episode.appointments.select_related(*APPOINTMENT_RELATED).order_by("-scheduled_at", "-pk")


@router.post(
    "/episodes/{public_id}/appointments", response={201: AppointmentOut}, url_name="appointment_plan"
)
def plan_appointment(request, public_id: uuid.UUID, payload: AppointmentIn):
    """Plan an appointment with the episode's referent."""
    user = request.auth
    episode = access.episode_for(request.auth, public_id)
    access.require_manage(user, episode)
    appointment = actions.plan_appointment(
        episode,
        by=user,
        scheduled_at=payload.scheduled_at,
        channel=_plain(payload.channel),
        duration_minutes=payload.duration_minutes,
        purpose=payload.purpose,
        site=site_of(episode.organisation_id, payload.site),
    )
    return HttpStatus(201, _appointment(appointment.pk))


def _appointment(pk: int) -> Appointment:
    return Appointment.objects.select_related(*APPOINTMENT_RELATED).get(pk=pk)


def _appointment_for_team(request, appointment_id: int) -> Appointment:
    appointment = get_object_or_404(
        access.appointments(request.auth).select_related("episode"), pk=appointment_id
    )
    access.require_manage(request.auth, appointment.episode)
    return appointment


@router.post("/appointments/{appointment_id}/held", response=AppointmentOut, url_name="appointment_held")
def mark_held(request, payload: HeldIn, appointment_id: int = Path(..., ge=1, le=MAX_ID)):
    """The appointment took place: it is recorded as a contact on the appointment's channel."""
    appointment = _appointment_for_team(request, appointment_id)
    actions.mark_appointment_held(appointment, by=request.auth, summary=payload.summary)
    return _appointment(appointment.pk)


@router.post("/appointments/{appointment_id}/missed", response=AppointmentOut, url_name="appointment_missed")
def mark_missed(request, appointment_id: int = Path(..., ge=1, le=MAX_ID)):
    appointment = _appointment_for_team(request, appointment_id)
    actions.mark_appointment_missed(appointment, by=request.auth)
    return _appointment(appointment.pk)


@router.post("/appointments/{appointment_id}/cancel", response=AppointmentOut, url_name="appointment_cancel")
def cancel(request, payload: CancelIn, appointment_id: int = Path(..., ge=1, le=MAX_ID)):
    appointment = _appointment_for_team(request, appointment_id)
    actions.cancel_appointment(appointment, by=request.auth, cancelled_by=_plain(payload.cancelled_by))
    return _appointment(appointment.pk)


# --- Case events -----------------------------------------------------------------------------

EVENT_RELATED = ("actor", "person", "episode")


@router.get("/persons/{public_id}/events", response=list[EventOut], url_name="person_event_list")
@paginate(Pagination)
def list_person_events(request, public_id: uuid.UUID):
    person = access.person_for(request.auth, public_id)
    access.log_read(person, user=request.auth, route="api:person_event_list")
    return access.events_on_file(request.auth, person).select_related(*EVENT_RELATED).order_by("-at", "-pk")


@router.get("/episodes/{public_id}/events", response=list[EventOut], url_name="episode_event_list")
@paginate(Pagination)
def list_episode_events(request, public_id: uuid.UUID):
    episode = access.episode_for(request.auth, public_id)
    access.log_read(episode.person, user=request.auth, route="api:episode_event_list")
    return (
        access.events_on_file(request.auth, episode.person)
        .filter(episode=episode)
        .select_related(*EVENT_RELATED)
        .order_by("-at", "-pk")
    )
