"""What anonymising a person removes, and what it keeps for the indicators and experiments.

Kept: every date, stage, intensity, channel, duration, code and outcome (episodes, contacts'
dates and channels, referrals' statuses, employment outcomes' contract types and ROME codes,
experiment assignments), the person's sex, birth *year*, status, minimum income, priority area,
RQTH and digital autonomy (the indicators' and experiments' subgroups and covariates), the
territory of each episode (``SupportEpisode.commune``), and the audit trail (case events hold codes
only; access logs expire on their own delay).

Removed: names, contact details, address, commune of residence, the exact birth date (1 July of
the birth year stays: ages move by less than a year), every free text written about the person,
free-text and date answers of the diagnosis, messages and attachments, the portal account.

``SCRUBBED`` is the one table of free text: (model, path to the person, fields emptied).
``KEPT`` names the text-like fields of person-linked models that stay, each with its reason;
``tests/privacy/test_anonymisation.py`` fails when a person-linked model has a text field in
neither, so a new field must be classified here.
"""

from __future__ import annotations

import datetime

from django.db.models import Model, QuerySet

from parcours.cases.models import Appointment, Contact, ReferentAssignment, StageTransition
from parcours.catalogue.models import Referral, ReferralTransition
from parcours.conversations.models import Attachment, Message, Thread
from parcours.diagnosis import questionnaire
from parcours.diagnosis.models import Action, Barrier, Diagnosis, Orientation, Skill
from parcours.labour.models import TargetOccupation, WorkPlacement
from parcours.messaging.models import OutboundMessage
from parcours.obligations.models import Obligation, SanctionProcedure
from parcours.outcomes.models import EmploymentOutcome
from parcours.people.models import Consent, Person
from parcours.portal.models import PersonAccount
from parcours.profiling.models import ProfilingScore

ANONYMOUS_FIRST_NAME = "Personne"
ANONYMOUS_LAST_NAME = "anonymisée"

SCRUBBED: list[tuple[type[Model], str, tuple[str, ...]]] = [
    (Consent, "person", ("note",)),
    (StageTransition, "episode__person", ("reason",)),
    (ReferentAssignment, "episode__person", ("reason",)),
    (Contact, "episode__person", ("summary",)),
    (Appointment, "episode__person", ("purpose",)),
    (Barrier, "diagnosis__episode__person", ("note",)),
    (Skill, "person", ("attested_by", "attested_organisation")),
    (Action, "plan__episode__person", ("career_goal", "person_note")),
    (Orientation, "episode__person", ("reason",)),
    (Referral, "episode__person", ("message", "outcome_note")),
    (ReferralTransition, "referral__episode__person", ("reason",)),
    (ProfilingScore, "episode__person", ("override_reason",)),
    (TargetOccupation, "project__episode__person", ("evidence",)),
    (
        WorkPlacement,
        "project__episode__person",
        ("host_name", "host_establishment", "host_comment", "person_comment"),
    ),
    (OutboundMessage, "person", ("to", "subject", "body", "last_error")),
    (Thread, "episode__person", ("subject",)),
    (Message, "thread__episode__person", ("author_label", "body")),
    (EmploymentOutcome, "episode__person", ("job_title", "siret", "employer_name", "employer_email")),
    (Obligation, "episode__person", ("other",)),
    (
        SanctionProcedure,
        "episode__person",
        ("breach", "evidence", "override_reason", "observations", "decision_reasons"),
    ),
]

# Text-like fields of person-linked models that anonymisation keeps, and why.
KEPT: dict[str, str] = {
    "people.Person.preferred_channels": "emptied by anonymise (not free text: channel codes)",
    "people.Person.first_name": "replaced by anonymise",
    "people.Person.last_name": "replaced by anonymise",
    "people.Person.email": "emptied by anonymise",
    "people.Person.phone": "emptied by anonymise",
    "people.Person.address": "emptied by anonymise",
    "cases.FollowUpMember.role": "the professional's role (social worker...), not about the person",
    "cases.CaseEvent.data": "ids and codes only (CaseEvent's rule); audit trail",
    "cases.AccessLog.route": "route pattern; audit trail, deleted after its own delay",
    "diagnosis.Diagnosis.answers": "free-text and date answers removed by anonymise; coded answers kept",
    "diagnosis.Skill.label": "the skill itself (matching, statistics), not identifying",
    "diagnosis.Action.goal": "kept when it comes from the suggestions (suggestion_key); emptied otherwise",
    "diagnosis.Action.suggestion_key": "code of a suggested action",
    "diagnosis.Orientation.facts": "codes and counts the orientation rule read",
    "diagnosis.Orientation.services": "catalogue service ids",
    "catalogue.Referral.shared_fields": "codes of the fields shared",
    "catalogue.Referral.barriers": "barrier kind codes",
    "profiling.ProfilingScore.top_factors": "model feature names and contributions",
    "profiling.ProfilingScore.inputs_hash": "hash of the model inputs",
    "labour.CareerProject.declared_skills": "skill labels, not identifying",
    "evaluation.SurveyInvitation.channel": "channel code",
    "evaluation.Outbox.channel": "channel code",
    "evaluation.Outbox.recipient": "emptied by anonymise",
    "evaluation.Outbox.subject": "emptied by anonymise",
    "evaluation.Outbox.body": "emptied by anonymise",
    "evaluation.Outbox.error": "emptied by anonymise",
    "evaluation.Assignment.unit_key": "experiment unit id (the arm can be recomputed from it)",
    "evaluation.Assignment.cluster_key": "experiment cluster id",
    "evaluation.Assignment.stratum": "experiment stratum codes",
    "messaging.OutboundMessage.provider_id": "the provider's message id, not personal",
    "messaging.OutboundMessage.dedupe_key": "ids and codes",
    "conversations.Attachment.file": "attachments are deleted by anonymise",
    "conversations.Attachment.name": "attachments are deleted by anonymise",
    "conversations.Attachment.content_type": "attachments are deleted by anonymise",
    "portal.PersonAccount.login": "the account is deleted by anonymise",
    "portal.PersonAccount.email": "the account is deleted by anonymise",
    "portal.PersonAccount.phone": "the account is deleted by anonymise",
    "portal.PersonAccount.password": "the account is deleted by anonymise",
    "portal.PersonAccount.franceconnect_sub": "the account is deleted by anonymise",
    "portal.LoginCode.code_hash": "deleted with the account",
    "portal.LoginCode.channel": "deleted with the account",
    "outcomes.EmploymentOutcome.rome_code": "the occupation (indicators)",
    "outcomes.EmploymentOutcome.occupation_label": "the occupation's label (ROME)",
    "outcomes.CheckIn.difficulties": "barrier kind codes",
    "obligations.SanctionProcedure.decision": "code of the organisation's sanction ladder step",
    "obligations.SanctionProcedure.decision_label": "the ladder step's label (organisation's text, not the person's)",
    "agenda.AppointmentLink.token_hash": "hash of a one-time link, expired once the appointment started",
    "agenda.AppointmentLink.used_for": "code of what the link was used for",
    "obligations.SanctionProcedure.shortfalls": "what the organisation did not deliver (generated, codes and counts)",
}

# Diagnosis answers kept: coded answers (choices, numbers, yes/no).
KEPT_ANSWER_TYPES = {"choice", "multi", "number", "boolean"}


def _rows(model: type[Model], path: str, person: Person) -> QuerySet:
    return model.objects.filter(**{path: person})


def coded_answers(definition: dict, answers: dict) -> dict:
    """The answers to coded questions only (no free text, no dates)."""
    by_id = questionnaire.question_map(definition)
    return {
        qid: value
        for qid, value in answers.items()
        if qid in by_id and by_id[qid].get("type") in KEPT_ANSWER_TYPES
    }


def scrub_person(person: Person, *, now: datetime.datetime) -> dict[str, int]:
    """Remove the person's identity and every free text about them (see the module docstring).
    Returns the number of rows changed or deleted per model. The caller holds the transaction."""
    from parcours.evaluation.models import Outbox

    counts: dict[str, int] = {}
    person.first_name = ANONYMOUS_FIRST_NAME
    person.last_name = ANONYMOUS_LAST_NAME
    person.birth_date = datetime.date(person.birth_date.year, 7, 1)
    person.email = person.phone = person.address = ""
    person.commune = None
    person.preferred_channels = []
    person.anonymised_at = now
    person.version += 1
    person.save()
    for model, path, fields in SCRUBBED:
        changed = _rows(model, path, person).update(**dict.fromkeys(fields, ""))
        counts[model._meta.label] = changed
    counts["diagnosis.Action"] = counts.get("diagnosis.Action", 0) + _rows(
        Action, "plan__episode__person", person
    ).filter(suggestion_key="").update(goal="")
    counts["evaluation.Outbox"] = _rows(Outbox, "invitation__episode__person", person).update(
        recipient="", subject="", body="", error=""
    )
    diagnoses = _rows(Diagnosis, "episode__person", person).select_related("questionnaire_version")
    changed = 0
    for diagnosis in diagnoses:
        kept = coded_answers(diagnosis.definition, diagnosis.answers or {})
        if kept != diagnosis.answers:
            diagnosis.answers = kept
            diagnosis.save(update_fields=["answers"])
            changed += 1
    counts["diagnosis.Diagnosis"] = changed
    attachments = list(_rows(Attachment, "message__thread__episode__person", person))
    for attachment in attachments:
        attachment.file.delete(save=False)
    counts["conversations.Attachment"] = _rows(
        Attachment, "message__thread__episode__person", person
    ).delete()[0]
    counts["portal.PersonAccount"] = PersonAccount.objects.filter(person=person).delete()[0]
    return counts
