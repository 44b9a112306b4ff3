"""Read-only labour-market insights for a page: salary realism, the latest tension value, and the
companies likely to hire near a place. Each is a bounded number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.market.actions import departement_code
from parcours.market.models import HiringPrediction, JobOffer, TensionValue, bounding_box, haversine_km
from parcours.organisations.models import Territory
from parcours.stats.market.salary import SalarySummary, summarise_salaries

SALARY_WINDOW_DAYS = 365
MAX_SALARY_OFFERS = 5000


def euros(value: float) -> str:
    """``2300.0`` → ``"2 300 €"`` (narrow no-break space, French style)."""
    return f"{round(value):,}".replace(",", "\u202f") + "\u00a0€"


@dataclass
class SalaryRealism:
    summary: SalarySummary
    area_label: str
    sentence: str
    warning: str


def _area_filter(*, departement: str = "", latitude=None, longitude=None, radius_km: float = 30) -> Q:
    if latitude is not None and longitude is not None:
        lat_min, lat_max, lon_min, lon_max = bounding_box(latitude, longitude, radius_km)
        return Q(latitude__range=(lat_min, lat_max), longitude__range=(lon_min, lon_max))
    if departement:
        return Q(commune_insee__startswith=departement)
    return Q()


def salary_realism(
    rome_code: str,
    expected: float | None,
    *,
    departement: str = "",
    latitude=None,
    longitude=None,
    radius_km: float = 30,
    min_n: int = 20,
) -> SalaryRealism:
    """Where an expected gross monthly salary stands among the salaries of the offers of the last
    twelve months in the occupation, in a département or within a radius (one query)."""
    since = timezone.now() - datetime.timedelta(days=SALARY_WINDOW_DAYS)
    rows = list(
        JobOffer.objects.filter(rome_code=rome_code, duplicate_of__isnull=True, posted_at__gte=since)
        .filter(salary_min_monthly__isnull=False)
        .filter(
            _area_filter(departement=departement, latitude=latitude, longitude=longitude, radius_km=radius_km)
        )
        .order_by("-posted_at")
        .values_list("salary_min_monthly", "salary_max_monthly", "latitude", "longitude")[:MAX_SALARY_OFFERS]
    )
    if latitude is not None and longitude is not None:
        rows = [
            r for r in rows if r[2] is not None and haversine_km(latitude, longitude, r[2], r[3]) <= radius_km
        ]
        area = _("à moins de %(km)s km") % {"km": round(radius_km)}
    else:
        area = _("dans le département %(code)s") % {"code": departement} if departement else _("en France")
    values = [(float(low) + float(high if high is not None else low)) / 2 for low, high, _la, _lo in rows]
    summary = summarise_salaries(values, expected, min_n=min_n)
    return SalaryRealism(summary, area, salary_sentence(summary, area), salary_warning(summary))


def salary_sentence(summary: SalarySummary, area: str) -> str:
    if summary.n == 0:
        return _("Aucune offre des douze derniers mois n'indique de salaire pour ce métier %(area)s.") % {
            "area": area
        }
    spread = _(
        "Salaire médian des offres %(area)s : %(median)s brut par mois ; la moitié des offres entre %(q1)s et %(q3)s."
    ) % {"area": area, "median": euros(summary.median), "q1": euros(summary.q1), "q3": euros(summary.q3)}
    if summary.expected is None:
        return spread
    pct_below = round(100 * summary.share_below)
    if pct_below >= 50:
        position = _("Votre attente (%(expected)s) est au-dessus de %(pct)s %% des offres.") % {
            "expected": euros(summary.expected),
            "pct": pct_below,
        }
    else:
        position = _("Votre attente (%(expected)s) est en dessous de %(pct)s %% des offres.") % {
            "expected": euros(summary.expected),
            "pct": 100 - pct_below,
        }
    return f"{position} {spread}"


def salary_warning(summary: SalarySummary) -> str:
    if summary.n == 0 or not summary.small_sample:
        return ""
    return _(
        "Attention : seulement %(n)s offre(s) avec un salaire ; en dessous de %(min)s, ces chiffres changent "
        "beaucoup d'une offre à l'autre."
    ) % {"n": summary.n, "min": summary.min_n}


def departement_of(commune: Territory | None) -> Territory | None:
    if commune is None:
        return None
    if commune.level == Territory.Level.DEPARTEMENT:
        return commune
    if commune.parent_id and commune.parent.level == Territory.Level.DEPARTEMENT:
        return commune.parent
    return Territory.objects.filter(
        level=Territory.Level.DEPARTEMENT, insee_code=departement_code(commune.insee_code)
    ).first()


def latest_tension(rome_code: str, territory: Territory | None) -> TensionValue | None:
    if territory is None:
        return None
    return (
        TensionValue.objects.filter(rome_code=rome_code, territory=territory)
        .order_by("-period_end", "-definition_version")
        .first()
    )


def companies_likely_to_hire(
    rome_code: str, *, latitude=None, longitude=None, radius_km: float = 30, departement: str = ""
):
    """Predictions of the latest run for the occupation, best first, near a place (a queryset to
    paginate; establishment joined)."""
    predictions = HiringPrediction.objects.latest_run().filter(rome_code=rome_code, expected_hires__gt=0)
    if latitude is not None and longitude is not None:
        lat_min, lat_max, lon_min, lon_max = bounding_box(latitude, longitude, radius_km)
        predictions = predictions.filter(
            establishment__latitude__range=(lat_min, lat_max),
            establishment__longitude__range=(lon_min, lon_max),
        )
    elif departement:
        predictions = predictions.filter(establishment__commune_insee__startswith=departement)
    return predictions.select_related("establishment").order_by("-expected_hires", "pk")
