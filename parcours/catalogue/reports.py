"""Coverage analysis for territorial coordinators: the ORM side of parcours.catalogue.coverage.

Privacy choice: coordinators are not case workers. They get COUNTS of people with several active
referents or overlapping programmes in their territory; names are listed only for the people they
could see anyway (`access.people`), which for a pure coordinator is nobody.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.cases import access
from parcours.catalogue import taxonomy as tx
from parcours.catalogue.coverage import Coverage, Offer, compute_coverage, referral_pair_stats
from parcours.catalogue.models import PartnershipConvention, Referral, ReferralStatus, Service
from parcours.ops.routers import analytics
from parcours.organisations.models import Organisation, Territory
from parcours.people.models import Person

NAMES_LIMIT = 50


def coordinator_territories(user):
    """Territories of the user's coordinator organisations (main and served)."""

    org_ids = user.organisation_ids(frozenset({Role.COORDINATOR}))
    if user.is_superuser and not org_ids:
        return Territory.objects.all()
    served = Organisation.served_territories.through.objects.filter(organisation_id__in=org_ids).values(
        "territory_id"
    )
    return Territory.objects.filter(Q(pk__in=served) | Q(organisations__pk__in=org_ids)).distinct()


def communes_of(territories):
    """Communes in the given territories (themselves, or below a département or région)."""
    ids = list(territories.values_list("pk", flat=True))
    return (
        Territory.objects.filter(level=Territory.Level.COMMUNE)
        .filter(Q(pk__in=ids) | Q(parent_id__in=ids) | Q(parent__parent_id__in=ids))
        .select_related("parent")
        .order_by("name", "pk")
    )


def _ancestors(communes: list[Territory]) -> dict[str, set[str]]:
    result = {}
    for commune in communes:
        keys = {str(commune.pk)}
        if commune.parent_id:
            keys.add(str(commune.parent_id))
            if commune.parent.parent_id:
                keys.add(str(commune.parent.parent_id))
        result[str(commune.pk)] = keys
    return result


def offers_for(communes: list[Territory], today: datetime.date | None = None) -> list[Offer]:
    """Who declares serving whom where: conventions in force and active services."""
    ancestors = _ancestors(communes)
    territory_ids = {int(k) for keys in ancestors.values() for k in keys}
    offers = []
    conventions = (
        PartnershipConvention.objects.in_force(today).filter(territories__in=territory_ids).distinct()
    )
    convention_rows = PartnershipConvention.territories.through.objects.filter(
        partnershipconvention__in=conventions, territory_id__in=territory_ids
    ).values_list("partnershipconvention_id", "territory_id")
    org_rows = PartnershipConvention.organisations.through.objects.filter(
        partnershipconvention__in=conventions
    ).values_list("partnershipconvention_id", "organisation__name")
    publics = dict(conventions.values_list("pk", "publics"))
    orgs_by_convention: dict[int, list[str]] = {}
    for convention_id, name in org_rows:
        orgs_by_convention.setdefault(convention_id, []).append(name)
    for convention_id, territory_id in convention_rows:
        for name in orgs_by_convention.get(convention_id, []):
            offers.append(Offer(name, frozenset(publics[convention_id]), str(territory_id)))
    services = Service.objects.active()
    zone_rows = Service.territories.through.objects.filter(
        service__in=services, territory_id__in=territory_ids
    ).values_list("service__organisation__name", "service__publics", "territory_id")
    for name, service_publics, territory_id in zone_rows.iterator(chunk_size=2000):
        offers.append(Offer(name, frozenset(service_publics or [tx.TOUS_PUBLICS]), str(territory_id)))
    # A service without eligibility zone serves the commune where it is delivered.
    unzoned = (
        services.filter(territories__isnull=True, commune_id__in=territory_ids)
        .values_list("organisation__name", "publics", "commune_id")
        .iterator(chunk_size=2000)
    )
    for name, service_publics, commune_id in unzoned:
        offers.append(Offer(name, frozenset(service_publics or [tx.TOUS_PUBLICS]), str(commune_id)))
    return offers


@analytics()  # the read replica when there is one (parcours.ops.routers)
def coverage_for(communes: list[Territory], today: datetime.date | None = None) -> Coverage:
    return compute_coverage(
        tx.SPECIFIC_PUBLICS, [str(c.pk) for c in communes], _ancestors(communes), offers_for(communes, today)
    )


@dataclass
class PeopleOverlap:
    several_referents: int
    overlapping_programmes: int
    visible_people: list  # Person rows the user may see anyway


def people_overlaps(user, communes) -> PeopleOverlap:
    in_territory = Person.objects.filter(commune__in=communes)
    several = in_territory.annotate(
        n=Count("episodes__organisation", filter=Q(episodes__ended_on__isnull=True), distinct=True)
    ).filter(n__gte=2)
    programmes = in_territory.annotate(
        n=Count(
            "referrals__receiving_organisation",
            filter=Q(referrals__status=ReferralStatus.STARTED),
            distinct=True,
        )
    ).filter(n__gte=2)
    visible = access.people(user).filter(pk__in=several.values("pk")).order_by("last_name", "pk")
    return PeopleOverlap(several.count(), programmes.count(), list(visible[:NAMES_LIMIT]))


@analytics()
def referral_delays(communes, since_days: int = 365):
    """Median delay proposed→accepted and acceptance rate per pair of organisations, for the
    referrals of people living in the territory over the last year."""
    since = timezone.now() - datetime.timedelta(days=since_days)
    rows = (
        Referral.objects.filter(person__commune__in=communes, proposed_at__gte=since)
        .values_list(
            "episode__organisation__name",
            "receiving_organisation__name",
            "proposed_at",
            "accepted_at",
            "status",
        )
        .iterator(chunk_size=2000)
    )
    return referral_pair_stats(rows)
