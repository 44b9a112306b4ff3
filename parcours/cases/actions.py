"""Every state change of a support episode. One function per change, used by the views, the API,
the admin and the CLI; each records a CaseEvent in the same transaction."""

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from parcours.accounts.models import CASE_ROLES, Membership
from parcours.cases.models import (
    AccessLog,
    Appointment,
    CaseEvent,
    ConcurrentEditError,
    Contact,
    FollowUpMember,
    ReferentAssignment,
    Section,
    Stage,
    StageTransition,
    SupportEpisode,
    default_contact_target_days,
)

logger = logging.getLogger(__name__)


def _lock(episode: SupportEpisode, expected_version: int | None = None) -> SupportEpisode:
    """Re-read the episode under a row lock and check it was not changed since it was read."""
    current = SupportEpisode.objects.select_for_update().get(pk=episode.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentEditError("episode changed since it was read")
    return current


def _require_case_member(user, organisation_id: int) -> None:
    if not Membership.objects.filter(
        user=user, organisation_id=organisation_id, role__in=CASE_ROLES, is_active=True
    ).exists():
        raise ValidationError("the referent must be a counselor or manager of the episode's organisation")


def _save(episode: SupportEpisode, fields: list[str]) -> None:
    episode.version += 1
    episode.save(update_fields=[*fields, "version", "updated_at"])


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
    episode.next_contact_due = episode.compute_next_contact_due()
    episode.save()
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
    _after_intake(episode, by)
    return episode


def _after_intake(episode: SupportEpisode, by) -> None:
    """Intake continues in other domains: a first profiling score (computed in the background
    after commit) and the randomised assignment of running experiments the person is eligible for."""
    from parcours.evaluation.assignment import assign_if_eligible
    from parcours.profiling.tasks import request_score

    request_score(episode)
    assign_if_eligible(episode, by=by)


@transaction.atomic
def change_stage(
    episode: SupportEpisode, *, by, stage: str, reason: str = "", expected_version: int | None = None
) -> SupportEpisode:
    if stage == Stage.CLOSED:
        raise ValidationError("use close_episode to close an episode (an end reason is required)")
    episode = _lock(episode, expected_version)
    previous = episode.stage
    episode.transition_to(stage)  # raises InvalidTransition
    _save(episode, ["stage"])
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
    episode = _lock(episode, expected_version)
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
    episode.next_contact_due = episode.compute_next_contact_due()
    _save(episode, ["intensity", "contact_target_days", "approach", "next_contact_due"])
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
    episode = _lock(episode, expected_version)
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
    _save(episode, ["referent"])
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
) -> SupportEpisode:
    episode = _lock(episode, expected_version)
    previous = episode.stage
    episode.transition_to(Stage.CLOSED)
    episode.end_reason = reason
    episode.ended_on = ended_on or timezone.localdate()
    _save(episode, ["stage", "end_reason", "ended_on"])
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
        episode.next_contact_due = episode.compute_next_contact_due()
        fields += ["last_contact_at", "next_contact_due"]
    _save(episode, fields)


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
    episode = _lock(episode)
    if not episode.is_open:
        raise ValidationError("the episode is closed")
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError("a contact cannot be in the future; plan an appointment instead")
    if section != Section.GENERAL and not episode.can_see_sensitive(by):
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
    CaseEvent.objects.create(
        person_id=episode.person_id,
        episode=episode,
        actor=by,
        kind=CaseEvent.Kind.APPOINTMENT_PLANNED,
        data={"appointment": appointment.pk, "channel": channel, "scheduled_at": scheduled_at.isoformat()},
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


def log_access(person, *, user, route: str) -> None:
    """Record a read of the person's file (never inside the caller's transaction: a read that
    fails later was still a read)."""
    AccessLog.objects.create(person=person, user=user, route=route[:100])
