"""JSON API for people: identity, status, consents, duplicate search.

Reads go through `access.people(user)` (404 otherwise); writes call parcours/cases/actions.py,
the same functions as the HTML views. Who may write: a counselor or manager of an organisation that
holds an open episode for the person ("file holder"); follow-up members from other organisations read only.
"""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status as HttpStatus

from parcours.cases import access, actions
from parcours.cases.person_schemas import (
    ConsentIn,
    ConsentOut,
    DuplicateOut,
    PersonDetailOut,
    PersonOut,
    PersonPatch,
    StatusIn,
)
from parcours.organisations import communes
from parcours.organisations.models import Organisation, Territory
from parcours.people.models import Consent, Person, Status

router = Router(tags=["personnes"])

# Bounds of every integer that reaches SQL: larger values would overflow a 64-bit column (500).
MAX_ID = 2**63 - 1
MAX_LIMIT = 100
MAX_OFFSET = 2**31 - 1
NO_NUL = r"^[^\x00]*$"


class Pagination(LimitOffsetPagination):
    """limit/offset pagination with bounded parameters: `{"items": [...], "count": n}`."""

    class Input(Schema):
        limit: int = Field(settings.PARCOURS_PAGE_SIZE, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, **kwargs):
        super().__init__(max_limit=MAX_LIMIT, **kwargs)


class LoggedPagination(Pagination):
    """Pagination of people or of rows of their files (episodes, contacts, appointments): the read
    of each person's file on the page is logged, as for any other read."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        items = page[self.items_attribute] = list(page[self.items_attribute])
        route = f"api:{request.resolver_match.url_name}"
        access.log_read([_person_of(item) for item in items], user=request.auth, route=route)
        return page


def _person_of(row) -> Person:
    if isinstance(row, Person):
        return row
    if hasattr(row, "person_id"):
        return Person(pk=row.person_id)
    return Person(pk=row.episode.person_id)


def case_organisation(user, public_id: uuid.UUID | None) -> Organisation:
    """The organisation an episode is opened with: one of the caller's case organisations."""
    org_ids = user.case_organisation_ids()
    if not org_ids:
        raise PermissionDenied("only counselors and managers can open an episode")
    organisations = Organisation.objects.filter(pk__in=org_ids)
    if public_id is None:
        if len(org_ids) > 1:
            raise ValidationError("organisation is required: you belong to several organisations")
        return organisations.get()
    organisation = organisations.filter(public_id=public_id).first()
    if organisation is None:
        raise PermissionDenied("you are not a counselor or manager of this organisation")
    return organisation


def commune_from_text(text: str | None) -> Territory | None:
    """The commune given as an INSEE code (which wins), a name or a postcode: an unknown or
    ambiguous one raises communes.CommuneError, answered 422 with the candidates (config/api.py)."""
    return communes.resolve(text or "", insee_first=True)


def find_duplicates(user, *, first_name: str, last_name: str, birth_date: datetime.date, exclude=None):
    candidates = access.reachable_people(user)
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    matches = candidates.possible_duplicates(
        first_name=first_name, last_name=last_name, birth_date=birth_date
    )
    visible = set(access.people(user).filter(pk__in=[p.pk for p, _ in matches]).values_list("pk", flat=True))
    return [
        {
            "public_id": p.public_id,
            "first_name": p.first_name,
            "last_name": p.last_name,
            "birth_date": p.birth_date,
            "score": score,
            "is_visible": p.pk in visible,
        }
        for p, score in matches
    ]


def person_detail(request, person: Person, *, route: str) -> Person:
    """Decorate `person` for PersonDetailOut and record the read in the access log."""
    user = request.auth
    person.visible_episodes = list(
        access.episodes(user)
        .filter(person=person)
        .select_related("organisation", "referent")
        .order_by("-started_on", "-pk")
    )
    org_ids = set(user.case_organisation_ids())
    person.can_edit = any(e.is_open and e.organisation_id in org_ids for e in person.visible_episodes)
    person.can_see_sensitive = any(e.referent_id == user.pk for e in person.visible_episodes) or (
        access.sensitive_episodes(user).filter(person=person).exists()
    )
    access.log_read(person, user=user, route=route)
    return person


def _plain(value):
    """Enum members to their values (the models store plain strings)."""
    if isinstance(value, list):
        return [getattr(v, "value", v) for v in value]
    return getattr(value, "value", value)


# --- Persons ---------------------------------------------------------------------------------


@router.get("/persons", response=list[PersonOut], url_name="person_list")
@paginate(LoggedPagination)
def list_persons(
    request,
    q: str | None = Query(None, max_length=100, pattern=NO_NUL, description="Début du nom de famille"),
    status: Status | None = None,
):
    persons = access.people(request.auth).select_related("commune")
    if q:
        persons = persons.filter(last_name__istartswith=q.strip())
    if status:
        persons = persons.filter(status=status)
    return persons.order_by("last_name", "first_name", "pk")


@router.get("/persons/duplicates", response=list[DuplicateOut], url_name="person_duplicates")
def search_duplicates(
    request,
    birth_date: datetime.date,
    first_name: str = Query(..., min_length=1, max_length=100, pattern=NO_NUL),
    last_name: str = Query(..., min_length=1, max_length=100, pattern=NO_NUL),
):
    """Possible duplicates before creating a person (same birth date, close names)."""
    return find_duplicates(request.auth, first_name=first_name, last_name=last_name, birth_date=birth_date)


@router.get("/persons/{public_id}", response=PersonDetailOut, url_name="person_detail")
def get_person(request, public_id: uuid.UUID):
    person = access.person_for(request.auth, public_id)
    return person_detail(request, person, route="api:person_detail")


@router.patch("/persons/{public_id}", response=PersonDetailOut, url_name="person_update")
def update_person(request, public_id: uuid.UUID, payload: PersonPatch):
    user = request.auth
    person = access.person_for(request.auth, public_id)
    access.require_manage_person(user, person)
    changes = {name: _plain(value) for name, value in payload.dict(exclude_unset=True).items()}
    version = changes.pop("version")
    if "commune" in changes:
        changes["commune"] = commune_from_text(changes["commune"])
    if (
        "disability_recognition" in changes
        and not access.sensitive_episodes(user).filter(person=person).exists()
    ):
        raise PermissionDenied("only the referent or a granted member may change sensitive information")
    person = actions.update_person(person, by=user, expected_version=version, **changes)
    return person_detail(request, person, route="api:person_update")


@router.post("/persons/{public_id}/status", response=PersonDetailOut, url_name="person_change_status")
def change_status(request, public_id: uuid.UUID, payload: StatusIn):
    user = request.auth
    person = access.person_for(request.auth, public_id)
    access.require_manage_person(user, person)
    if payload.since and payload.since > timezone.localdate() + datetime.timedelta(days=366):
        raise ValidationError("the status date is too far in the future")
    person = actions.change_status(person, by=user, status=_plain(payload.status), since=payload.since)
    return person_detail(request, person, route="api:person_change_status")


@router.get("/persons/{public_id}/duplicates", response=list[DuplicateOut], url_name="person_duplicates_of")
def person_duplicates(
    request,
    public_id: uuid.UUID,
    first_name: str | None = Query(None, min_length=1, max_length=100, pattern=NO_NUL),
    last_name: str | None = Query(None, min_length=1, max_length=100, pattern=NO_NUL),
    birth_date: datetime.date | None = None,
):
    """Possible duplicates of a person (their own name and birth date unless overridden)."""
    person = access.person_for(request.auth, public_id)
    access.log_read(person, user=request.auth, route="api:person_duplicates_of")
    return find_duplicates(
        request.auth,
        first_name=first_name or person.first_name,
        last_name=last_name or person.last_name,
        birth_date=birth_date or person.birth_date,
        exclude=person,
    )


# --- Consents --------------------------------------------------------------------------------


@router.get("/persons/{public_id}/consents", response=list[ConsentOut], url_name="consent_list")
@paginate(Pagination)
def list_consents(request, public_id: uuid.UUID):
    person = access.person_for(request.auth, public_id)
    access.log_read(person, user=request.auth, route="api:consent_list")
    return person.consents.select_related("organisation").order_by("-given_at", "-pk")


@router.post("/persons/{public_id}/consents", response={201: ConsentOut}, url_name="consent_give")
def give_consent(request, public_id: uuid.UUID, payload: ConsentIn):
    """Record the person's consent for an organisation (idempotent: an active consent is returned)."""
    user = request.auth
    person = access.person_for(request.auth, public_id)
    access.require_manage_person(user, person)
    organisation = Organisation.objects.filter(public_id=payload.organisation).first()
    if organisation is None:
        raise ValidationError("unknown organisation")
    consent = actions.give_consent(
        person, by=user, organisation=organisation, scope=_plain(payload.scope), note=payload.note
    )
    return HttpStatus(201, consent)


@router.post("/consents/{consent_id}/withdraw", response=ConsentOut, url_name="consent_withdraw")
def withdraw_consent(request, consent_id: int = Path(..., ge=1, le=MAX_ID)):
    user = request.auth
    consent = get_object_or_404(
        Consent.objects.filter(person__in=access.people(user)).select_related("organisation", "person"),
        pk=consent_id,
    )
    access.require_manage_person(user, consent.person)
    return actions.withdraw_consent(consent, by=user)
