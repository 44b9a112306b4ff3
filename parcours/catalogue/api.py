"""JSON API of the catalogue: services (reads public, writes for the provider's staff), search by
need, data·inclusion import/export, referrals (both sides), workshops, conventions and coverage.

Same rules and same actions as the HTML pages: what the caller may not see answers 404; the
receiving organisation of a referral gets only the person's consented fields.
"""

import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.responses import Status as HttpStatus

from parcours.accounts.models import Role
from parcours.cases import access
from parcours.cases.person_api import Pagination
from parcours.catalogue import actions
from parcours.catalogue import taxonomy as tx
from parcours.catalogue.exchange import BadPayload, import_catalogue, iter_export_json
from parcours.catalogue.models import (
    PartnershipConvention,
    Referral,
    ReferralStatus,
    Service,
    WorkshopRegistration,
    WorkshopSession,
)
from parcours.catalogue.reports import (
    communes_of,
    coordinator_territories,
    coverage_for,
    people_overlaps,
    referral_delays,
)
from parcours.catalogue.search import Criteria, criteria_for_person, search_services
from parcours.organisations.communes import resolve as resolve_commune
from parcours.organisations.models import Organisation, Site, Territory

router = Router(tags=["catalogue"])


# --- Schemas -----------------------------------------------------------------------------------


class ServiceOut(Schema):
    public_id: uuid.UUID
    source: str
    external_id: str
    name: str
    description: str
    organisation: str = Field(alias="organisation.name")
    type: str
    thematiques: list[str]
    publics: list[str]
    statuses: list[str]
    min_age: int | None
    max_age: int | None
    reserved_for: list[str]
    barriers: list[str]
    modes_accueil: list[str]
    at_home: bool
    capacity: int | None
    schedule: str
    frais: str
    commune_name: str
    insee_code: str
    latitude: float | None
    longitude: float | None
    phone: str
    email: str
    updated_on: datetime.date
    review_due_on: datetime.date
    version: int


class MatchOut(Schema):
    service: ServiceOut
    distance_km: float | None
    reasons: list[str]
    explanation: str


class ServiceIn(Schema):
    organisation: uuid.UUID
    name: str = Field(min_length=3, max_length=150)
    description: str = Field(min_length=5, max_length=10000)
    type: str = ""
    thematiques: list[str] = []
    publics: list[str] = []
    statuses: list[str] = []
    min_age: int | None = Field(None, ge=0, le=120)
    max_age: int | None = Field(None, ge=0, le=120)
    reserved_for: list[str] = []
    barriers: list[str] = []
    territories: list[str] = Field([], description="INSEE codes of communes or départements")
    site: int | None = None
    modes_accueil: list[str] = []
    at_home: bool = False
    capacity: int | None = Field(None, ge=0, le=1_000_000)
    schedule: str = ""
    frais: str = ""
    frais_details: str = ""
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    update_frequency_days: int = Field(180, ge=1, le=3650)


class ServicePatch(Schema):
    """Only the fields sent are changed. A field left out keeps its value; `null` is refused (422)
    except for `capacity`, where it means "no limit"."""

    version: int
    name: str = Field(None, min_length=3, max_length=150)
    description: str = Field(None, min_length=5, max_length=10000)
    thematiques: list[str] = Field(None)
    publics: list[str] = Field(None)
    statuses: list[str] = Field(None)
    barriers: list[str] = Field(None)
    capacity: int | None = Field(None, ge=0, le=1_000_000)
    is_active: bool = Field(None)


class ReferralIn(Schema):
    episode: uuid.UUID
    service: uuid.UUID
    shared_fields: list[str]
    barriers: list[str] = []
    message: str = Field("", max_length=2000)
    consent_given: bool = False


class ReferralOut(Schema):
    public_id: uuid.UUID
    status: str
    service: uuid.UUID = Field(alias="service.public_id")
    service_name: str = Field(alias="service.name")
    receiving_organisation: str = Field(alias="receiving_organisation.name")
    sending_organisation: str = Field(alias="episode.organisation.name")
    shared_fields: list[str]
    refusal_reason: str
    outcome: str
    proposed_at: datetime.datetime
    expires_on: datetime.date
    accepted_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    version: int


class ReferralDetailOut(ReferralOut):
    person: uuid.UUID | None = None  # the sending side only
    shared: dict[str, str] = {}  # the receiving side: consented fields only

    @staticmethod
    def resolve_person(obj):
        return getattr(obj, "api_person", None)

    @staticmethod
    def resolve_shared(obj):
        return getattr(obj, "api_shared", {})


class TransitionIn(Schema):
    to: ReferralStatus
    version: int | None = None
    reason: str = ""
    outcome: str = ""
    note: str = Field("", max_length=1000)


class SessionIn(Schema):
    starts_at: datetime.datetime
    capacity: int = Field(ge=1, le=10_000)
    duration_minutes: int = Field(120, ge=1, le=1440)
    title: str = Field("", max_length=200)
    site: int | None = None


class SessionOut(Schema):
    public_id: uuid.UUID
    service: uuid.UUID = Field(alias="service.public_id")
    title: str
    starts_at: datetime.datetime
    duration_minutes: int
    capacity: int


class RegistrationIn(Schema):
    person: uuid.UUID
    referral: uuid.UUID | None = None


class RegistrationOut(Schema):
    id: int
    session: uuid.UUID = Field(alias="session.public_id")
    status: str


class AttendanceIn(Schema):
    attended: bool


class ConventionIn(Schema):
    title: str = Field(min_length=3, max_length=200)
    organisations: list[uuid.UUID] = Field(min_length=1)
    publics: list[str] = Field(min_length=1)
    territories: list[str] = Field(min_length=1, description="INSEE codes")
    services: list[uuid.UUID] = []
    referral_rules: str = ""
    referral_rules_data: dict = {}
    start_on: datetime.date
    end_on: datetime.date | None = None


class ConventionOut(Schema):
    public_id: uuid.UUID
    title: str
    version: int
    publics: list[str]
    organisations: list[str]
    territories: list[str]
    start_on: datetime.date
    end_on: datetime.date | None
    referral_rules: str
    referral_rules_data: dict

    @staticmethod
    def resolve_organisations(obj):
        return [o.name for o in obj.organisations.all()]

    @staticmethod
    def resolve_territories(obj):
        return [t.insee_code for t in obj.territories.all()]


# --- Helpers -----------------------------------------------------------------------------------


def _territories(codes: list[str]) -> list[Territory]:
    found = []
    for code in codes:
        level = Territory.Level.COMMUNE if len(code) == 5 else Territory.Level.DEPARTEMENT
        territory = Territory.objects.filter(level=level, insee_code=code).first()
        if territory is None:
            raise ValidationError(f"unknown territory INSEE code: {code}")
        found.append(territory)
    return found


def _check_codes(values: dict) -> None:
    checks = {
        "thematiques": tx.THEMATIQUE,
        "publics": tx.PUBLIC,
        "modes_accueil": tx.MODE_ACCUEIL,
    }
    for name, enum in checks.items():
        if values.get(name) is not None:
            tx.CodeListValidator(enum)(values[name])
    for name, allowed in (("barriers", tx.ServiceBarrierKind.values), ("reserved_for", tx.Benefit.values)):
        unknown = set(values.get(name) or []) - set(allowed)
        if unknown:
            raise ValidationError(f"unknown {name}: {sorted(unknown)}")


def _get_service(public_id: uuid.UUID) -> Service:
    return get_object_or_404(Service.objects.active().select_related("organisation"), public_id=public_id)


def _get_referral(request, public_id: uuid.UUID) -> Referral:
    return get_object_or_404(
        Referral.objects.visible_to(request.auth).select_related(
            "service", "receiving_organisation", "episode__organisation", "person"
        ),
        public_id=public_id,
    )


def _require_coordinator(user) -> None:
    if not (user.has_role(Role.COORDINATOR) or user.is_superuser):
        raise PermissionDenied("territorial coordinators only")


# --- Services ----------------------------------------------------------------------------------


@router.get("/services", response=list[ServiceOut], auth=None, url_name="service_list")
@paginate(Pagination)
def list_services(
    request,
    thematique: str = "",
    public: str = "",
    commune: str = Query("", max_length=200),
    modality: tx.Modality | None = None,
    text: str = Query("", max_length=100),
):
    """The public catalogue (no authentication): filter by thématique (code or category), public,
    commune (INSEE code, name or postcode: eligibility zone and 30 km around; 422 with the
    candidates when it names no commune or several) and modality."""
    territory = resolve_commune(commune, insee_first=True)
    criteria = Criteria(
        thematique=thematique,
        public=public,
        modality=modality.value if modality else "",
        commune=territory,
        radius_km=30 if territory else None,
        text=text,
    )
    return [m.service for m in search_services(criteria, limit=500)]


@router.get("/services/match", response=list[MatchOut], url_name="service_match")
def match_services(
    request,
    episode: uuid.UUID,
    barrier: list[tx.ServiceBarrierKind] = Query(None),  # noqa: B008
    thematique: str = "",
    public: str = "",
    modality: tx.Modality | None = None,
    radius_km: int | None = Query(30, ge=1, le=500),
):
    """Services for the person of an episode the caller sees, with the reasons each one fits.
    Without `barrier`, the barriers of the latest diagnosis are used when available."""
    found = get_object_or_404(
        access.episodes(request.auth).select_related("person__commune__parent"),
        public_id=episode,
    )
    access.log_read(found.person, user=request.auth, route="api:service_match")
    criteria = criteria_for_person(
        found.person,
        barriers=[b.value for b in barrier] if barrier else None,
        user=request.auth,
        thematique=thematique,
        public=public,
        modality=modality.value if modality else "",
        radius_km=radius_km,
    )
    return [
        {
            "service": m.service,
            "distance_km": m.distance_km,
            "reasons": m.reasons,
            "explanation": m.explanation,
        }
        for m in search_services(criteria)
    ]


@router.get("/services/{public_id}", response=ServiceOut, auth=None, url_name="service_detail")
def get_service(request, public_id: uuid.UUID):
    return _get_service(public_id)


@router.post("/services", response={201: ServiceOut}, url_name="service_create")
def create_service(request, payload: ServiceIn):
    user = request.auth
    organisation = Organisation.objects.filter(
        public_id=payload.organisation, pk__in=user.case_organisation_ids()
    ).first()
    if organisation is None:
        raise PermissionDenied("you are not a counselor or manager of this organisation")
    values = payload.dict(exclude={"organisation", "territories", "site"})
    _check_codes(values)
    site = None
    if payload.site is not None:
        site = Site.objects.filter(pk=payload.site, organisation=organisation).first()
        if site is None:
            raise ValidationError("unknown site for this organisation")
    service = actions.create_service(
        by=user, organisation=organisation, territories=_territories(payload.territories), site=site, **values
    )
    return HttpStatus(201, service)


@router.patch("/services/{public_id}", response=ServiceOut, url_name="service_update")
def update_service(request, public_id: uuid.UUID, payload: ServicePatch):
    service = get_object_or_404(Service.objects.managed_by(request.auth), public_id=public_id)
    changes = payload.dict(exclude_unset=True, exclude={"version"})
    _check_codes(changes)
    return actions.update_service(service, by=request.auth, expected_version=payload.version, **changes)


@router.post("/services/{public_id}/confirm", response=ServiceOut, url_name="service_confirm")
def confirm_service(request, public_id: uuid.UUID):
    service = get_object_or_404(Service.objects.managed_by(request.auth), public_id=public_id)
    return actions.confirm_service_freshness(service, by=request.auth)


# --- data·inclusion exchange -------------------------------------------------------------------


@router.post("/catalogue/import", url_name="catalogue_import")
def import_file(request, payload: dict | list):
    """Import structures and services in the data·inclusion schema; errors are listed per record
    and the valid records are imported. Coordinators and administrators only."""
    user = request.auth
    if not (user.has_role(Role.COORDINATOR, Role.ADMINISTRATOR) or user.is_superuser):
        raise PermissionDenied("coordinators and administrators only")
    try:
        report = import_catalogue(payload, by=user, skip_invalid=True)
    except BadPayload as exc:
        raise HttpError(400, str(exc)) from exc
    return report.as_dict()


@router.get("/catalogue/export", auth=None, url_name="catalogue_export")
def export_file(request):
    """The active catalogue in the data·inclusion schema: `{"structures": [...], "services": [...]}`."""
    return StreamingHttpResponse(iter_export_json(Service.objects.active()), content_type="application/json")


# --- Referrals ---------------------------------------------------------------------------------


@router.get("/referrals", response=list[ReferralOut], url_name="referral_list")
@paginate(Pagination)
def list_referrals(
    request, box: str = Query("all", pattern="^(all|sent|received)$"), status: ReferralStatus | None = None
):
    user = request.auth
    referrals = Referral.objects.select_related("service", "receiving_organisation", "episode__organisation")
    referrals = {"sent": referrals.sent_by, "received": referrals.received_by}.get(box, referrals.visible_to)(
        user
    )
    if status:
        referrals = referrals.filter(status=status)
    return referrals.order_by("-proposed_at", "-pk")


@router.post("/referrals", response={201: ReferralDetailOut}, url_name="referral_create")
def create_referral(request, payload: ReferralIn):
    user = request.auth
    episode = get_object_or_404(access.episodes(user).select_related("person"), public_id=payload.episode)
    referral = actions.propose_referral(
        episode,
        by=user,
        service=_get_service(payload.service),
        shared_fields=payload.shared_fields,
        barriers=payload.barriers,
        message=payload.message,
        consent_given=payload.consent_given,
    )
    return HttpStatus(201, _detail(request, _get_referral(request, referral.public_id)))


def _detail(request, referral: Referral) -> Referral:
    """The referral with what this caller may see of the person attached for the response."""
    user = request.auth
    sender = access.episodes(user).filter(pk=referral.episode_id).exists()
    if sender:
        referral.api_person = referral.person.public_id
        access.log_read(referral.person, user=user, route="api:referral_detail")
    else:
        shared = referral.shared_person_data()
        referral.api_shared = {code: str(value) for code, _label, value in shared}
        if shared:
            access.log_read(referral.person, user=user, route="api:referral_detail")
    return referral


@router.get("/referrals/{public_id}", response=ReferralDetailOut, url_name="referral_detail")
def get_referral(request, public_id: uuid.UUID):
    return _detail(request, _get_referral(request, public_id))


@router.post("/referrals/{public_id}/transitions", response=ReferralDetailOut, url_name="referral_transition")
def transition_referral(request, public_id: uuid.UUID, payload: TransitionIn):
    referral = _get_referral(request, public_id)
    user, version = request.auth, payload.version
    to = payload.to
    if to == ReferralStatus.ACCEPTED:
        actions.accept_referral(referral, by=user, expected_version=version)
    elif to == ReferralStatus.REFUSED:
        actions.refuse_referral(
            referral, by=user, reason=payload.reason, note=payload.note, expected_version=version
        )
    elif to == ReferralStatus.STARTED:
        actions.start_referral(referral, by=user, expected_version=version)
    elif to == ReferralStatus.COMPLETED:
        actions.complete_referral(
            referral, by=user, outcome=payload.outcome, note=payload.note, expected_version=version
        )
    elif to == ReferralStatus.ABANDONED:
        actions.abandon_referral(
            referral, by=user, outcome=payload.outcome, note=payload.note, expected_version=version
        )
    elif to == ReferralStatus.EXPIRED:
        actions.expire_referral(referral, by=user)
    else:
        raise HttpError(409, f"a referral cannot go back to {to}")
    return _detail(request, _get_referral(request, public_id))


# --- Workshops ---------------------------------------------------------------------------------


@router.get("/services/{public_id}/sessions", response=list[SessionOut], auth=None, url_name="session_list")
def list_sessions(request, public_id: uuid.UUID):
    service = _get_service(public_id)
    return list(
        WorkshopSession.objects.filter(service=service).select_related("service").order_by("starts_at")[:200]
    )


@router.post("/services/{public_id}/sessions", response={201: SessionOut}, url_name="session_create")
def create_session(request, public_id: uuid.UUID, payload: SessionIn):
    service = get_object_or_404(Service.objects.managed_by(request.auth), public_id=public_id)
    site = (
        Site.objects.filter(pk=payload.site, organisation_id=service.organisation_id).first()
        if payload.site
        else None
    )
    session = actions.schedule_workshop_session(
        service,
        by=request.auth,
        starts_at=payload.starts_at,
        capacity=payload.capacity,
        site=site,
        title=payload.title,
        duration_minutes=payload.duration_minutes,
    )
    return HttpStatus(201, session)


@router.post(
    "/sessions/{public_id}/registrations", response={201: RegistrationOut}, url_name="registration_create"
)
def register(request, public_id: uuid.UUID, payload: RegistrationIn):
    user = request.auth
    session = get_object_or_404(WorkshopSession.objects.select_related("service"), public_id=public_id)
    referral = _get_referral(request, payload.referral) if payload.referral else None
    if referral is not None:
        person = referral.person
        if person.public_id != payload.person:
            raise ValidationError("the referral is for another person")
    else:
        person = get_object_or_404(access.people(user), public_id=payload.person)
    return HttpStatus(201, actions.register_for_workshop(session, by=user, person=person, referral=referral))


def _get_registration(request, registration_id: int) -> WorkshopRegistration:
    registration = get_object_or_404(
        WorkshopRegistration.objects.select_related("session__service"), pk=registration_id
    )
    user = request.auth
    if not (
        registration.session.service.organisation_id in user.case_organisation_ids()
        or access.people(user).filter(pk=registration.person_id).exists()
    ):
        raise HttpError(404, "not found")
    return registration


@router.post(
    "/registrations/{registration_id}/cancel", response=RegistrationOut, url_name="registration_cancel"
)
def cancel_registration(request, registration_id: int):
    return actions.cancel_workshop_registration(_get_registration(request, registration_id), by=request.auth)


@router.post(
    "/registrations/{registration_id}/attendance",
    response=RegistrationOut,
    url_name="registration_attendance",
)
def attendance(request, registration_id: int, payload: AttendanceIn):
    return actions.record_workshop_attendance(
        _get_registration(request, registration_id), by=request.auth, attended=payload.attended
    )


# --- Conventions and coverage ------------------------------------------------------------------


@router.get("/conventions", response=list[ConventionOut], url_name="convention_list")
@paginate(Pagination)
def list_conventions(request):
    return (
        PartnershipConvention.objects.visible_to(request.auth)
        .current()
        .prefetch_related("organisations", "territories")
        .order_by("title", "pk")
    )


def _convention_values(payload: ConventionIn) -> dict:
    organisations = list(Organisation.objects.filter(public_id__in=payload.organisations))
    if len(organisations) != len(set(payload.organisations)):
        raise ValidationError("unknown organisation")
    services = list(Service.objects.filter(public_id__in=payload.services))
    if len(services) != len(set(payload.services)):
        raise ValidationError("unknown service")
    values = payload.dict(exclude={"organisations", "territories", "services"})
    return {
        **values,
        "organisations": organisations,
        "services": services,
        "territories": _territories(payload.territories),
    }


@router.post("/conventions", response={201: ConventionOut}, url_name="convention_create")
def create_convention(request, payload: ConventionIn):
    _require_coordinator(request.auth)
    return HttpStatus(201, actions.create_convention(by=request.auth, **_convention_values(payload)))


@router.post("/conventions/{public_id}/versions", response={201: ConventionOut}, url_name="convention_revise")
def revise_convention(request, public_id: uuid.UUID, payload: ConventionIn):
    _require_coordinator(request.auth)
    current = get_object_or_404(PartnershipConvention.objects.current(), public_id=public_id)
    return HttpStatus(201, actions.revise_convention(current, by=request.auth, **_convention_values(payload)))


@router.get("/coverage", url_name="coverage")
def coverage(request):
    """Publics × communes of the coordinator's territory: operators per cell, gaps and overlaps;
    counts of people with several referents; referral delays per pair of organisations."""
    user = request.auth
    _require_coordinator(user)
    communes = list(communes_of(coordinator_territories(user))[:200])
    result = coverage_for(communes)
    codes = {str(c.pk): c.insee_code for c in communes}
    people = people_overlaps(user, communes)
    return {
        "publics": result.publics,
        "communes": [{"insee_code": c.insee_code, "name": c.name} for c in communes],
        "cells": [
            {"public": p, "commune": codes[c], "operators": sorted(cell.organisations), "count": cell.count}
            for (p, c), cell in result.cells.items()
        ],
        "gaps": [{"public": p, "commune": codes[c]} for p, c in result.gaps],
        "overlaps": [{"public": p, "commune": codes[c]} for p, c in result.overlaps],
        "people_with_several_referents": people.several_referents,
        "people_with_overlapping_programmes": people.overlapping_programmes,
        "referral_pairs": [
            {
                "sender": s.sender,
                "receiver": s.receiver,
                "proposed": s.proposed,
                "acceptance_rate": s.acceptance_rate,
                "median_days_to_accept": s.median_days_to_accept,
            }
            for s in referral_delays(communes)
        ],
    }
