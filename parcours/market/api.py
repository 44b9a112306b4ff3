"""JSON API of the labour market (django-ninja): offers, matching, tension, salary realism and
hiring predictions. Same rules as the pages: staff only; people only through the scoped querysets
(an episode one may not see answers 404)."""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from parcours.cases import access
from parcours.market import insights
from parcours.market.forms import HiringSearchForm, MatchForm, OfferSearchForm
from parcours.market.matching import DEFAULT_RADIUS_KM, criteria_for_episode, match_offers, match_people
from parcours.market.models import JobOffer, TensionValue
from parcours.market.views import require_staff, search_offers
from parcours.organisations.models import Territory

router = Router(tags=["marché du travail"])


class OfferOut(Schema):
    id: int
    source: str
    external_id: str
    title: str
    rome_code: str
    rome_label: str
    rome_score: float | None = Field(
        None,
        description="Empty when the source gave the ROME code; the job-title normaliser's score "
        "(0 to 1) when the occupation was inferred from the title at import.",
    )
    employer_name: str
    commune_insee: str
    place_label: str
    latitude: float | None
    longitude: float | None
    contract_type: str
    full_time: bool | None
    salary_label: str
    salary_min_monthly: float | None
    salary_max_monthly: float | None
    posted_at: datetime.datetime
    is_active: bool
    duplicate_of_id: int | None


class OfferDetailOut(OfferOut):
    description: str
    skills: list[dict]
    positions: int


class OfferPage(Schema):
    count: int
    page: int
    pages: int
    results: list[OfferOut]


class OfferMatchOut(Schema):
    offer: OfferOut
    score: float
    distance_km: float | None
    explanation: str
    reasons: list[str]


class PersonMatchOut(Schema):
    episode: uuid.UUID
    person: uuid.UUID
    name: str
    score: float
    distance_km: float | None
    explanation: str


class TensionOut(Schema):
    rome_code: str
    territory: str
    territory_name: str
    period_start: datetime.date
    period_end: datetime.date
    offers: int
    seekers: int
    hires: int
    ratio: float | None
    hires_per_seeker: float | None
    level: int | None
    definition_version: int


class SalaryOut(Schema):
    rome_code: str
    area: str
    n: int
    q1: float | None
    median: float | None
    q3: float | None
    expected: float | None
    share_below: float | None
    small_sample: bool
    sentence: str
    warning: str


class HiringOut(Schema):
    siret: str
    name: str
    naf_code: str
    commune_insee: str
    rome_code: str
    expected_hires: float
    horizon_start: datetime.date
    horizon_end: datetime.date
    reason: str


def _staff(request):
    require_staff(request.auth)
    return request.auth


def _form_or_400(form):
    if form.is_bound and not form.is_valid():
        from django.core.exceptions import ValidationError

        raise ValidationError([f"{k}: {' '.join(v)}" for k, v in form.errors.items()])
    return form


def _offer(offer: JobOffer) -> dict:
    return {
        **{f: getattr(offer, f) for f in OfferDetailOut.model_fields if hasattr(offer, f)},
        "salary_min_monthly": float(offer.salary_min_monthly)
        if offer.salary_min_monthly is not None
        else None,
        "salary_max_monthly": float(offer.salary_max_monthly)
        if offer.salary_max_monthly is not None
        else None,
    }


@router.get("/market/offers", response=OfferPage, summary="Offres d'emploi (recherche)")
def list_offers(
    request,
    rome_code: str = "",
    commune: str = "",
    radius_km: int = DEFAULT_RADIUS_KM,
    contract_type: str = "",
    q: str = "",
    page: int = 1,
):
    from django.core.paginator import Paginator

    _staff(request)
    form = _form_or_400(
        OfferSearchForm(
            {
                "rome_code": rome_code,
                "commune": commune,
                "radius_km": radius_km,
                "contract_type": contract_type,
                "q": q,
            }
        )
    )
    current = Paginator(search_offers(form), settings.PARCOURS_PAGE_SIZE).get_page(page)
    return {
        "count": current.paginator.count,
        "page": current.number,
        "pages": current.paginator.num_pages,
        "results": [_offer(o) for o in current.object_list],
    }


@router.get("/market/offers/{offer_id}", response=OfferDetailOut, summary="Offre d'emploi")
def get_offer(request, offer_id: int):
    _staff(request)
    return _offer(get_object_or_404(JobOffer, pk=offer_id))


@router.get(
    "/market/offers/{offer_id}/people",
    response=list[PersonMatchOut],
    summary="Personnes de mon portefeuille (consentantes) pour cette offre",
)
def people_for_offer(request, offer_id: int, radius_km: int = DEFAULT_RADIUS_KM):
    user = _staff(request)
    if not user.case_organisation_ids():
        raise PermissionDenied
    offer = get_object_or_404(JobOffer, pk=offer_id)
    return [
        {
            "episode": m.obj.public_id,
            "person": m.obj.person.public_id,
            "name": m.obj.person.full_name,
            "score": m.score,
            "distance_km": m.distance_km,
            "explanation": m.explanation,
        }
        for m in match_people(offer, user, radius_km=radius_km)
    ]


class MatchQuery(Schema):
    rome_codes: str = ""
    radius_km: int = DEFAULT_RADIUS_KM
    contract_types: list[str] = []
    full_time: str = ""


@router.get(
    "/market/episodes/{public_id}/matches",
    response=list[OfferMatchOut],
    summary="Offres classées pour un accompagnement, avec explications",
)
def episode_matches(request, public_id: uuid.UUID, filters: Query[MatchQuery]):
    episode = get_object_or_404(
        access.episodes(request.auth).select_related("person", "person__commune"),
        public_id=public_id,
    )
    access.log_read(episode.person, user=request.auth, route="api:market_episode_matches")
    data = {"rome_codes": filters.rome_codes, "radius_km": filters.radius_km, "full_time": filters.full_time}
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    query.update(data)
    query.setlist("contract_types", filters.contract_types)
    values = _form_or_400(MatchForm(query)).values()
    criteria = criteria_for_episode(
        episode,
        radius_km=values["radius_km"],
        rome_codes=values["rome_codes"],
        contract_types=values["contract_types"],
        full_time=values["full_time"],
    )
    if not (criteria.rome_codes or criteria.has_location):
        return []
    return [
        {
            "offer": _offer(m.obj),
            "score": m.score,
            "distance_km": m.distance_km,
            "explanation": m.explanation,
            "reasons": m.reasons,
        }
        for m in match_offers(criteria)
    ]


def _territory(code: str) -> Territory:
    return get_object_or_404(
        Territory.objects.filter(level__in=[Territory.Level.DEPARTEMENT, Territory.Level.COMMUNE]).order_by(
            "level"
        ),
        insee_code=code,
    )


@router.get(
    "/market/tension", response=list[TensionOut], summary="Tension par métier et territoire (définition v1)"
)
def tension(request, rome_code: str, territory: str = ""):
    _staff(request)
    values = TensionValue.objects.filter(rome_code=rome_code.upper()).select_related("territory")
    if territory:
        place = _territory(territory)
        values = values.filter(territory=insights.departement_of(place) or place)
    return [
        {
            **{f: getattr(v, f) for f in TensionOut.model_fields if f not in {"territory", "territory_name"}},
            "territory": v.territory.insee_code,
            "territory_name": v.territory.name,
        }
        for v in values.order_by("-period_end", "territory__insee_code")[:200]
    ]


@router.get("/market/salary", response=SalaryOut, summary="Réalisme salarial")
def salary(
    request, rome_code: str, territory: str = "", expected: float | None = None, radius_km: int | None = None
):
    _staff(request)
    kwargs = {}
    if territory:
        place = _territory(territory)
        if radius_km and place.latitude is not None:
            kwargs = {"latitude": place.latitude, "longitude": place.longitude, "radius_km": radius_km}
        else:
            dep = insights.departement_of(place)
            kwargs = {"departement": dep.insee_code if dep else place.insee_code[:2]}
    result = insights.salary_realism(rome_code.upper(), expected, **kwargs)
    s = result.summary
    return {
        "rome_code": rome_code.upper(),
        "area": result.area_label,
        "n": s.n,
        "q1": s.q1,
        "median": s.median,
        "q3": s.q3,
        "expected": s.expected,
        "share_below": s.share_below,
        "small_sample": s.small_sample,
        "sentence": result.sentence,
        "warning": result.warning,
    }


@router.get("/market/hiring", response=list[HiringOut], summary="Entreprises susceptibles de recruter")
def hiring(request, rome_code: str, commune: str = "", radius_km: int = DEFAULT_RADIUS_KM, limit: int = 50):
    _staff(request)
    form = _form_or_400(
        HiringSearchForm({"rome_code": rome_code, "commune": commune, "radius_km": radius_km})
    )
    place = form.cleaned_data["commune"]
    predictions = insights.companies_likely_to_hire(
        form.cleaned_data["rome_code"],
        latitude=place.latitude if place else None,
        longitude=place.longitude if place else None,
        radius_km=form.radius,
    )[: max(1, min(limit, 200))]
    return [
        {
            "siret": p.establishment.siret,
            "name": p.establishment.name,
            "naf_code": p.establishment.naf_code,
            "commune_insee": p.establishment.commune_insee,
            "rome_code": p.rome_code,
            "expected_hires": round(p.expected_hires, 2),
            "horizon_start": p.horizon_start,
            "horizon_end": p.horizon_end,
            "reason": p.reason,
        }
        for p in predictions
    ]
