"""Every state change of obligations and sanction procedures; views and the API call these.

Support before sanction: before a prior notice can be sent, `support_shortfalls` checks that the
promised support was delivered over the period; if not, the procedure is BLOCKED with the list,
and only a manager of the episode's organisation may override it with a written reason (logged in
the procedure's steps and counted). CaseEvents of procedures are in the sensitive section
SANCTIONS and hold ids and codes only.
"""

import datetime
import math

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.cases import access
from parcours.cases import actions as case_actions
from parcours.cases.models import Appointment, CaseEvent, Contact, EndReason, Section, SupportEpisode
from parcours.catalogue.models import Referral, ReferralStatus
from parcours.diagnosis.models import Action, Barrier, Diagnosis
from parcours.messaging.actions import choose_channel, queue_message
from parcours.messaging.models import OutboundMessage
from parcours.obligations.models import (
    Ladder,
    Obligation,
    ProcedureStep,
    SanctionProcedure,
    Status,
)
from parcours.people.models import Channel, DigitalAutonomy, Person

EVENT_OBLIGATIONS_AGREED = "obligations_agreed"
EVENT_PROCEDURE_STEP = "sanction_procedure_step"
EVENT_OBSERVATIONS_EXPIRED = "sanction_observations_expired"
EVENT_DECISION_FINAL = "sanction_decision_final"
# Channels that need the person to use digital tools on their own.
DIGITAL_CHANNELS = {Channel.VIDEO, Channel.EMAIL, Channel.INSTANT_MESSAGING}


@transaction.atomic
def agree_obligations(
    episode: SupportEpisode, *, by, agreed_on: datetime.date | None = None, **terms
) -> Obligation:
    """A new version of the commitments (the previous ones stay, for the procedures that cite them)."""
    if not episode.is_open:
        raise ValidationError("this episode is closed")
    last = Obligation.objects.filter(episode=episode).aggregate(v=Max("version"))["v"] or 0
    obligation = Obligation(
        episode=episode, version=last + 1, agreed_on=agreed_on or timezone.localdate(), agreed_by=by, **terms
    )
    obligation.full_clean()
    obligation.save()
    CaseEvent.objects.create(
        person_id=episode.person_id,
        episode=episode,
        actor=by,
        kind=CaseEvent.Kind.OTHER,
        data={"what": EVENT_OBLIGATIONS_AGREED, "obligation": obligation.pk, "version": obligation.version},
    )
    return obligation


def support_shortfalls(
    episode: SupportEpisode, *, since: datetime.date, today: datetime.date | None = None
) -> list[str]:
    """What the organisation did not deliver over [since, today]; empty when support was delivered."""
    today = today or timezone.localdate()
    shortfalls: list[str] = []
    days = (today - since).days + 1
    expected = math.floor(days / episode.contact_target_days) if episode.contact_target_days else 0
    contacts = Contact.objects.filter(
        episode=episode, occurred_at__date__gte=since, occurred_at__date__lte=today
    ).count()
    if contacts < expected:
        shortfalls.append(f"contacts: {contacts} over the period, {expected} expected for the intensity")
    diagnosis = Diagnosis.objects.completed().filter(episode=episode).order_by("-completed_at", "-pk").first()
    if diagnosis is None:
        shortfalls.append("diagnosis: no completed diagnosis")
    else:
        answered_by_action = set(
            Action.objects.filter(plan__episode=episode, barrier__isnull=False)
            .exclude(status=Action.Status.DROPPED)
            .values_list("barrier_id", flat=True)
        )
        referred_kinds: set[str] = set()
        for barriers in (
            Referral.objects.filter(episode=episode)
            .exclude(status__in=[ReferralStatus.REFUSED, ReferralStatus.EXPIRED])
            .values_list("service__barriers", flat=True)
        ):
            referred_kinds.update(barriers or [])
        for barrier in Barrier.objects.filter(diagnosis=diagnosis).order_by("pk"):
            if barrier.pk not in answered_by_action and barrier.kind not in referred_kinds:
                shortfalls.append(f"barrier: '{barrier.kind}' answered by no plan action nor referral")
    person = episode.person
    if choose_channel(person) is None and not person.phone:
        shortfalls.append("convocation: no channel the person can be reached on")
    if person.digital_autonomy in (DigitalAutonomy.NONE, DigitalAutonomy.PARTIAL):
        digital = Appointment.objects.filter(
            episode=episode,
            scheduled_at__date__gte=since,
            scheduled_at__date__lte=today,
            status=Appointment.Status.MISSED,
            channel__in=DIGITAL_CHANNELS,
        ).count()
        if digital:
            shortfalls.append(
                f"convocation: {digital} missed appointment(s) on a digital channel for a person "
                "without digital autonomy"
            )
    return shortfalls


def _step(
    procedure: SanctionProcedure, *, by, to: str, override: bool = False, by_person: bool = False, **fields
) -> SanctionProcedure:
    previous = procedure.status
    procedure.transition_to(to)  # raises InvalidTransition
    for name, value in fields.items():
        setattr(procedure, name, value)
    procedure.save()
    ProcedureStep.objects.create(
        procedure=procedure,
        from_status=previous,
        to_status=to,
        by=by,
        is_override=override,
        by_person=by_person,
    )
    CaseEvent.objects.create(
        person_id=procedure.episode.person_id,
        episode=procedure.episode,
        actor=by,
        kind=CaseEvent.Kind.OTHER,
        section=Section.SANCTIONS,
        data={
            "what": EVENT_PROCEDURE_STEP,
            "procedure": procedure.pk,
            "from": previous,
            "to": to,
            "override": override,
            "by_person": by_person,
        },
    )
    return procedure


def _tell_person(procedure: SanctionProcedure, *, subject: str, body: str, key: str) -> None:
    """A message to the person on their channel, with the way to their portal page (the details
    stay in the portal: a message may be read by someone else)."""
    episode = procedure.episode
    queue_message(
        kind=OutboundMessage.Kind.OTHER,
        person=episode.person,
        organisation=episode.organisation,
        subject=subject,
        body=f"{body} Détails dans votre espace personnel, rubrique « Mes engagements » : "
        f"{settings.SITE_URL}{reverse('portal:obligations')}",
        dedupe_key=f"sanction-{procedure.pk}-{key}",
    )


def _require_sensitive_reader(episode: SupportEpisode, user) -> None:
    if not access.can_see_sensitive(user, episode):
        raise PermissionDenied("sanctions are a sensitive section: the referent or a granted member only")


@transaction.atomic
def record_breach(
    episode: SupportEpisode, *, by, breach: str, evidence: str, period_start: datetime.date
) -> SanctionProcedure:
    """Open a procedure with the breach and its evidence, then run the support-before-sanction
    check at once: BLOCKED with the shortfalls if support fell short."""
    _require_sensitive_reader(episode, by)
    if not breach.strip() or not evidence.strip():
        raise ValidationError("a breach needs a description and evidence")
    obligation = Obligation.objects.filter(episode=episode).order_by("-version").first()
    if obligation is None:
        raise ValidationError("no commitments were agreed on this episode: there is nothing to breach")
    procedure = SanctionProcedure.objects.create(
        episode=episode,
        obligation=obligation,
        breach=breach.strip(),
        evidence=evidence.strip(),
        period_start=period_start,
        opened_by=by,
    )
    ProcedureStep.objects.create(procedure=procedure, from_status="", to_status=Status.BREACH, by=by)
    shortfalls = support_shortfalls(episode, since=period_start)
    if shortfalls:
        _step(procedure, by=by, to=Status.BLOCKED, shortfalls=shortfalls)
    return procedure


@transaction.atomic
def send_notice(procedure: SanctionProcedure, *, by, override_reason: str = "") -> SanctionProcedure:
    """The prior notice with the facts and a deadline for observations. Refused while support fell
    short, unless a manager of the episode's organisation overrides with a written reason."""
    episode = procedure.episode
    _require_sensitive_reader(episode, by)
    shortfalls = support_shortfalls(episode, since=procedure.period_start)
    override = False
    if shortfalls:
        if not override_reason.strip():
            if procedure.status == Status.BREACH:
                return _step(procedure, by=by, to=Status.BLOCKED, shortfalls=shortfalls)
            raise ValidationError(["support fell short:", *shortfalls])
        if episode.organisation_id not in by.organisation_ids(frozenset({Role.MANAGER})):
            raise PermissionDenied("only a manager of the organisation may override the support check")
        override = True
    due_on = timezone.localdate() + datetime.timedelta(days=Ladder(episode.organisation_id).observation_days)
    _step(
        procedure,
        by=by,
        to=Status.NOTICE_SENT,
        override=override,
        shortfalls=shortfalls,
        override_reason=override_reason.strip() if override else "",
        observations_due_on=due_on,
    )
    _tell_person(
        procedure,
        subject="Avertissement préalable",
        body=f"Un manquement à vos engagements a été constaté. Vous pouvez présenter vos observations "
        f"jusqu'au {due_on.strftime('%d/%m/%Y')} inclus, dans votre espace personnel ou auprès de votre "
        "conseiller·ère.",
        key="notice",
    )
    return procedure


@transaction.atomic
def record_observations(procedure: SanctionProcedure, *, by, observations: str) -> SanctionProcedure:
    """Observations received by the counselor (letter, hearing, phone)."""
    _require_sensitive_reader(procedure.episode, by)
    if not observations.strip():
        raise ValidationError("observations are empty")
    return _step(procedure, by=by, to=Status.OBSERVATIONS, observations=observations.strip())


def _own_procedure(procedure: SanctionProcedure, person: Person) -> SanctionProcedure:
    procedure = SanctionProcedure.objects.select_for_update().select_related("episode").get(pk=procedure.pk)
    if procedure.episode.person_id != person.pk:
        raise PermissionDenied("not this person's procedure")
    return procedure


@transaction.atomic
def send_observations_as_person(procedure: SanctionProcedure, *, person: Person, observations: str):
    """The person sends their observations from the portal, until the deadline included."""
    procedure = _own_procedure(procedure, person)
    if not observations.strip():
        raise ValidationError("observations are empty")
    if procedure.status == Status.NOTICE_SENT and timezone.localdate() > procedure.observations_due_on:
        raise ValidationError(
            f"the deadline for observations was {procedure.observations_due_on.isoformat()}"
        )
    return _step(
        procedure, by=None, by_person=True, to=Status.OBSERVATIONS, observations=observations.strip()
    )


@transaction.atomic
def decide(procedure: SanctionProcedure, *, by, decision: str, reasons: str) -> SanctionProcedure:
    """A decision with reasons, from the organisation's ladder; not before the deadline for
    observations unless they arrived. The label and radiation months are recorded as decided."""
    _require_sensitive_reader(procedure.episode, by)
    ladder = Ladder(procedure.episode.organisation_id)
    step = ladder.step(decision)
    if step is None:
        raise ValidationError(f"unknown decision {decision!r} for this organisation's ladder")
    if not reasons.strip():
        raise ValidationError("a decision needs its reasons")
    today = timezone.localdate()
    if procedure.status == Status.NOTICE_SENT and today <= procedure.observations_due_on:
        raise ValidationError(
            f"the person may send observations until {procedure.observations_due_on.isoformat()}"
        )
    _step(
        procedure,
        by=by,
        to=Status.DECIDED,
        decision=decision,
        decision_label=str(step["label"]),
        radiation_months=step["radiation_months"],
        decision_reasons=reasons.strip(),
        decided_on=today,
        appeal_due_on=today + datetime.timedelta(days=ladder.appeal_days),
        final_on=None,
    )
    decisions = procedure.steps.filter(to_status=Status.DECIDED).count()
    _tell_person(
        procedure,
        subject="Décision",
        body="Une décision motivée a été prise sur le manquement constaté. Vous pouvez la contester "
        f"jusqu'au {procedure.appeal_due_on.strftime('%d/%m/%Y')} inclus.",
        key=f"decision-{decisions}",
    )
    return procedure


def _check_appeal_window(procedure: SanctionProcedure) -> None:
    if procedure.appeal_due_on and timezone.localdate() > procedure.appeal_due_on:
        raise ValidationError(f"the time limit for an appeal was {procedure.appeal_due_on.isoformat()}")


@transaction.atomic
def appeal(procedure: SanctionProcedure, *, by) -> SanctionProcedure:
    """An appeal received by the organisation, within the time limit."""
    _require_sensitive_reader(procedure.episode, by)
    _check_appeal_window(procedure)
    return _step(procedure, by=by, to=Status.APPEALED)


@transaction.atomic
def appeal_as_person(procedure: SanctionProcedure, *, person: Person, reasons: str) -> SanctionProcedure:
    """The person contests the decision from the portal, within the time limit."""
    procedure = _own_procedure(procedure, person)
    if not reasons.strip():
        raise ValidationError("say why you contest the decision")
    _check_appeal_window(procedure)
    text = f"{procedure.observations}\n\nRecours : {reasons.strip()}".strip()
    return _step(procedure, by=None, by_person=True, to=Status.APPEALED, observations=text)


@transaction.atomic
def lift(procedure: SanctionProcedure, *, by) -> SanctionProcedure:
    """The person resumed the commitments: the sanction ends."""
    _require_sensitive_reader(procedure.episode, by)
    return _step(procedure, by=by, to=Status.LIFTED)


@transaction.atomic
def withdraw(procedure: SanctionProcedure, *, by) -> SanctionProcedure:
    _require_sensitive_reader(procedure.episode, by)
    return _step(procedure, by=by, to=Status.WITHDRAWN)


@transaction.atomic
def close_after_radiation(procedure: SanctionProcedure, *, by) -> SupportEpisode:
    """Close the episode with the end reason "Radiation", which only a decided radiation allows."""
    _require_sensitive_reader(procedure.episode, by)
    if not procedure.is_radiation:
        raise ValidationError("only a procedure decided with a radiation closes the episode with that reason")
    return case_actions.close_episode(
        procedure.episode, by=by, reason=EndReason.SANCTION, after_sanction_decision=True
    )


def run_deadlines(*, today: datetime.date | None = None) -> dict[str, int]:
    """The periodic job (`parcours obligations run-deadlines`, daily): a notice whose deadline for
    observations passed without any is marked expired (the decision may now be taken) and its
    referent told; a decision whose appeal window closed is marked final. Idempotent: each
    procedure is marked once."""
    today = today or timezone.localdate()
    counts = {"observations_expired": 0, "decisions_final": 0}
    expired = SanctionProcedure.objects.filter(
        status=Status.NOTICE_SENT, observations_due_on__lt=today, observations_expired_on__isnull=True
    ).select_related("episode__referent")
    for procedure in expired:
        with transaction.atomic():
            SanctionProcedure.objects.filter(pk=procedure.pk).update(observations_expired_on=today)
            _system_event(procedure, EVENT_OBSERVATIONS_EXPIRED)
            referent = procedure.episode.referent
            if referent is not None and referent.email:
                queue_message(
                    kind=OutboundMessage.Kind.OTHER,
                    user=referent,
                    organisation=procedure.episode.organisation,
                    subject="Procédure : délai d'observations expiré",
                    body="Le délai d'observations d'une procédure que vous suivez est expiré sans "
                    "observations : la décision peut être prise. "
                    f"{settings.SITE_URL}{reverse('obligations:episode', args=[procedure.episode.public_id])}",
                    dedupe_key=f"sanction-{procedure.pk}-observations-expired",
                )
            counts["observations_expired"] += 1
    final = SanctionProcedure.objects.filter(
        status__in=[Status.DECIDED, Status.LIFTED], appeal_due_on__lt=today, final_on__isnull=True
    ).select_related("episode")
    for procedure in final:
        with transaction.atomic():
            SanctionProcedure.objects.filter(pk=procedure.pk).update(final_on=today)
            _system_event(procedure, EVENT_DECISION_FINAL)
            counts["decisions_final"] += 1
    return counts


def _system_event(procedure: SanctionProcedure, what: str) -> None:
    CaseEvent.objects.create(
        person_id=procedure.episode.person_id,
        episode=procedure.episode,
        actor=None,
        kind=CaseEvent.Kind.OTHER,
        section=Section.SANCTIONS,
        data={"what": what, "procedure": procedure.pk},
    )
