import datetime

import factory

from parcours.evaluation.models import Arm, Experiment
from tests.accounts.factories import UserFactory
from tests.organisations.factories import OrganisationFactory


class ExperimentFactory(factory.django.DjangoModelFactory):
    """A draft experiment; add arms with ArmFactory (position 0 is the control group)."""

    class Meta:
        model = Experiment

    title = factory.Sequence(lambda n: f"Expérimentation {n}")
    question = "Le dispositif augmente-t-il le retour à l'emploi ?"
    organisation = factory.SubFactory(OrganisationFactory)
    outcomes = factory.LazyFunction(lambda: ["employment_6m"])
    starts_on = datetime.date(2020, 1, 1)
    ends_on = datetime.date(2035, 12, 31)
    seed = 20240613
    created_by = factory.SubFactory(UserFactory)


class ArmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Arm

    experiment = factory.SubFactory(ExperimentFactory)
    position = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"Bras {n}")
