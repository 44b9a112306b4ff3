import datetime

import factory
from django.utils import timezone

from parcours.catalogue.models import (
    PartnershipConvention,
    Referral,
    Service,
    WorkshopSession,
)
from tests.accounts.factories import UserFactory, member
from tests.organisations.factories import OrganisationFactory


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    description = "Un accompagnement pour lever les freins à l'emploi."
    type = "accompagnement"
    thematiques = factory.LazyFunction(lambda: ["mobilite--preparer-un-permis"])
    publics = factory.LazyFunction(lambda: ["tous-publics"])
    barriers = factory.LazyFunction(lambda: ["mobility"])
    modes_accueil = factory.LazyFunction(lambda: ["en-presentiel"])
    commune = factory.SelfAttribute("organisation.territory")
    latitude = factory.SelfAttribute("commune.latitude")
    longitude = factory.SelfAttribute("commune.longitude")
    updated_on = factory.LazyFunction(timezone.localdate)

    @factory.post_generation
    def territories(self, create, extracted, **kwargs):
        if create and extracted:
            self.territories.set(extracted)


class ReferralFactory(factory.django.DjangoModelFactory):
    """A proposed referral without consent checks: use actions.propose_referral to test the rules."""

    class Meta:
        model = Referral

    service = factory.SubFactory(ServiceFactory)
    receiving_organisation = factory.SelfAttribute("service.organisation")
    person = factory.SelfAttribute("episode.person")
    proposed_by = factory.SelfAttribute("episode.referent")
    shared_fields = factory.LazyFunction(lambda: ["identity"])
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=15))


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkshopSession

    service = factory.SubFactory(ServiceFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    capacity = 2
    created_by = factory.LazyAttribute(lambda s: member(s.service.organisation))


class ConventionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnershipConvention
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Convention {n}")
    publics = factory.LazyFunction(lambda: ["jeunes"])
    start_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def organisations(self, create, extracted, **kwargs):
        if create and extracted:
            self.organisations.set(extracted)

    @factory.post_generation
    def territories(self, create, extracted, **kwargs):
        if create and extracted:
            self.territories.set(extracted)
