"""Every state change of diagnosis, action plan and orientation. One function per change, used by
the views, the API, the admin and the CLI; each records a CaseEvent in the same transaction.

CaseEvent kinds: events use Kind.OTHER with data["what"] naming the change (see EVENT_* below;
the list is in docs/diagnosis.md); their timeline titles are registered in apps.py
(parcours.cases.events). Data hold ids and codes, never free text. Events about a health or justice barrier are stored in that sensitive section.
"""

import datetime
import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from parcours.cases import access
from parcours.cases import actions as case_actions
from parcours.cases.locking import check_version, lock_for_update, save_with_version
from parcours.cases.models import (
    Approach,
    CaseEvent,
    Intensity,
    Section,
    SupportEpisode,
)
from parcours.diagnosis import orientation as orientation_rules
from parcours.diagnosis import questionnaire as q
from parcours.diagnosis import suggestions
from parcours.diagnosis.invitations import expiry, make_token
from parcours.diagnosis.models import (
    Action,
    ActionPlan,
    Barrier,
    BarrierKind,
    Diagnosis,
    Orientation,
    Questionnaire,
    QuestionnaireVersion,
    SelfDiagnosisInvitation,
    Severity,
    Skill,
    section_of,
)
from parcours.people.models import Channel, DigitalAutonomy, Person

logger = logging.getLogger(__name__)

DEFAULT_QUESTIONNAIRE = "diagnostic-initial"

EVENT_DIAGNOSIS_STARTED = "diagnosis_started"
EVENT_ANSWERS_SAVED = "diagnosis_answers_saved"
EVENT_DIAGNOSIS_COMPLETED = "diagnosis_completed"
EVENT_BARRIER_RECORDED = "barrier_recorded"
EVENT_SKILL_ADDED = "skill_added"
EVENT_DIGITAL_AUTONOMY_SET = "digital_autonomy_set"
EVENT_INVITATION_CREATED = "self_diagnosis_link_created"
EVENT_ACTION_ADDED = "plan_action_added"
EVENT_ACTION_UPDATED = "plan_action_updated"
EVENT_ORIENTATION_DECIDED = "orientation_decided"

# What apps above diagnosis do once a diagnosis is completed, given the episode (profiling asks for a
# new score). They register in their AppConfig.ready: diagnosis never imports them.
_on_completed: list[Callable[[SupportEpisode], None]] = []


def register_on_completed(hook: Callable[[SupportEpisode], None]) -> None:
    if hook not in _on_completed:
        _on_completed.append(hook)


# Channels that need no digital skill, in the order they are proposed to someone excluded.
OFFLINE_CHANNELS = [Channel.PHONE, Channel.IN_PERSON]
ONLINE_CHANNELS = {Channel.EMAIL, Channel.INSTANT_MESSAGING, Channel.VIDEO}

FOLLOWED_SUGGESTION = "Suggestion d'orientation suivie"


def _event(episode: SupportEpisode, by, what: str, case_section: str = Section.GENERAL, **data) -> CaseEvent:
    return CaseEvent.objects.create(
        person_id=episode.person_id,
        episode=episode,
        actor=by,
        kind=CaseEvent.Kind.OTHER,
        section=case_section,
        data={"what": what, **data},
    )


def _require_open(episode: SupportEpisode) -> None:
    if not episode.is_open:
        raise ValidationError("the episode is closed")


# --- Diagnosis -------------------------------------------------------------------------------


def current_version(slug: str = DEFAULT_QUESTIONNAIRE) -> QuestionnaireVersion:
    questionnaire = Questionnaire.objects.filter(slug=slug).first()
    version = questionnaire.current_version() if questionnaire else None
    if version is None:
        raise ValidationError(
            f"questionnaire {slug!r} is not loaded: run `parcours diagnosis load-questionnaires`"
        )
    return version


@transaction.atomic
def start_diagnosis(
    episode: SupportEpisode,
    *,
    by,
    by_person: bool = False,
    questionnaire_version: QuestionnaireVersion | None = None,
) -> Diagnosis:
    _require_open(episode)
    version = questionnaire_version or current_version()
    diagnosis = Diagnosis.objects.create(
        episode=episode, questionnaire_version=version, by_person=by_person, started_by=by
    )
    _event(
        episode, by, EVENT_DIAGNOSIS_STARTED, diagnosis=diagnosis.pk, version=version.pk, by_person=by_person
    )
    logger.info("diagnosis=%s started episode=%s by=%s", diagnosis.pk, episode.pk, getattr(by, "pk", None))
    return diagnosis


def _lock_diagnosis(diagnosis: Diagnosis, expected_version: int | None) -> Diagnosis:
    related = Diagnosis.objects.select_related("questionnaire_version", "episode")
    current = lock_for_update(diagnosis, expected_version, queryset=related)
    if current.is_completed:
        raise ValidationError("this diagnosis is completed; its answers can no longer change")
    return current


@transaction.atomic
def save_answers(
    diagnosis: Diagnosis, *, by, section_id: str, answers: dict, expected_version: int | None = None
) -> Diagnosis:
    """Replace the answers of one section (answers already cleaned by forms.SectionForm)."""
    diagnosis = _lock_diagnosis(diagnosis, expected_version)
    section = next((s for s in q.sections(diagnosis.definition) if s["id"] == section_id), None)
    if section is None:
        raise ValidationError(f"unknown section {section_id!r}")
    ids = {question["id"] for question in section["questions"]}
    unknown = set(answers) - ids
    if unknown:
        raise ValidationError(f"unknown questions for section {section_id}: {sorted(unknown)}")
    merged = {k: v for k, v in diagnosis.answers.items() if k not in ids}
    merged.update({k: v for k, v in answers.items() if v not in (None, "", [])})
    diagnosis.answers = merged
    save_with_version(diagnosis, ["answers"])
    _event(
        diagnosis.episode, by, EVENT_ANSWERS_SAVED, diagnosis=diagnosis.pk, questionnaire_section=section_id
    )
    return diagnosis


@transaction.atomic
def complete_diagnosis(diagnosis: Diagnosis, *, by, expected_version: int | None = None) -> Diagnosis:
    """Close the questionnaire: barriers, skills and digital autonomy are derived from the answers."""
    diagnosis = _lock_diagnosis(diagnosis, expected_version)
    episode = diagnosis.episode
    _require_open(episode)
    definition, answers = diagnosis.definition, diagnosis.answers
    barriers = [
        Barrier(diagnosis=diagnosis, kind=b["kind"], severity=b["severity"], note=b["note"], recorded_by=by)
        for b in q.detected_barriers(definition, answers)
    ]
    for barrier in barriers:
        barrier.section = section_of(barrier.kind)
    Barrier.objects.bulk_create(barriers)
    person = Person.objects.get(pk=episode.person_id)
    Skill.objects.bulk_create(
        Skill(
            person=person,
            diagnosis=diagnosis,
            label=item["label"][:200],
            source=item.get("source") or Skill.Source.OTHER,
            attested_by=item.get("attested_by", "")[:150],
            attested_organisation=item.get("attested_organisation", "")[:200],
            recorded_by=by,
        )
        for item in q.declared_skills(definition, answers)
    )
    score = q.digital_score(definition, answers)
    level = q.digital_level(definition, answers)
    diagnosis.status = Diagnosis.Status.COMPLETED
    diagnosis.completed_at = timezone.now()
    diagnosis.digital_autonomy = level or ""
    diagnosis.digital_points = score[0] if score else None
    save_with_version(diagnosis, ["status", "completed_at", "digital_autonomy", "digital_points"])
    SelfDiagnosisInvitation.objects.filter(diagnosis=diagnosis, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    general = [b for b in barriers if b.section == Section.GENERAL]
    _event(
        episode,
        by,
        EVENT_DIAGNOSIS_COMPLETED,
        diagnosis=diagnosis.pk,
        by_person=diagnosis.by_person,
        barriers=sorted(b.kind for b in general),
        digital_autonomy=level,
    )
    for barrier in barriers:
        if barrier.section != Section.GENERAL:
            _event(
                episode, by, EVENT_BARRIER_RECORDED, barrier.section, barrier=barrier.pk, kind=barrier.kind
            )
    if level:
        set_digital_autonomy(person, by=by, level=level, episode=episode)
    for hook in _on_completed:
        hook(diagnosis.episode)
    return diagnosis


@transaction.atomic
def record_barrier(
    diagnosis: Diagnosis, *, by, kind: str, severity: str = Severity.MEDIUM, note: str = ""
) -> Barrier:
    """A barrier noted by the counselor (during or after the questionnaire)."""
    episode = diagnosis.episode
    _require_open(episode)
    if kind not in BarrierKind.values or severity not in Severity.values:
        raise ValidationError("unknown barrier kind or severity")
    section = section_of(kind)
    if section != Section.GENERAL and not access.can_see_sensitive(by, episode):
        raise PermissionDenied("only the referent or a granted member may record a health or justice barrier")
    barrier = Barrier.objects.create(
        diagnosis=diagnosis, kind=kind, severity=severity, note=note, recorded_by=by
    )
    _event(
        episode, by, EVENT_BARRIER_RECORDED, section, barrier=barrier.pk, kind=kind, diagnosis=diagnosis.pk
    )
    return barrier


@transaction.atomic
def add_skill(
    person: Person,
    *,
    by,
    label: str,
    source: str,
    episode: SupportEpisode | None = None,
    diagnosis: Diagnosis | None = None,
    attested_by: str = "",
    attested_organisation: str = "",
    attested_at: datetime.date | None = None,
) -> Skill:
    if not label.strip():
        raise ValidationError("a skill needs a label")
    if source not in Skill.Source.values:
        raise ValidationError("unknown skill source")
    if attested_at and not (attested_by or attested_organisation):
        raise ValidationError("an attestation date needs the name or organisation of the attesting person")
    skill = Skill.objects.create(
        person=person,
        diagnosis=diagnosis,
        label=label.strip(),
        source=source,
        attested_by=attested_by,
        attested_organisation=attested_organisation,
        attested_at=attested_at,
        recorded_by=by,
    )
    CaseEvent.objects.create(
        person=person,
        episode=episode or (diagnosis.episode if diagnosis else None),
        actor=by,
        kind=CaseEvent.Kind.OTHER,
        data={"what": EVENT_SKILL_ADDED, "skill": skill.pk, "source": source, "attested": skill.is_attested},
    )
    return skill


def channels_for(level: str, current: list[str]) -> list[str]:
    """Digital exclusion moves contact off-line: without autonomy, phone and in person only; with
    partial autonomy, phone and in person first, then what the person already had; an autonomous
    person keeps their own choice."""
    if level == DigitalAutonomy.NONE:
        return list(OFFLINE_CHANNELS)
    if level == DigitalAutonomy.PARTIAL:
        return [*OFFLINE_CHANNELS, *(c for c in current if c not in OFFLINE_CHANNELS)]
    return list(current) or [Channel.EMAIL, Channel.PHONE]


@transaction.atomic
def set_digital_autonomy(person: Person, *, by, level: str, episode: SupportEpisode | None = None) -> Person:
    if level not in DigitalAutonomy.values:
        raise ValidationError("unknown digital autonomy level")
    current = Person.objects.select_for_update().get(pk=person.pk)
    channels = channels_for(level, list(current.preferred_channels))
    before = current.digital_autonomy
    current = case_actions.update_person(
        current, by=by, expected_version=current.version, digital_autonomy=level, preferred_channels=channels
    )
    CaseEvent.objects.create(
        person=current,
        episode=episode,
        actor=by,
        kind=CaseEvent.Kind.OTHER,
        data={"what": EVENT_DIGITAL_AUTONOMY_SET, "from": before, "to": level, "channels": channels},
    )
    return current


@transaction.atomic
def create_self_diagnosis_invitation(
    episode: SupportEpisode, *, by, days: int | None = None
) -> tuple[SelfDiagnosisInvitation, str]:
    """A draft self-diagnosis and the one-time signed link to fill it; the token is shown once."""
    diagnosis = start_diagnosis(episode, by=by, by_person=True)
    invitation = SelfDiagnosisInvitation.objects.create(
        episode=episode, diagnosis=diagnosis, created_by=by, expires_at=expiry(days)
    )
    _event(episode, by, EVENT_INVITATION_CREATED, invitation=invitation.pk, diagnosis=diagnosis.pk)
    return invitation, make_token(invitation)


# --- Action plan -----------------------------------------------------------------------------


def _plan(episode: SupportEpisode, by) -> ActionPlan:
    plan, _ = ActionPlan.objects.get_or_create(episode=episode, defaults={"created_by": by})
    return plan


def _check_barrier(episode: SupportEpisode, barrier: Barrier | None, by) -> None:
    if barrier is None:
        return
    if barrier.diagnosis.episode_id != episode.pk:
        raise ValidationError("this barrier belongs to another episode")
    if barrier.section != Section.GENERAL and not access.can_see_sensitive(by, episode):
        raise PermissionDenied("only the referent or a granted member may link a health or justice barrier")


@transaction.atomic
def add_action(
    episode: SupportEpisode,
    *,
    by,
    goal: str,
    owner: str = Action.Owner.PERSON,
    due_on: datetime.date | None = None,
    barrier: Barrier | None = None,
    career_goal: str = "",
    suggestion_key: str = "",
) -> Action:
    _require_open(episode)
    if not goal.strip():
        raise ValidationError("an action needs a goal")
    if owner not in Action.Owner.values:
        raise ValidationError("unknown owner")
    _check_barrier(episode, barrier, by)
    try:
        with transaction.atomic():
            action = Action.objects.create(
                plan=_plan(episode, by),
                goal=goal.strip()[:300],
                owner=owner,
                due_on=due_on,
                barrier=barrier,
                career_goal=career_goal.strip(),
                suggestion_key=suggestion_key,
                section=barrier.section if barrier else Section.GENERAL,
                created_by=by,
            )
    except IntegrityError as exc:
        raise ValidationError("this suggested action is already in the plan") from exc
    _event(
        episode,
        by,
        EVENT_ACTION_ADDED,
        action.section,
        action=action.pk,
        barrier=barrier.pk if barrier else None,
        suggestion=suggestion_key or None,
    )
    return action


@transaction.atomic
def accept_suggested_action(
    episode: SupportEpisode, *, by, barrier: Barrier, key: str, language: str | None = None
) -> Action:
    """One click: the suggestion of the data table becomes an action of the plan, linked to the barrier."""
    suggestion = suggestions.find_suggestion(barrier.kind, key)
    if suggestion is None:
        raise ValidationError("no such suggestion for this barrier")
    days = suggestion.get("due_in_days")
    return add_action(
        episode,
        by=by,
        goal=suggestions.goal_text(suggestion, language),
        owner=suggestion.get("owner", Action.Owner.PERSON),
        due_on=timezone.localdate() + datetime.timedelta(days=days) if days is not None else None,
        barrier=barrier,
        suggestion_key=key,
    )


ACTION_FIELDS = ("goal", "owner", "due_on", "status", "career_goal")
# What the person may change from their own space: the status (done) and their note.
PERSON_ACTION_FIELDS = ("status", "person_note")


@transaction.atomic
def update_action(
    action: Action, *, by, expected_version: int | None = None, by_person: bool = False, **changes
) -> Action:
    """`by_person`: the person themselves, from their space (`by` is then None): only
    PERSON_ACTION_FIELDS, on any action of their own plan (it is their own file)."""
    allowed = PERSON_ACTION_FIELDS if by_person else ACTION_FIELDS
    unknown = set(changes) - set(allowed)
    if unknown:
        raise TypeError(f"unknown action fields: {sorted(unknown)}")
    current = lock_for_update(
        action, expected_version, queryset=Action.objects.select_related("plan__episode")
    )
    episode = current.plan.episode
    _require_open(episode)
    if not by_person and current.section != Section.GENERAL and not access.can_see_sensitive(by, episode):
        raise PermissionDenied("only the referent or a granted member may change this action")
    if "status" in changes and changes["status"] not in Action.Status.values:
        raise ValidationError("unknown status")
    if "owner" in changes and changes["owner"] not in Action.Owner.values:
        raise ValidationError("unknown owner")
    if "goal" in changes and not str(changes["goal"]).strip():
        raise ValidationError("an action needs a goal")
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    if not changed:
        return current
    before = current.status
    for name in changed:
        setattr(current, name, changes[name])
    save_with_version(current, changed)
    _event(
        episode,
        by,
        EVENT_ACTION_UPDATED,
        current.section,
        action=current.pk,
        fields=sorted(changed),
        status={"from": before, "to": current.status} if "status" in changed else None,
        **({"by_person": True} if by_person else {}),
    )
    return current


def change_action_status(action: Action, *, by, status: str, expected_version: int | None = None) -> Action:
    return update_action(action, by=by, expected_version=expected_version, status=status)


# --- Orientation -----------------------------------------------------------------------------


@transaction.atomic
def decide_orientation(
    episode: SupportEpisode,
    *,
    by,
    chosen_intensity: str,
    chosen_approach: str,
    reason: str = "",
    services: list[str] | tuple = (),
    diagnosis: Diagnosis | None = None,
    expected_version: int | None = None,
) -> Orientation:
    """Record the counselor's decision and apply it to the episode. The suggestion is computed again
    here, from the rules as they are now; a decision that differs from it needs a reason."""
    _require_open(episode)
    if chosen_intensity not in Intensity.values or chosen_approach not in Approach.values:
        raise ValidationError("unknown intensity or approach")
    if diagnosis is not None and diagnosis.episode_id != episode.pk:
        raise ValidationError("this diagnosis belongs to another episode")
    diagnosis = diagnosis or orientation_rules.latest_diagnosis(episode)
    suggestion = orientation_rules.suggest_for_episode(
        episode, diagnosis, can_see_sensitive=access.can_see_sensitive(by, episode)
    )
    follows = (chosen_intensity, chosen_approach) == (suggestion.intensity, suggestion.approach)
    reason = reason.strip()
    if not follows and not reason:
        raise ValidationError("a reason is required when the decision differs from the suggestion")
    services = [s.strip()[:200] for s in services if s and s.strip()]
    orientation = Orientation.objects.create(
        episode=episode,
        diagnosis=diagnosis,
        rule=suggestion.rule,
        facts=suggestion.facts.as_dict(),
        suggested_intensity=suggestion.intensity,
        suggested_approach=suggestion.approach,
        chosen_intensity=chosen_intensity,
        chosen_approach=chosen_approach,
        reason=reason,
        services=services,
        decided_by=by,
    )
    current = SupportEpisode.objects.get(pk=episode.pk)
    check_version(current, expected_version)
    if (current.intensity, current.approach) != (chosen_intensity, chosen_approach):
        case_actions.change_intensity(
            current,
            by=by,
            intensity=chosen_intensity,
            approach=chosen_approach,
            reason=reason or FOLLOWED_SUGGESTION,
            expected_version=expected_version,
        )
    _event(
        episode,
        by,
        EVENT_ORIENTATION_DECIDED,
        orientation=orientation.pk,
        rule=suggestion.rule.pk if suggestion.rule else None,
        suggested={"intensity": suggestion.intensity, "approach": suggestion.approach},
        chosen={"intensity": chosen_intensity, "approach": chosen_approach},
        follows_suggestion=follows,
    )
    logger.info("orientation=%s episode=%s by=%s follows=%s", orientation.pk, episode.pk, by.pk, follows)
    return orientation
