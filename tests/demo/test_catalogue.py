"""The demo catalogue on a small hand-built territory: deterministic, every referral state, a gap
and an overlap to show."""

import datetime

from django.utils import timezone

from parcours.accounts.models import Role
from parcours.catalogue.models import PartnershipConvention, Referral, ReferralStatus, Service
from parcours.catalogue.reports import coverage_for
from parcours.demo.catalogue import GAP_PUBLIC, build_demo_catalogue
from tests.accounts.factories import member
from tests.cases.factories import EpisodeFactory
from tests.organisations.factories import OrganisationFactory, SiteFactory


def build(lille, roubaix, lens, departement, seed=7):
    kinds = [
        "pes",
        "youth_mission",
        "association",
        "disability_operator",
        "private_provider",
        "local_authority",
    ]
    organisations = []
    for i, kind in enumerate(kinds):
        organisation = OrganisationFactory(name=f"Org {kind}", kind=kind, territory=[lille, roubaix][i % 2])
        SiteFactory(organisation=organisation, commune=organisation.territory)
        member(organisation, Role.COUNSELOR)
        organisations.append(organisation)
    coordinator = member(organisations[-1], Role.COORDINATOR)
    # Referrals are dated along each episode's history: episodes that started months ago.
    started = timezone.localdate() - datetime.timedelta(days=200)
    episodes = [EpisodeFactory(organisation=organisations[i % 3], started_on=started) for i in range(30)]
    counts = build_demo_catalogue(
        seed,
        organisations,
        [lille, roubaix, lens, departement],
        episodes,
        services_per_site=8,
        referrals=30,
        coordinator=coordinator,
    )
    return counts


def test_demo_catalogue_has_every_referral_state_a_gap_and_an_overlap(lille, roubaix, lens, departement):
    counts = build(lille, roubaix, lens, departement)

    assert counts["services"] == Service.objects.count() >= 40
    assert set(Referral.objects.values_list("status", flat=True)) == set(ReferralStatus.values)
    assert PartnershipConvention.objects.count() == counts["conventions"] >= 3
    assert counts["sessions"] > 0
    result = coverage_for([lille, roubaix, lens])
    assert (GAP_PUBLIC, str(lens.pk)) in result.gaps
    assert result.overlaps


def test_demo_catalogue_is_deterministic(lille, roubaix, lens, departement):
    organisations = []
    for kind in ("pes", "association", "youth_mission"):
        organisation = OrganisationFactory(kind=kind, territory=lille)
        SiteFactory(organisation=organisation, commune=lille)
        member(organisation, Role.MANAGER)
        organisations.append(organisation)

    def snapshot():
        return sorted(
            Service.objects.values_list(
                "organisation_id", "name", "updated_on", "capacity", "schedule", "eligibility_zone", "publics"
            )
        )

    def rebuild(seed):
        PartnershipConvention.objects.all().delete()
        Service.objects.all().delete()
        build_demo_catalogue(
            seed, organisations, [lille, roubaix, lens], [], services_per_site=6, referrals=0
        )
        return snapshot()

    first = rebuild(11)
    assert rebuild(11) == first
    assert rebuild(12) != first
