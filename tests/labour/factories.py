import datetime

import factory
from django.utils import timezone

from parcours.labour.models import (
    CareerProject,
    Occupation,
    ReferentialVersion,
    TargetOccupation,
    WorkPlacement,
)
from tests.cases.factories import EpisodeFactory


class ReferentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferentialVersion

    taxonomy = "rome"
    version = "460"


class OccupationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Occupation
        django_get_or_create = ["rome_code"]

    rome_code = factory.Sequence(lambda n: f"Z{n % 10000:04d}")
    label = factory.Sequence(lambda n: f"Métier {n}")
    referential = factory.SubFactory(ReferentialFactory)


class CareerProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareerProject

    episode = factory.SubFactory(EpisodeFactory)
    created_by = factory.SelfAttribute("episode.referent")


class TargetOccupationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TargetOccupation

    project = factory.SubFactory(CareerProjectFactory)
    occupation = factory.SubFactory(OccupationFactory)

    class Params:
        confirmed = factory.Trait(status="confirmed", evidence="Enquête métier concluante")


class WorkPlacementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkPlacement

    project = factory.SubFactory(CareerProjectFactory)
    objective = WorkPlacement.Objective.CONFIRM
    occupation = factory.SubFactory(OccupationFactory)
    host_name = "EHPAD Les Tilleuls"
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=5))
    created_by = factory.SelfAttribute("project.created_by")
