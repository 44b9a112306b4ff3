"""Search the catalogue by need: the person's barriers, where they live (distance), public,
status, age, benefits and modality. Each result says why it fits.

Eligibility is filtered in SQL (one query for the services, one for their eligibility zones);
distance and ranking are computed in Python on at most MAX_CANDIDATES rows inside a bounding box,
so the number of queries does not depend on the size of the catalogue.
"""

import datetime
import math
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.catalogue import taxonomy as tx
from parcours.catalogue.models import Service, haversine_km
from parcours.diagnosis.models import Barrier, Diagnosis
from parcours.people.models import Status

MAX_CANDIDATES = 500
DEFAULT_RADIUS_KM = 30


@dataclass
class Criteria:
    barriers: list[str] = field(default_factory=list)
    thematique: str = ""
    public: str = ""
    status: str = ""
    age: int | None = None
    benefits: list[str] = field(default_factory=list)
    modality: str = ""
    commune: object = None  # a Territory (commune) with latitude/longitude
    radius_km: float | None = DEFAULT_RADIUS_KM
    text: str = ""


@dataclass
class Match:
    service: Service
    distance_km: float | None
    reasons: list[str]
    score: float

    @property
    def explanation(self) -> str:
        return " ; ".join(self.reasons)


def criteria_for_person(person, *, barriers=None, user=None, **overrides) -> Criteria:
    """Criteria from the person's file: status, age, benefits, commune, and barriers (given by the
    counselor, or read from the latest completed diagnosis that `user` may see)."""
    if barriers is None:
        barriers = barriers_from_diagnosis(person, user=user)
    values = {
        "barriers": list(barriers),
        "status": person.status,
        "age": person.age(),
        "benefits": tx.person_benefits(person),
        "commune": person.commune,
    }
    values.update(overrides)
    return Criteria(**values)


def barriers_from_diagnosis(person, *, user=None) -> list[str]:
    """The barriers of the person's latest completed diagnosis, restricted to what `user` may see
    (health and justice barriers are sensitive). Nothing without a user: the counselor then picks
    the needs in the form."""
    if user is None:
        return []
    rows = Barrier.objects.visible_to(user).filter(
        diagnosis__episode__person=person, diagnosis__status=Diagnosis.Status.COMPLETED
    )
    latest = (
        rows.order_by("-diagnosis__completed_at", "-diagnosis__pk")
        .values_list("diagnosis_id", flat=True)
        .first()
    )
    kinds = set(rows.filter(diagnosis_id=latest).values_list("kind", flat=True)) if latest else set()
    return [k for k in tx.ServiceBarrierKind.values if k in kinds]


def _bounding_box(lat: float, lon: float, radius_km: float) -> Q:
    dlat = radius_km / 111.0
    dlon = radius_km / (111.0 * max(math.cos(math.radians(lat)), 0.01))
    near = Q(latitude__range=(lat - dlat, lat + dlat), longitude__range=(lon - dlon, lon + dlon))
    # Remote and at-home services do not depend on distance.
    return near | tx.has_code("modes_accueil", tx.REMOTE) | Q(at_home=True)


def eligible_services(criteria: Criteria, queryset=None):
    services = (queryset if queryset is not None else Service.objects.all()).active()
    if criteria.thematique:
        services = services.with_thematique(criteria.thematique)
    if criteria.public:
        services = services.for_public(criteria.public)
    if criteria.status:
        services = services.for_status(criteria.status)
    if criteria.age is not None:
        services = services.for_age(criteria.age)
    services = services.for_benefits(criteria.benefits)
    if criteria.modality:
        services = services.for_modality(criteria.modality)
    if criteria.commune is not None:
        services = services.for_commune(criteria.commune)
    if criteria.text:
        services = services.filter(Q(name__icontains=criteria.text) | Q(description__icontains=criteria.text))
    return services


def _reasons(service: Service, criteria: Criteria, distance: float | None) -> tuple[list[str], float]:
    reasons, score = [], 0.0
    barrier_labels = dict(tx.ServiceBarrierKind.choices)
    met = [b for b in criteria.barriers if b in service.barriers]
    for barrier in met:
        reasons.append(_("répond au frein %(barrier)s") % {"barrier": barrier_labels[barrier]})
    score += 10 * len(met)
    if criteria.status:
        status_label = {
            Status.EMPLOYED: _("ouvert aux salarié·es"),
            Status.JOB_SEEKER: _("ouvert aux demandeur·ses d'emploi"),
            Status.SELF_EMPLOYED: _("ouvert aux indépendant·es"),
            Status.STUDENT: _("ouvert aux étudiant·es"),
            Status.INACTIVE: _("ouvert aux personnes sans activité"),
        }.get(criteria.status)
        if criteria.status in service.statuses or (
            criteria.status == Status.EMPLOYED and "actifs" in service.publics
        ):
            reasons.append(status_label)
            score += 2
    if criteria.public and criteria.public in service.publics:
        reasons.append(_("public : %(public)s") % {"public": tx.PUBLIC_LABELS[criteria.public].lower()})
        score += 2
    if service.min_age is not None or service.max_age is not None:
        reasons.append(
            _("âge : de %(min)s à %(max)s ans") % {"min": service.min_age or 0, "max": service.max_age or "…"}
        )
    benefit_labels = dict(tx.Benefit.choices)
    for benefit in service.reserved_for:
        if benefit in criteria.benefits:
            reasons.append(_("réservé aux %(who)s") % {"who": benefit_labels[benefit]})
            score += 1
    if criteria.thematique:
        score += 1
    if distance is not None and tx.IN_PERSON in service.modes_accueil:
        reasons.append(_("à %(km)s km") % {"km": round(distance) if distance >= 1 else "moins de 1"})
        score -= distance / 10
    if tx.REMOTE in service.modes_accueil:
        reasons.append(_("possible à distance"))
    if service.at_home:
        reasons.append(_("possible à domicile"))
    return reasons, score


def search_services(criteria: Criteria, queryset=None, *, limit: int = 50) -> list[Match]:
    """Eligible services for the criteria, the best fit first, each with its reasons."""
    services = eligible_services(criteria, queryset)
    origin = None
    commune = criteria.commune
    if commune is not None and commune.latitude is not None and commune.longitude is not None:
        origin = (commune.latitude, commune.longitude)
        if criteria.radius_km:
            services = services.filter(_bounding_box(*origin, criteria.radius_km))
    if criteria.barriers:
        services = services.addressing(criteria.barriers)
    candidates = list(
        services.select_related("organisation", "site", "commune").order_by("-updated_on", "pk")[
            :MAX_CANDIDATES
        ]
    )
    matches = []
    for service in candidates:
        position = service.position() if origin else None
        distance = haversine_km(*origin, *position) if origin and position else None
        remote = tx.REMOTE in service.modes_accueil or service.at_home
        if criteria.radius_km and distance is not None and distance > criteria.radius_km and not remote:
            continue
        reasons, score = _reasons(service, criteria, distance)
        matches.append(Match(service, distance, reasons, score))
    matches.sort(key=lambda m: (-m.score, m.distance_km if m.distance_km is not None else 1e9, m.service.pk))
    return matches[:limit]


def freshness_label(service: Service, today: datetime.date | None = None) -> str:
    return _("à mettre à jour") if service.is_stale(today or timezone.localdate()) else _("à jour")
