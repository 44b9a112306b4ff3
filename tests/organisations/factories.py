import factory

from parcours.organisations.models import Organisation, Site, Territory


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory
        django_get_or_create = ("level", "insee_code")

    level = Territory.Level.COMMUNE
    insee_code = factory.Sequence(lambda n: f"{59000 + n % 900:05d}")
    name = factory.Sequence(lambda n: f"Commune {n}")
    latitude = 50.63
    longitude = 3.06


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.PES
    territory = factory.SubFactory(TerritoryFactory)

    class Params:
        youth_mission = factory.Trait(kind=Organisation.Kind.YOUTH_MISSION)
        association = factory.Trait(kind=Organisation.Kind.ASSOCIATION)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Agence {n}")
    commune = factory.SelfAttribute("organisation.territory")
