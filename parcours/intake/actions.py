"""Intake: what happens when a person is taken in, composed across the apps it spans.

A new person (with the duplicate check) or a person already known, an episode opened with one
of the counselor's organisations, the current job of a person employed at entry (an employment
outcome of kind "emploi occupé à l'entrée", through parcours.outcomes.actions), then, once the transaction commits, a first profiling score
requested in the background and the person assigned to the running experiments they are
eligible for. The pages, the API and the CLI call these two functions; cases knows nothing of
profiling or evaluation.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from parcours.cases import access
from parcours.cases import actions as case_actions
from parcours.cases.models import SupportEpisode
from parcours.evaluation.assignment import assign_if_eligible
from parcours.outcomes import actions as outcome_actions
from parcours.outcomes.models import EmploymentOutcome, Source
from parcours.people.models import Person, Status
from parcours.profiling.tasks import request_score

logger = logging.getLogger(__name__)


# A person in one of these situations at intake is asked for their current job (issue 13, R4).
EMPLOYED_AT_ENTRY = {Status.EMPLOYED, Status.SELF_EMPLOYED}


def check_current_job(status: str | None, current_job: dict | None) -> None:
    """The job is required for a person employed at entry, and only for them."""
    if status in EMPLOYED_AT_ENTRY and not current_job:
        raise ValidationError({"current_job": "the current job is required for a person employed at entry"})
    if current_job and status not in EMPLOYED_AT_ENTRY:
        raise ValidationError(
            {"current_job": "a current job is recorded only for a person employed at entry"}
        )


class PossibleDuplicates(Exception):
    """People the counselor's organisations can reach who may be the person being admitted."""

    def __init__(self, matches: list[tuple[Person, int]]):
        super().__init__(f"{len(matches)} possible duplicate(s)")
        self.matches = matches


# The invitation to the person's space belongs to parcours.portal, which sits above intake: it
# registers its action here in its AppConfig.ready() (docs/architecture.md).
_portal_inviter = None


def register_portal_inviter(invite) -> None:
    """`invite(person, *, by)`: the portal's invite_person."""
    global _portal_inviter
    _portal_inviter = invite


@transaction.atomic
def admit_person(
    *,
    by,
    person_fields: dict,
    status: str | None = None,
    organisation,
    ignore_duplicates: bool = False,
    invite_to_portal: bool = False,
    current_job: dict | None = None,
    **episode_fields,
) -> SupportEpisode:
    """Create the person and open their episode in one transaction (a person without an episode
    would be visible to nobody). Raises PossibleDuplicates unless `ignore_duplicates`.
    `invite_to_portal`: the person is invited to their space at once (an e-mail address or a
    mobile number is needed: ValidationError otherwise, and nothing is created).
    `current_job`: required when the status says the person is employed at entry (and refused
    otherwise); the keyword arguments of outcomes.actions.record_outcome describing the job, which
    is recorded as an outcome of kind "emploi occupé à l'entrée" (an invalid one: ValidationError,
    nothing is created)."""
    check_current_job(status or Status.JOB_SEEKER, current_job)
    if not ignore_duplicates:
        matches = access.reachable_people(by).possible_duplicates(
            first_name=person_fields["first_name"],
            last_name=person_fields["last_name"],
            birth_date=person_fields["birth_date"],
        )
        if matches:
            raise PossibleDuplicates(matches)
    extra = {"status": status} if status else {}
    person = case_actions.create_person(by=by, **extra, **person_fields)
    episode = open_episode(person, by=by, organisation=organisation, **episode_fields)
    if current_job:
        outcome_actions.record_outcome(
            episode,
            by=by,
            **{"source": Source.COUNSELOR, **current_job},
            kind=EmploymentOutcome.Kind.CURRENT_JOB,
        )
    if invite_to_portal:
        _portal_inviter(person, by=by)
    logger.info("person=%s admitted episode=%s by=%s", person.pk, episode.pk, by.pk)
    return episode


@transaction.atomic
def open_episode(person: Person, *, by, organisation, **episode_fields) -> SupportEpisode:
    """Open an episode (cases.actions.open_episode), then after commit: the profiling score and the
    assignment to running experiments. After commit, so that a failure there never undoes the
    opening, and the randomisation reads a committed episode."""
    episode = case_actions.open_episode(person, by=by, organisation=organisation, **episode_fields)
    request_score(episode)  # enqueues on commit
    transaction.on_commit(lambda: assign_if_eligible(episode, by=by), robust=True)
    return episode
