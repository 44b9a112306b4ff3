"""Every state change of employment outcomes and post-hire check-ins. Views, API, admin and the
`outcomes` command call these functions; each records a CaseEvent in the same transaction.

CaseEvents use Kind.OTHER with data["what"] = EVENT_*; they hold ids and codes, never free text.
"""

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from parcours.cases import actions as case_actions
from parcours.cases.models import CaseEvent, InvalidTransition, Stage, SupportEpisode
from parcours.diagnosis import actions as diagnosis_actions
from parcours.diagnosis.models import Action, BarrierKind
from parcours.labour.normalising import NoReferential, get_normaliser
from parcours.messaging.actions import queue_message
from parcours.messaging.models import OutboundMessage
from parcours.outcomes.models import (
    DEFAULT_HORIZONS,
    FIXED_TERM,
    CheckIn,
    CheckInLink,
    CheckInPolicy,
    ContractChange,
    ContractType,
    EmploymentOutcome,
    add_months,
    is_durable_contract,
)
from parcours.people.models import Consent

logger = logging.getLogger(__name__)

EVENT_OUTCOME_RECORDED = "employment_outcome_recorded"
EVENT_CHECKIN_ANSWERED = "checkin_answered"
EVENT_CHECKIN_UNKNOWN = "checkin_unknown"
EVENT_CONTRACT_CHANGED = "employment_contract_changed"

# A check-in still unanswered this many days after its due date is reminded, then marked unknown.
REMIND_AFTER_DAYS = 14
UNKNOWN_AFTER_DAYS = 30
# A one-time link is valid for this long (it is also spent by its first answer).
LINK_MAX_AGE = datetime.timedelta(days=45)
LINK_SALT = "parcours.outcomes.checkin"
# The normaliser's best code is kept only from this score (below, the counselor picks the code).
MIN_OCCUPATION_SCORE = 0.5


def _event(episode: SupportEpisode, by, what: str, **data) -> None:
    CaseEvent.objects.create(
        person_id=episode.person_id,
        episode=episode,
        actor=by,
        kind=CaseEvent.Kind.OTHER,
        data={"what": what, **data},
    )


def horizons_for(organisation) -> list[int]:
    policy = CheckInPolicy.objects.filter(organisation=organisation).first()
    return sorted(set(policy.horizons)) if policy and policy.horizons else list(DEFAULT_HORIZONS)


def normalise_occupation(job_title: str) -> tuple[str, str]:
    """(ROME code, label) of a job title through the labour normaliser; ("", "") without a stored
    referential or when the best match is too weak to be trusted."""
    try:
        normaliser, _artefact = get_normaliser("rome")
    except NoReferential:
        return "", ""
    matches = normaliser.query(job_title, top=1)
    if not matches or matches[0].score < MIN_OCCUPATION_SCORE:
        return "", ""
    return matches[0].code, matches[0].label


@transaction.atomic
def record_outcome(
    episode: SupportEpisode,
    *,
    by,
    contract_type: str,
    weekly_hours: Decimal,
    start_on: datetime.date,
    job_title: str,
    kind: str = EmploymentOutcome.Kind.HIRE,
    contract_months: int | None = None,
    end_on: datetime.date | None = None,
    rome_code: str = "",
    siret: str = "",
    employer_name: str = "",
    employer_email: str = "",
    wage_band: str = "",
    source: str = "",
    reported_on: datetime.date | None = None,
) -> EmploymentOutcome:
    """Record a job. A job found (HIRE) moves the episode to EMPLOYED through cases.actions and
    schedules the check-ins; a job held at intake (CURRENT_JOB) is the starting point of
    job-retention support and changes no stage."""
    if not episode.is_open:
        raise ValidationError("this episode is closed")
    if contract_type in FIXED_TERM and not contract_months:
        raise ValidationError({"contract_months": "the planned length is required for this contract"})
    if end_on and end_on < start_on:
        raise ValidationError({"end_on": "the end is before the start"})
    label = ""
    if not rome_code:
        rome_code, label = normalise_occupation(job_title)
    outcome = EmploymentOutcome(
        episode=episode,
        kind=kind,
        contract_type=contract_type,
        contract_months=contract_months,
        weekly_hours=weekly_hours,
        start_on=start_on,
        end_on=end_on,
        job_title=job_title.strip(),
        rome_code=rome_code,
        occupation_label=label,
        siret="".join(siret.split()),
        employer_name=employer_name.strip(),
        employer_email=employer_email.strip(),
        wage_band=wage_band or EmploymentOutcome._meta.get_field("wage_band").default,
        source=source or EmploymentOutcome._meta.get_field("source").default,
        reported_on=reported_on or timezone.localdate(),
        recorded_by=by,
    )
    outcome.full_clean()
    outcome.save()
    if kind == EmploymentOutcome.Kind.HIRE:
        if episode.stage not in (Stage.EMPLOYED, Stage.RETENTION):
            try:
                case_actions.change_stage(episode, by=by, stage=Stage.EMPLOYED, reason="employment_outcome")
            except InvalidTransition as exc:
                raise ValidationError(
                    f"the episode cannot move to 'employed' from its stage '{episode.stage}'"
                ) from exc
        for months in horizons_for(episode.organisation):
            CheckIn.objects.create(
                outcome=outcome, horizon_months=months, due_on=add_months(start_on, months)
            )
    _event(
        episode,
        by,
        EVENT_OUTCOME_RECORDED,
        outcome=outcome.pk,
        kind=kind,
        contract=contract_type,
        rome=rome_code or None,
        source=outcome.source,
    )
    logger.info("episode=%s outcome=%s recorded kind=%s", episode.pk, outcome.pk, kind)
    return outcome


def terms_at(outcome: EmploymentOutcome, day: datetime.date) -> tuple[str, int | None, Decimal]:
    """(contract type, planned months, weekly hours) valid on `day`: the latest change in force by
    then, or the terms before the first change, or the outcome's own terms when none changed. The
    indicators read the same rule in SQL (parcours.evaluation.indicators.observed_employment)."""
    changes = list(outcome.contract_changes.order_by("effective_on", "pk"))
    in_force = [c for c in changes if c.effective_on <= day]
    if in_force:
        c = in_force[-1]
        return c.contract_type, c.contract_months, c.weekly_hours
    if changes:
        c = changes[0]
        return c.before_contract_type, c.before_contract_months, c.before_weekly_hours
    return outcome.contract_type, outcome.contract_months, outcome.weekly_hours


@transaction.atomic
def change_contract(
    outcome: EmploymentOutcome,
    *,
    by,
    effective_on: datetime.date,
    contract_type: str = "",
    contract_months: int | None = None,
    weekly_hours: Decimal | None = None,
    checkin: CheckIn | None = None,
) -> ContractChange | None:
    """A new contract or other hours with the same employer from `effective_on`. Keeps the terms
    before and after (ContractChange) and a CaseEvent with both; the outcome takes the new terms
    when no later change is in force. Returns None when nothing differs."""
    outcome = EmploymentOutcome.objects.select_for_update().select_related("episode").get(pk=outcome.pk)
    if contract_type and contract_type not in ContractType.values:
        raise ValidationError({"contract_type": "unknown contract type"})
    if effective_on < outcome.start_on:
        raise ValidationError({"effective_on": "the change is before the start of the job"})
    before = terms_at(outcome, effective_on)
    new_type = contract_type or before[0]
    new_months = (contract_months if contract_type else before[1]) if new_type in FIXED_TERM else None
    if new_type in FIXED_TERM and not new_months:
        raise ValidationError({"contract_months": "the planned length is required for this contract"})
    new_hours = Decimal(weekly_hours).quantize(Decimal("0.1")) if weekly_hours is not None else before[2]
    if (new_type, new_months, new_hours) == before:
        return None
    change = ContractChange.objects.create(
        outcome=outcome,
        effective_on=effective_on,
        checkin=checkin,
        before_contract_type=before[0],
        before_contract_months=before[1],
        before_weekly_hours=before[2],
        before_durable=is_durable_contract(before[0], before[1]),
        contract_type=new_type,
        contract_months=new_months,
        weekly_hours=new_hours,
        durable=is_durable_contract(new_type, new_months),
        recorded_by=by,
    )
    if not outcome.contract_changes.filter(effective_on__gt=effective_on).exists():
        outcome.contract_type, outcome.contract_months, outcome.weekly_hours = new_type, new_months, new_hours
        outcome.save(update_fields=["contract_type", "contract_months", "weekly_hours"])
    _event(
        outcome.episode,
        by,
        EVENT_CONTRACT_CHANGED,
        outcome=outcome.pk,
        change=change.pk,
        checkin=checkin.pk if checkin else None,
        effective_on=effective_on.isoformat(),
        before={"contract": before[0], "months": before[1], "hours": str(before[2])},
        after={"contract": new_type, "months": new_months, "hours": str(new_hours)},
    )
    logger.info("outcome=%s contract changed change=%s", outcome.pk, change.pk)
    return change


def employer_contact_allowed(episode: SupportEpisode) -> bool:
    return (
        Consent.objects.active()
        .filter(
            person_id=episode.person_id,
            organisation_id=episode.organisation_id,
            scope=Consent.Scope.EMPLOYER_CONTACT,
        )
        .exists()
    )


def _token(link: CheckInLink) -> str:
    return signing.dumps({"link": link.pk, "nonce": str(link.nonce)}, salt=LINK_SALT, compress=True)


def link_url(token: str) -> str:
    return settings.SITE_URL + reverse("outcomes:answer_by_link", kwargs={"token": token})


@transaction.atomic
def create_checkin_link(checkin: CheckIn, *, by, respondent: str) -> str:
    """A one-time link to answer the check-in; returns its token. For the employer, only with the
    person's active consent "contact de l'employeur"."""
    if respondent not in (CheckIn.Respondent.PERSON, CheckIn.Respondent.EMPLOYER):
        raise ValidationError("a link is for the person or the employer")
    if checkin.status not in (CheckIn.Status.SCHEDULED, CheckIn.Status.REMINDED):
        raise ValidationError("this check-in is already settled")
    episode = checkin.outcome.episode
    if respondent == CheckIn.Respondent.EMPLOYER and not employer_contact_allowed(episode):
        raise PermissionDenied("the person has not consented to the employer being contacted")
    link = CheckInLink.objects.create(checkin=checkin, respondent=respondent, created_by=by)
    return _token(link)


def link_from_token(token: str) -> CheckInLink:
    """The unspent link of a token; ValidationError for a forged, expired or spent one."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationError("this link has expired") from exc
    except signing.BadSignature as exc:
        raise ValidationError("this link is not valid") from exc
    link = (
        CheckInLink.objects.select_related("checkin__outcome__episode")
        .filter(pk=data.get("link"), nonce=data.get("nonce"))
        .first()
    )
    if link is None or link.used_at is not None:
        raise ValidationError("this link was already used")
    if link.checkin.status not in (CheckIn.Status.SCHEDULED, CheckIn.Status.REMINDED):
        raise ValidationError("this check-in is already settled")
    if link.respondent == CheckIn.Respondent.EMPLOYER and not employer_contact_allowed(
        link.checkin.outcome.episode
    ):
        raise ValidationError("this link is no longer valid")
    return link


@transaction.atomic
def answer_checkin(
    checkin: CheckIn,
    *,
    by,
    respondent: str,
    still_employed: bool,
    same_employer: bool | None = None,
    weekly_hours: Decimal | None = None,
    difficulties: list[str] | None = None,
    contract_type: str = "",
    contract_months: int | None = None,
    changed_on: datetime.date | None = None,
) -> CheckIn:
    """Record the answer. A difficulty opens a job-retention action in the plan of the open
    episode (one per check-in); the employer is not asked about difficulties. Still in the job
    with the same employer (or the employer answering), other hours or a new contract
    (`contract_type`, with `contract_months` for a fixed-term one) update the outcome through
    change_contract, effective on `changed_on` when the respondent says since when (not in the
    future, not before the job's start), else at the check-in's due date."""
    checkin = CheckIn.objects.select_for_update().select_related("outcome__episode").get(pk=checkin.pk)
    if checkin.status not in (CheckIn.Status.SCHEDULED, CheckIn.Status.REMINDED):
        raise ValidationError("this check-in is already settled")
    if respondent not in CheckIn.Respondent.values:
        raise ValidationError("unknown respondent")
    difficulties = sorted(set(difficulties or []))
    if any(kind not in BarrierKind.values for kind in difficulties):
        raise ValidationError({"difficulties": "unknown difficulty"})
    if respondent == CheckIn.Respondent.EMPLOYER and difficulties:
        raise ValidationError({"difficulties": "the employer is not asked about difficulties"})
    same_job = still_employed and (same_employer or respondent == CheckIn.Respondent.EMPLOYER)
    if contract_type and not same_job:
        raise ValidationError(
            {
                "contract_type": "a new contract is recorded here only for the same job: record a new job instead"
            }
        )
    if changed_on is not None and changed_on > timezone.localdate():
        raise ValidationError({"changed_on": "the change cannot be in the future"})
    checkin.status = CheckIn.Status.ANSWERED
    checkin.answered_at = timezone.now()
    checkin.respondent = respondent
    checkin.still_employed = still_employed
    checkin.same_employer = same_employer
    checkin.weekly_hours = weekly_hours
    checkin.difficulties = difficulties
    checkin.answered_by = by
    checkin.save()
    episode = checkin.outcome.episode
    if same_job and (contract_type or weekly_hours is not None):
        change_contract(
            checkin.outcome,
            by=by,
            effective_on=changed_on or checkin.due_on,
            contract_type=contract_type,
            contract_months=contract_months,
            weekly_hours=weekly_hours,
            checkin=checkin,
        )
    action = None
    if difficulties and episode.is_open:
        action = diagnosis_actions.add_action(
            episode,
            by=by,
            goal=f"Maintien dans l'emploi : point à {checkin.horizon_months} mois",
            owner=Action.Owner.COUNSELOR,
            due_on=timezone.localdate() + datetime.timedelta(days=7),
            suggestion_key=f"retention-checkin-{checkin.pk}",
        )
    _event(
        episode,
        by,
        EVENT_CHECKIN_ANSWERED,
        checkin=checkin.pk,
        respondent=respondent,
        still_employed=still_employed,
        difficulties=len(difficulties),  # the kinds stay on the check-in: health and justice are sensitive
        action=action.pk if action else None,
    )
    return checkin


@transaction.atomic
def answer_by_link(token: str, **answers) -> CheckIn:
    link = link_from_token(token)
    CheckInLink.objects.filter(pk=link.pk).update(used_at=timezone.now())
    return answer_checkin(link.checkin, by=None, respondent=link.respondent, **answers)


def _send_link(checkin: CheckIn, *, reminder: bool) -> None:
    episode = checkin.outcome.episode
    token = create_checkin_link(checkin, by=None, respondent=CheckIn.Respondent.PERSON)
    intro = "Petit rappel : " if reminder else ""
    queue_message(
        kind=OutboundMessage.Kind.OTHER,
        person=episode.person,
        organisation=episode.organisation,
        subject="Comment se passe votre emploi ?",
        body=f"{intro}{checkin.horizon_months} mois après votre embauche, dites-nous en 1 minute "
        f"comment se passe votre emploi : {link_url(token)}",
        dedupe_key=f"checkin-{checkin.pk}-{'reminder' if reminder else 'first'}",
    )


def employer_dedupe_key(checkin: CheckIn, *, reminder: bool = False) -> str:
    return f"checkin-{checkin.pk}-employer" + ("-reminder" if reminder else "")


def send_employer_link(checkin: CheckIn, *, reminder: bool = False) -> OutboundMessage | None:
    """Send the employer's one-time link once (dedupe key), on the e-mail of the outcome's
    employer contact, when the person's consent "contact de l'employeur" to the organisation is
    active. With ``reminder``, the one reminder, with a fresh link: only when the first message
    went out at least REMIND_AFTER_DAYS ago. None when there is no consent, no contact, nothing
    due, or the message was already sent."""
    outcome = checkin.outcome
    episode = outcome.episode
    if not outcome.employer_email or not employer_contact_allowed(episode):
        return None
    if OutboundMessage.objects.filter(dedupe_key=employer_dedupe_key(checkin, reminder=reminder)).exists():
        return None
    if reminder:
        first_sent = (
            OutboundMessage.objects.filter(dedupe_key=employer_dedupe_key(checkin))
            .values_list("created_at", flat=True)
            .first()
        )
        if first_sent is None or first_sent > timezone.now() - datetime.timedelta(days=REMIND_AFTER_DAYS):
            return None
    token = create_checkin_link(checkin, by=None, respondent=CheckIn.Respondent.EMPLOYER)
    person = episode.person
    return queue_message(
        kind=OutboundMessage.Kind.EMPLOYER_CHECKIN,
        person=person,
        to_email=outcome.employer_email,
        organisation=episode.organisation,
        subject=("Rappel : " if reminder else "")
        + f"Suivi de l'embauche de {person.first_name} {person.last_name}",
        body=("Petit rappel, sans réponse de votre part : " if reminder else "")
        + f"{person.first_name} {person.last_name}, que vous avez embauché·e, a accepté que "
        f"{episode.organisation.name} vous demande, {checkin.horizon_months} mois après "
        f"l'embauche, si la personne travaille toujours chez vous (une question, une minute) : "
        f"{link_url(token)}",
        dedupe_key=employer_dedupe_key(checkin, reminder=reminder),
    )


def run_due_checkins(*, today: datetime.date | None = None) -> dict[str, int]:
    """The periodic job (run daily by the worker's scheduler through `parcours outcomes run`):
    send the link of each check-in that came due, remind those unanswered REMIND_AFTER_DAYS after,
    mark UNKNOWN those still unanswered UNKNOWN_AFTER_DAYS after; send the employer's link of a
    pending check-in that came due once, when the person consents and the employer has a contact
    e-mail, and remind the employer once REMIND_AFTER_DAYS after that. Idempotent."""
    today = today or timezone.localdate()
    counts = {"sent": 0, "reminded": 0, "unknown": 0, "employer": 0, "employer_reminded": 0}
    due = CheckIn.objects.filter(status=CheckIn.Status.SCHEDULED, due_on__lte=today).select_related(
        "outcome__episode__person", "outcome__episode__organisation"
    )
    for checkin in due:
        with transaction.atomic():
            if checkin.due_on + datetime.timedelta(days=REMIND_AFTER_DAYS) <= today:
                checkin.status, checkin.reminded_at = CheckIn.Status.REMINDED, timezone.now()
                checkin.save(update_fields=["status", "reminded_at"])
                _send_link(checkin, reminder=True)
                counts["reminded"] += 1
            elif not checkin.links.filter(
                respondent=CheckIn.Respondent.PERSON, created_by__isnull=True
            ).exists():
                _send_link(checkin, reminder=False)
                counts["sent"] += 1
    for_employer = (
        CheckIn.objects.pending()
        .filter(
            due_on__lte=today,
            due_on__gt=today - datetime.timedelta(days=UNKNOWN_AFTER_DAYS),
            outcome__employer_email__gt="",
        )
        .select_related("outcome__episode__person", "outcome__episode__organisation")
    )
    for checkin in for_employer:
        with transaction.atomic():
            if send_employer_link(checkin) is not None:
                counts["employer"] += 1
            elif send_employer_link(checkin, reminder=True) is not None:
                counts["employer_reminded"] += 1
    expired = CheckIn.objects.filter(
        status=CheckIn.Status.REMINDED, due_on__lte=today - datetime.timedelta(days=UNKNOWN_AFTER_DAYS)
    ).select_related("outcome__episode")
    for checkin in expired:
        with transaction.atomic():
            checkin.status = CheckIn.Status.UNKNOWN
            checkin.save(update_fields=["status"])
            _event(checkin.outcome.episode, None, EVENT_CHECKIN_UNKNOWN, checkin=checkin.pk)
            counts["unknown"] += 1
    logger.info(
        "checkins run sent=%d reminded=%d unknown=%d employer=%d employer_reminded=%d",
        counts["sent"],
        counts["reminded"],
        counts["unknown"],
        counts["employer"],
        counts["employer_reminded"],
    )
    return counts
