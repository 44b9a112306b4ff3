"""Every state change of a person's record and of their support episodes. One function per change,
used by the views, the API, the admin and the CLI; each records a CaseEvent in the same transaction.

Intake (a new person, a new episode, and what follows in profiling and evaluation) is composed
above, in parcours.intake.actions."""

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from parcours.accounts.models import CASE_ROLES, Membership
from parcours.cases import access
from parcours.cases import intensity as contact_rule
from parcours.cases.locking import lock_for_update, save_with_version
from parcours.cases.models import (
    Appointment,
    CaseEvent,
    Contact,
    EndReason,
    FollowUpMember,
    ReferentAssignment,
    Section,
    Stage,
    StageTransition,
    SupportEpisode,
    default_contact_target_days,
)
from parcours.people.models import Consent, Person, StatusPeriod

logger = logging.getLogger(__name__)


# --- The person's record ----------------------------------------------------------------------

# Fields a counselor may edit on the identity/contact form; status has its own history action.
EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "email",
    "phone",
    "address",
    "commune",
    "preferred_channels",
    "digital_autonomy",
    "minimum_income",
    "priority_area",
    "disability_recognition",
)


@transaction.atomic
def create_person(*, by, status: str = Person._meta.get_field("status").default, **fields) -> Person:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    person = Person.objects.create(status=status, **fields)
    StatusPeriod.objects.create(person=person, status=status, started_on=timezone.localdate(), recorded_by=by)
    CaseEvent.objects.create(person=person, actor=by, kind=CaseEvent.Kind.PERSON_CREATED)
    logger.info("person=%s created by=%s", person.pk, by.pk)
    return person


@transaction.atomic
def update_person(person: Person, *, by, expected_version: int, **changes) -> Person:
    """Apply `changes` unless someone else saved the person since `expected_version` was read."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    current = lock_for_update(person, expected_version)
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    for name in changed:
        setattr(current, name, changes[name])
    if changed:
        save_with_version(current, changed)
        # Field names only: values may be personal or sensitive.
        CaseEvent.objects.create(
            person=current, actor=by, kind=CaseEvent.Kind.PERSON_UPDATED, data={"fields": sorted(changed)}
        )
        if "commune" in changed and current.commune_id:
            # An episode's territory is the commune at its opening; one opened while the commune
            # was unknown takes the first one known (a later move changes nothing).
            SupportEpisode.objects.filter(person=current, commune__isnull=True).update(
                commune_id=current.commune_id
            )
    return current


@transaction.atomic
def change_status(person: Person, *, by, status: str, since: datetime.date | None = None) -> Person:
    since = since or timezone.localdate()
    if status == person.status:
        return person
    StatusPeriod.objects.filter(person=person, ended_on__isnull=True).update(ended_on=since)
    StatusPeriod.objects.create(person=person, status=status, started_on=since, recorded_by=by)
    previous, person.status = person.status, status
    save_with_version(person, ["status"])
    CaseEvent.objects.create(
        person=person,
        actor=by,
        kind=CaseEvent.Kind.STATUS_CHANGED,
        data={"from": previous, "to": status, "since": since.isoformat()},
    )
    return person


@transaction.atomic
def give_consent(person: Person, *, by, organisation, scope: str, note: str = "") -> Consent:
    existing = Consent.objects.active().filter(person=person, organisation=organisation, scope=scope).first()
    if existing:
        return existing
    consent = Consent.objects.create(
        person=person, organisation=organisation, scope=scope, recorded_by=by, note=note
    )
    CaseEvent.objects.create(
        person=person,
        actor=by,
        kind=CaseEvent.Kind.CONSENT_GIVEN,
        data={"organisation": organisation.pk, "scope": scope},
    )
    if scope == Consent.Scope.CASE_FILE:
        contact_rule.refresh_person(person.pk)
    return consent


@transaction.atomic
def withdraw_consent(consent: Consent, *, by) -> Consent:
    if consent.withdrawn_at is None:
        consent.withdrawn_at = timezone.now()
        consent.save(update_fields=["withdrawn_at"])
        CaseEvent.objects.create(
            person=consent.person,
            actor=by,
            kind=CaseEvent.Kind.CONSENT_WITHDRAWN,
            data={"organisation": consent.organisation_id, "scope": consent.scope},
        )
        if consent.scope == Consent.Scope.CASE_FILE:
            contact_rule.refresh_person(consent.person_id)
    return consent


# --- Episodes -----------------------------------------------------------------------------------


def _require_case_member(user, organisation_id: int) -> None:
    if not Membership.objects.filter(
        user=user, organisation_id=organisation_id, role__in=CASE_ROLES, is_active=True
    ).exists():
        raise ValidationError("the referent must be a counselor or manager of the episode's organisation")


@transaction.atomic
def open_episode(
    person,
    *,
    by,
    organisation,
    referent=None,
    intensity: str = "guided",
    approach: str = "sequential",
    site=None,
    started_on: datetime.date | None = None,
    contact_target_days: int | None = None,
) -> SupportEpisode:
    referent = referent or by
    _require_case_member(referent, organisation.pk)
    if SupportEpisode.objects.open().filter(person=person, organisation=organisation).exists():
        raise ValidationError("this person already has an open episode with this organisation")
    episode = SupportEpisode(
        person=person,
        organisation=organisation,
        site=site,
        commune_id=person.commune_id,
        referent=referent,
        started_on=started_on or timezone.localdate(),
        intensity=intensity,
        approach=approach,
        contact_target_days=contact_target_days or default_contact_target_days(intensity),
    )
    episode.next_contact_due = contact_rule.due_date(episode, None)
    episode.save()
    # Contacts with other organisations count from the start when the person shares their file
    # with this one (parcours.cases.intensity).
    contact_rule.refresh_contact_due([episode])
    episode.refresh_from_db(fields=["next_contact_due"])
    ReferentAssignment.objects.create(episode=episode, referent=referent, assigned_by=by, reason="ouverture")
    CaseEvent.objects.create(
        person=person,
        episode=episode,
        actor=by,
        kind=CaseEvent.Kind.EPISODE_OPENED,
        data={
            "organisation": organisation.pk,
            "referent": referent.pk,
            "intensity": intensity,
            "approach": approach,
        },
    )
    logger.info("episode=%s opened by=%s", episode.pk, by.pk)
    return episode


@transaction.atomic
def change_stage(
    episode: SupportEpisode, *, by, stage: str, reason: str = "", expected_version: int | None = None
) -> SupportEpisode:
    if stage == Stage.CLOSED:
        raise ValidationError("use close_episode to close an episode (an end reason is required)")
    episode = lock_for_update(episode, expected_version)
    previous = episode.stage
    episode.transition_to(stage)  # raises InvalidTransition
    save_with_version(episode, ["stage"])
    StageTransition.objects.create(episode=episode, from_stage=previous, to_stage=stage, by=by, reason=reason)
    CaseEvent.objects.create(
        person_id=episode.person_id,
        episode=episode,
        actor=by,
        kind=CaseEvent.Kind.STAGE_CHANGED,
        data={"from": previous, "to": stage},
    )
    return episode


@transaction.atomic
def change_intensity(
    episode: SupportEpisode,
    *,
    by,
    intensity: str,
    reason: str,
    contact_target_days: int | None = None,
    approach: str | None = None,
    expected_version: int | None = None,
) -> SupportEpisode:
    if not reason.strip():
        raise ValidationError("a reason is required to change the intensity")
    episode = lock_for_update(episode, expected_version)
    if not episode.is_open:
        raise ValidationError("the episode is closed")
    before = {
        "intensity": episode.intensity,
        "days": episode.contact_target_days,
        "approach": episode.approach,
    }
    episode.intensity = intensity
    episode.contact_target_days = contact_target_days or default_contact_target_days(intensity)
    if approach:
        episode.approach = approach
    save_with_version(episode, ["intensity", "contact_target_days", "approach"])
    contact_rule.refresh_contact_due([episode])
    episode.refresh_from_db(fields=["next_contact_due"])
    CaseEvent.objects.create(
        person_id=episode.person_id,
        episode=episode,
        actor=by,
        kind=CaseEvent.Kind.INTENSITY_CHANGED,
        data={
            "from": before,
            "to": {"intensity": intensity, "days": episode.contact_target_days, "approach": episode.approach},
            "reason": reason,
        },
    )
    return episode


@transaction.atomic
def hand_over_episode(
    episode: SupportEpisode, *, by, to_referent, reason: str, expected_version: int | None = None
) -> SupportEpisode:
    if not reason.strip():
        raise ValidationError("a reason is required to hand the episode over")
    episode = lock_for_update(episode, expected_version)
    if not episode.is_open:
        raise ValidationError("the episode is closed")
    if to_referent.pk == episode.referent_id:
        raise ValidationError("this counselor is already the referent")
    _require_case_member(to_referent, episode.organisation_id)
    now = timezone.now()
    previous = episode.referent_id
    closed = ReferentAssignment.objects.filter(episode=episode, ended_at__isnull=True).update(ended_at=now)
    if not closed:
        # Episodes loaded from elsewhere may lack the opening row: keep the outgoing referent in history.
        ReferentAssignment.objects.create(
            episode=episode, referent_id=previous, started_at=episode.created_at, ended_at=now, assigned_by=by
        )
    ReferentAssignment.objects.create(
        episode=episode, referent=to_referent, started_at=now, assigned_by=by, reason=reason
    )
    episode.referent = to_referent
    save_with_version(episode, ["referent"])
    CaseEvent.objects.create(
        person_id=episode.person_id,
        episode=episode,
        actor=by,
        kind=CaseEvent.Kind.REFERENT_CHANGED,
        data={"from": previous, "to": to_referent.pk, "reason": reason},
    )
    logger.info("episode=%s handed over from=%s to=%s by=%s", episode.pk, previous, to_referent.pk, by.pk)
    return episode


@transaction.atomic
def close_episode(
    episode: SupportEpisode,
    *,
    by,
    reason: str,
    ended_on: datetime.date | None = None,
    expected_version: int | None = None,
    after_sanction_decision: bool = False,
) -> SupportEpisode:
    # "Radiation" ends an episode only through a decided sanction procedure: parcours.obligations
    # (above cases) checks the decision and passes after_sanction_decision=True.
    if reason == EndReason.SANCTION and not after_sanction_decision:
        raise ValidationError(
            "the end reason 'sanction' (radiation) comes only from a decided sanction procedure"
        )
    episode = lock_for_update(episode, expected_version)
    previous = episode.stage
    episode.transition_to(Stage.CLOSED)
    episode.end_reason = reason
    episode.ended_on = ended_on or timezone.localdate()
    save_with_version(episode, ["stage", "end_reason", "ended_on"])
    ReferentAssignment.objects.filter(episode=episode, ended_at__isnull=True).update(ended_at=timezone.now())
    StageTransition.objects.create(
        episode=episode, from_stage=previous, to_stage=Stage.CLOSED, by=by, reason=reason
    )
    CaseEvent.objects.create(
        person_id=episode.person_id,
        episode=episode,
        actor=by,
        kind=CaseEvent.Kind.EPISODE_CLOSED,
        data={"reason": reason, "from": previous},
    )
    return episode


@transaction.atomic
def add_follow_up_member(
    episode: SupportEpisode, *, by, user, organisation, role: str, access_level: str = "standard"
) -> FollowUpMember:
    if user.pk == by.pk:
        raise PermissionDenied("nobody adds themselves to the follow-up group")
    if access_level == FollowUpMember.AccessLevel.SENSITIVE and not access.can_grant_sensitive(by, episode):
        raise PermissionDenied("only the referent or a manager of the organisation grants sensitive access")
    if not Membership.objects.filter(user=user, organisation=organisation, is_active=True).exists():
        raise ValidationError("this professional is not a member of that organisation")
    member = FollowUpMember.objects.create(
        episode=episode,
        user=user,
        organisation=organisation,
        role=role,
        access_level=access_level,
        added_by=by,
    )
    CaseEvent.objects.create(
        person_id=episode.person_id,
        episode=episode,
        actor=by,
        kind=CaseEvent.Kind.FOLLOWER_ADDED,
        data={"user": user.pk, "organisation": organisation.pk, "access": access_level},
    )
    return member


@transaction.atomic
def end_follow_up_member(member: FollowUpMember, *, by) -> FollowUpMember:
    if member.ended_at is None:
        member.ended_at = timezone.now()
        member.save(update_fields=["ended_at"])
        CaseEvent.objects.create(
            person_id=member.episode.person_id,
            episode=member.episode,
            actor=by,
            kind=CaseEvent.Kind.FOLLOWER_REMOVED,
            data={"user": member.user_id},
        )
    return member


def _touch_contact(episode: SupportEpisode, occurred_at: datetime.datetime) -> None:
    """Keep the denormalised contact summary (first and last contact, number of contacts) and
    the next due date in step with the contact log."""
    fields = ["contact_count"]
    episode.contact_count += 1
    if episode.first_contact_at is None or occurred_at < episode.first_contact_at:
        episode.first_contact_at = occurred_at
        fields.append("first_contact_at")
    if episode.last_contact_at is None or occurred_at > episode.last_contact_at:
        episode.last_contact_at = occurred_at
        fields.append("last_contact_at")
    # Bookkeeping, not an edit of the episode: the version stays, so that a colleague changing the
    # stage while a contact is recorded gets no false conflict (parcours.cases.locking).
    episode.save(update_fields=[*fields, "updated_at"])
    # The due dates of every open episode of the person: this one, and those of the organisations
    # the person shares their file with (parcours.cases.intensity).
    contact_rule.refresh_person(episode.person_id)
    episode.refresh_from_db(fields=["next_contact_due"])


@transaction.atomic
def record_contact(
    episode: SupportEpisode,
    *,
    by,
    channel: str,
    direction: str = Contact.Direction.OUTBOUND,
    occurred_at: datetime.datetime | None = None,
    duration_minutes: int | None = None,
    summary: str = "",
    section: str = Section.GENERAL,
) -> Contact:
    episode = lock_for_update(episode)
    if not episode.is_open:
        raise ValidationError("the episode is closed")
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError("a contact cannot be in the future; plan an appointment instead")
    if section != Section.GENERAL and not access.can_see_sensitive(by, episode):
        raise PermissionDenied("only the referent or a granted member may write in a sensitive section")
    contact = Contact.objects.create(
        episode=episode,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at,
        duration_minutes=duration_minutes,
        summary=summary,
        section=section,
        author=by,
    )
    _touch_contact(episode, occurred_at)
    CaseEvent.objects.create(
        person_id=episode.person_id,
        episode=episode,
        actor=by,
        kind=CaseEvent.Kind.CONTACT_RECORDED,
        section=section,
        at=occurred_at,
        data={"contact": contact.pk, "channel": channel},
    )
    return contact


@transaction.atomic
def plan_appointment(
    episode: SupportEpisode,
    *,
    by,
    scheduled_at: datetime.datetime,
    channel: str,
    with_user=None,
    duration_minutes: int = 45,
    purpose: str = "",
    site=None,
) -> Appointment:
    """Plan an appointment. `by=None`: the person booked it themselves (parcours.agenda)."""
    if not episode.is_open:
        raise ValidationError("the episode is closed")
    appointment = Appointment.objects.create(
        episode=episode,
        scheduled_at=scheduled_at,
        channel=channel,
        with_user=with_user or episode.referent,
        duration_minutes=duration_minutes,
        purpose=purpose,
        site=site,
        created_by=by,
    )
    data = {"appointment": appointment.pk, "channel": channel, "scheduled_at": scheduled_at.isoformat()}
    if by is None:
        data["by_person"] = True
    CaseEvent.objects.create(
        person_id=episode.person_id,
        episode=episode,
        actor=by,
        kind=CaseEvent.Kind.APPOINTMENT_PLANNED,
        data=data,
    )
    return appointment


def _close_appointment(appointment: Appointment, status: str, by, kind: str, **data) -> Appointment:
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != Appointment.Status.PLANNED:
        raise ValidationError(f"this appointment is already {appointment.status}")
    appointment.status = status
    appointment.cancelled_by = data.get("cancelled_by", "")
    appointment.save(update_fields=["status", "cancelled_by", "updated_at"])
    CaseEvent.objects.create(
        person_id=appointment.episode.person_id,
        episode=appointment.episode,
        actor=by,
        kind=kind,
        data={"appointment": appointment.pk, **data},
    )
    return appointment


@transaction.atomic
def mark_appointment_held(appointment: Appointment, *, by, summary: str = "") -> Appointment:
    """The appointment took place: it becomes a contact of the log, on the appointment's channel."""
    if appointment.scheduled_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError("an appointment cannot be held before it starts")
    appointment = _close_appointment(
        appointment, Appointment.Status.HELD, by, CaseEvent.Kind.APPOINTMENT_HELD
    )
    contact = record_contact(
        appointment.episode,
        by=by,
        channel=appointment.channel,
        occurred_at=appointment.scheduled_at,
        duration_minutes=appointment.duration_minutes,
        summary=summary,
    )
    appointment.contact = contact
    appointment.save(update_fields=["contact"])
    # A self-booked appointment meets an "autonomous online" target whatever its channel: count it
    # now that the contact is linked to its appointment (parcours.cases.intensity).
    if appointment.created_by_id is None:
        contact_rule.refresh_person(appointment.episode.person_id)
    return appointment


@transaction.atomic
def mark_appointment_missed(appointment: Appointment, *, by) -> Appointment:
    return _close_appointment(appointment, Appointment.Status.MISSED, by, CaseEvent.Kind.APPOINTMENT_MISSED)


@transaction.atomic
def cancel_appointment(appointment: Appointment, *, by, cancelled_by: str) -> Appointment:
    return _close_appointment(
        appointment,
        Appointment.Status.CANCELLED,
        by,
        CaseEvent.Kind.APPOINTMENT_CANCELLED,
        cancelled_by=cancelled_by,
    )
