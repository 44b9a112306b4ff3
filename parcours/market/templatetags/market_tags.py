"""``{% career_project_market occupation person episode as market %}``: what the career-project
page shows about an occupation near the person (offers, tension, salaries, companies likely to
hire). A bounded number of queries (six), whatever the data."""

from django import template

from parcours.market import insights
from parcours.market.matching import DEFAULT_RADIUS_KM, Criteria, match_offers

register = template.Library()


@register.simple_tag
def career_project_market(occupation, person, episode=None, radius_km=DEFAULT_RADIUS_KM, limit=5):
    code = getattr(occupation, "rome_code", "") or ""
    commune = getattr(person, "commune", None)
    lat = getattr(commune, "latitude", None)
    lon = getattr(commune, "longitude", None)
    departement = insights.departement_of(commune)
    criteria = Criteria(rome_codes=[code], latitude=lat, longitude=lon, radius_km=radius_km)
    return {
        "rome_code": code,
        "radius_km": radius_km,
        "offers": match_offers(criteria, limit=limit) if code else [],
        "tension": insights.latest_tension(code, departement),
        "salary": insights.salary_realism(
            code,
            None,
            latitude=lat,
            longitude=lon,
            radius_km=radius_km,
            departement=departement.insee_code if departement and lat is None else "",
        ),
        "companies": list(
            insights.companies_likely_to_hire(code, latitude=lat, longitude=lon, radius_km=radius_km)[:limit]
        ),
    }
