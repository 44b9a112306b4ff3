"""JSON API of intake: a new person with their first episode, a new episode for a person already
known. Both call parcours.intake.actions, like the pages.

The operations join the routers of cases (same paths as GET /persons and GET /episodes, which
django-ninja serves from one router per path); intake imports cases, never the reverse."""

from django.shortcuts import get_object_or_404
from ninja import Field
from ninja.errors import HttpError
from ninja.responses import Status as HttpStatus

from parcours.cases import access
from parcours.cases.api import active_user, site_of
from parcours.cases.api import router as episodes_router
from parcours.cases.person_api import _plain, case_organisation, commune_from_text, person_detail
from parcours.cases.person_api import router as persons_router
from parcours.cases.person_schemas import PersonDetailOut, PersonIn
from parcours.cases.schemas import EpisodeIn, EpisodeOut
from parcours.intake import actions
from parcours.outcomes.api import CurrentJobIn


class NewPersonIn(PersonIn):
    current_job: CurrentJobIn | None = Field(
        None,
        description="L'emploi occupé à l'entrée : obligatoire si la situation est employed ou self_employed, "
        "refusé sinon (400).",
    )


def _current_job(job: CurrentJobIn | None) -> dict | None:
    if job is None:
        return None
    return {name: _plain(value) for name, value in job.dict().items()}


@persons_router.post("/persons", response={201: PersonDetailOut}, url_name="person_create")
def create_person(request, payload: NewPersonIn):
    """Create a person and open their episode with the caller's organisation, in one transaction:
    a person without an episode would be visible to nobody."""
    user = request.auth
    organisation = case_organisation(user, payload.episode.organisation)
    fields = {
        name: _plain(value)
        for name, value in payload.dict(
            exclude={"episode", "ignore_duplicates", "status", "invite_to_portal", "current_job"}
        ).items()
    }
    fields["commune"] = commune_from_text(fields["commune"])
    try:
        episode = actions.admit_person(
            by=user,
            person_fields=fields,
            status=_plain(payload.status),
            ignore_duplicates=payload.ignore_duplicates,
            invite_to_portal=payload.invite_to_portal,
            current_job=_current_job(payload.current_job),
            organisation=organisation,
            intensity=_plain(payload.episode.intensity),
            approach=_plain(payload.episode.approach),
            contact_target_days=payload.episode.contact_target_days,
        )
    except actions.PossibleDuplicates as found:
        ids = ", ".join(str(person.public_id) for person, _score in found.matches)
        raise HttpError(
            409, f"possible duplicates: {ids}; send ignore_duplicates=true to create anyway"
        ) from None
    return HttpStatus(201, person_detail(request, episode.person, route="api:person_create"))


@episodes_router.post("/episodes", response={201: EpisodeOut}, url_name="episode_open")
def open_episode(request, payload: EpisodeIn):
    """Open an episode for a person already known (found as a duplicate, or whose previous episode
    with the caller's organisation is closed)."""
    user = request.auth
    person = get_object_or_404(access.reachable_people(user), public_id=payload.person)
    organisation = case_organisation(user, payload.organisation)
    referent = active_user(payload.referent) if payload.referent else user
    episode = actions.open_episode(
        person,
        by=user,
        organisation=organisation,
        referent=referent,
        intensity=_plain(payload.intensity),
        approach=_plain(payload.approach),
        site=site_of(organisation.pk, payload.site),
        started_on=payload.started_on,
        contact_target_days=payload.contact_target_days,
    )
    return HttpStatus(201, episode)
