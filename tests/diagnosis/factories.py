import copy
import json

import factory

from parcours.diagnosis.loader import QUESTIONNAIRE_DIR, load_definition
from parcours.diagnosis.models import Action, ActionPlan, Barrier, Diagnosis, OrientationRule
from tests.cases.factories import EpisodeFactory


def shipped_definition() -> dict:
    """A fresh copy of the questionnaire shipped in the repository (v1)."""
    return copy.deepcopy(
        json.loads((QUESTIONNAIRE_DIR / "diagnostic-initial.v1.json").read_text(encoding="utf-8"))
    )


def load_shipped_questionnaire():
    version, _ = load_definition(shipped_definition(), "shipped")
    return version


class DiagnosisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Diagnosis

    episode = factory.SubFactory(EpisodeFactory)
    questionnaire_version = factory.LazyFunction(load_shipped_questionnaire)
    started_by = factory.SelfAttribute("episode.referent")

    class Params:
        completed = factory.Trait(
            status=Diagnosis.Status.COMPLETED,
            completed_at=factory.Faker("date_time", tzinfo=__import__("datetime").timezone.utc),
        )


class BarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Barrier

    diagnosis = factory.SubFactory(DiagnosisFactory, completed=True)
    kind = "housing"
    severity = "medium"


class ActionPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionPlan

    episode = factory.SubFactory(EpisodeFactory)


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    plan = factory.SubFactory(ActionPlanFactory)
    goal = factory.Sequence(lambda n: f"Objectif {n}")


class OrientationRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrientationRule

    priority = factory.Sequence(lambda n: 10 * (n + 1))
    name = factory.Sequence(lambda n: f"Règle {n}")
    suggested_intensity = "guided"
    suggested_approach = "sequential"
