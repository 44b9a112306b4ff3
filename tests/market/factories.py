import datetime

import factory
from django.utils import timezone

from parcours.market.importers import dedup_key
from parcours.market.models import Establishment, Hire, JobOffer


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobOffer

    source = "test"
    external_id = factory.Sequence(lambda n: f"T{n:06d}")
    title = "Aide-soignant / Aide-soignante"
    rome_code = "J1501"
    employer_name = factory.Sequence(lambda n: f"Employeur {n}")
    commune_insee = "59350"
    latitude = 50.6292
    longitude = 3.0573
    contract_type = "CDI"
    full_time = True
    posted_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=3))
    dedup_key = factory.LazyAttribute(
        lambda o: dedup_key(o.title, o.employer_name, o.commune_insee, o.contract_type)
    )


class EstablishmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Establishment

    siret = factory.Sequence(lambda n: f"{12345678900000 + n:014d}")
    name = factory.Sequence(lambda n: f"Établissement {n}")
    naf_code = "8710A"
    commune_insee = "59350"
    latitude = 50.6292
    longitude = 3.0573


class HireFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hire

    establishment = factory.SubFactory(EstablishmentFactory)
    hired_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    rome_code = "J1501"
    declaration_key = factory.Sequence(lambda n: f"decl-{n}")
