import factory

from parcours.organisations.models import Organisation, Postcode, Site, Territory


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory
        django_get_or_create = ("level", "insee_code")
        skip_postgeneration_save = True

    level = Territory.Level.COMMUNE
    insee_code = factory.Sequence(lambda n: f"{59000 + n % 900:05d}")
    name = factory.Sequence(lambda n: f"Commune {n}")
    latitude = 50.63
    longitude = 3.06

    @factory.post_generation
    def postcode(self, create, extracted, **kwargs):
        """TerritoryFactory(postcode="59000") gives the commune that postcode (several: "59000 59160")."""
        if create and extracted:
            for code in extracted.split():
                Postcode.objects.get_or_create(code=code, commune=self)


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


def make_commune(*, postcode: str = "", **fields) -> Territory:
    """A commune with its postcodes ("59000", or several: "59000 59160"). A commune of the same
    INSEE code made earlier by TerritoryFactory (whose codes cycle through 59000–59899) takes the
    fields given instead of failing the unique constraint."""
    fields = {"level": Territory.Level.COMMUNE, **fields}
    if "insee_code" in fields:
        level, code = fields.pop("level"), fields.pop("insee_code")
        commune, _ = Territory.objects.update_or_create(level=level, insee_code=code, defaults=fields)
    else:
        commune = Territory.objects.create(**fields)
    for code in postcode.split():
        Postcode.objects.create(code=code, commune=commune)
    return commune
