"""Pages of the labour market: offers search, offer detail with the consented people of one's
portfolio, matching for an episode, companies likely to hire, tension. Offers and establishments
are not personal data (any staff member); people only through the scoped querysets."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from parcours.cases import access
from parcours.market import insights
from parcours.market.forms import HiringSearchForm, MatchForm, OfferSearchForm
from parcours.market.matching import criteria_for_episode, match_offers, match_people
from parcours.market.models import JobOffer, TensionValue
from parcours.organisations import communes
from parcours.stats.market.tension import TENSION_DEFINITION_VERSION


def require_staff(user) -> None:
    """Market pages are for staff: any active membership of an organisation."""
    if not user.is_authenticated or not user.organisation_ids():
        raise PermissionDenied


# The "Métier" filter of the search form: as given by the source, or inferred from the title.
OCCUPATION_ORIGINS = {
    "": lambda offers: offers,
    OfferSearchForm.GIVEN: lambda offers: offers.filter(rome_score__isnull=True),
    OfferSearchForm.INFERRED: lambda offers: offers.filter(rome_score__isnull=False),
    OfferSearchForm.UNCERTAIN: lambda offers: offers.uncertain_occupation(),
}


def search_offers(form: OfferSearchForm):
    """Offers for the search form: canonical active ones, most recent first, on indexes."""
    offers = JobOffer.objects.matchable()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["rome_code"]:
            offers = offers.filter(rome_code=data["rome_code"])
        if data["commune"] and data["commune"].latitude is not None:
            offers = offers.in_box(data["commune"].latitude, data["commune"].longitude, form.radius)
        if data["contract_type"]:
            offers = offers.filter(contract_type=data["contract_type"])
        if data["q"]:
            offers = offers.filter(title__icontains=data["q"])
        offers = OCCUPATION_ORIGINS[data["occupation_origin"] or ""](offers)
    elif form.is_bound:
        return offers.none()
    return offers.order_by("-posted_at", "-id")


@require_GET
def offer_search(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    if request.htmx and request.htmx.trigger_name == "commune":  # suggestions while typing
        found = communes.suggest(request.GET.get("commune", ""))
        return render(request, "organisations/_commune_options.html", {"communes": found})
    form = OfferSearchForm(request.GET or None)
    form.fields["commune"].suggest_from(request.path)
    page = Paginator(search_offers(form), settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))
    template = "market/offer_search.html#results" if request.htmx else "market/offer_search.html"
    return render(request, template, {"form": form, "page": page})


@require_GET
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_staff(request.user)
    offer = get_object_or_404(JobOffer.objects.select_related("duplicate_of"), pk=pk)
    people = match_people(offer, request.user) if request.user.case_organisation_ids() else []
    context = {"offer": offer, "people": people, "duplicates": offer.duplicates.order_by("pk")[:20]}
    return render(request, "market/offer_detail.html", context)


@require_GET
def episode_matches(request: HttpRequest, public_id) -> HttpResponse:
    episode = access.episode_for(request.user, public_id, related=("person__commune", "organisation"))
    access.log_read(episode.person, user=request.user, route="market:episode_matches")
    form = MatchForm(request.GET or None)
    values = form.values()
    criteria = criteria_for_episode(
        episode,
        radius_km=values["radius_km"],
        rome_codes=values["rome_codes"],
        contract_types=values["contract_types"],
        full_time=values["full_time"],
    )
    matches = match_offers(criteria) if criteria.rome_codes or criteria.has_location else []
    commune = episode.person.commune
    departement = insights.departement_of(commune)
    markets = []
    for code in criteria.rome_codes[:3]:
        markets.append(
            {
                "rome_code": code,
                "salary": insights.salary_realism(
                    code, values["expected_salary"], departement=departement.insee_code if departement else ""
                ),
                "tension": insights.latest_tension(code, departement),
            }
        )
    context = {
        "episode": episode,
        "person": episode.person,
        "form": form,
        "criteria": criteria,
        "matches": matches,
        "markets": markets,
        "departement": departement,
    }
    return render(request, "market/episode_matches.html", context)


@require_GET
def hiring_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    if request.htmx and request.htmx.trigger_name == "commune":  # suggestions while typing
        found = communes.suggest(request.GET.get("commune", ""))
        return render(request, "organisations/_commune_options.html", {"communes": found})
    form = HiringSearchForm(request.GET or None)
    form.fields["commune"].suggest_from(request.path)
    predictions = None
    if form.is_bound and form.is_valid():
        place = form.cleaned_data["commune"]
        predictions = insights.companies_likely_to_hire(
            form.cleaned_data["rome_code"],
            latitude=place.latitude if place else None,
            longitude=place.longitude if place else None,
            radius_km=form.radius,
        )
    page = (
        Paginator(predictions, settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))
        if predictions is not None
        else None
    )
    return render(request, "market/hiring_list.html", {"form": form, "page": page})


@require_GET
def tension_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    values = TensionValue.objects.select_related("territory").filter(
        definition_version=TENSION_DEFINITION_VERSION
    )
    rome_code = (request.GET.get("rome_code") or "").strip().upper()[:5]
    if rome_code:
        values = values.filter(rome_code=rome_code)
    values = values.order_by("-period_end", "rome_code", "territory__insee_code", "pk")
    page = Paginator(values, settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "market/tension_list.html",
        {"page": page, "rome_code": rome_code, "version": TENSION_DEFINITION_VERSION},
    )
