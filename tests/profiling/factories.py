import datetime
import random

import factory
from django.utils import timezone

from parcours.profiling.models import ProfilingModel, ProfilingScore
from tests.cases.factories import EpisodeFactory
from tests.people.factories import PersonFactory


def closed_history(n: int, *, organisation, referent, seed: int = 0, today: datetime.date | None = None):
    """`n` episodes that started 13 to 30 months ago with a real signal: people on minimum income,
    older people and people with many earlier episodes return to work less often."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    episodes = []
    for _ in range(n):
        minimum_income = rng.random() < 0.4
        age = rng.randint(18, 60)
        start = today - datetime.timedelta(days=rng.randint(400, 900))
        person = PersonFactory(
            birth_date=start - datetime.timedelta(days=365 * age + rng.randint(0, 300)),
            sex=rng.choice("FM"),
            minimum_income=minimum_income,
            priority_area=rng.random() < 0.3,
            status=rng.choice(["job_seeker", "job_seeker", "employed", "inactive"]),
        )
        p_job = 0.75 - 0.45 * minimum_income - 0.006 * (age - 18)
        found_job = rng.random() < p_job
        ended = start + datetime.timedelta(days=rng.randint(60, 330) if found_job else rng.randint(370, 390))
        episodes.append(
            EpisodeFactory(
                person=person,
                organisation=organisation,
                referent=referent,
                started_on=start,
                stage="closed",
                ended_on=ended,
                end_reason="employed_durable"
                if found_job
                else rng.choice(["no_contact", "other", "training"]),
                intensity=rng.choice(["follow", "guided", "intensive"]),
            )
        )
    return episodes


class ModelFactory(factory.django.DjangoModelFactory):
    """A registry row without a usable artefact (for pages and bands, not for scoring)."""

    class Meta:
        model = ProfilingModel

    version = factory.Sequence(lambda n: f"test-{n}")
    outcome_definition = "Pas de retour durable à l'emploi dans les 12 mois"
    algorithm = "logistic"
    artefact = b""
    card = factory.LazyFunction(lambda: {"intended_use": "Aide à la décision", "limits": ["Pas causal"]})
    card_html = "<html><body>fiche</body></html>"


class ScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProfilingScore

    episode = factory.SubFactory(EpisodeFactory)
    model = factory.SubFactory(ModelFactory)
    score = 0.5
    band = "medium"
    top_factors = factory.LazyFunction(list)
    inputs_hash = factory.Sequence(lambda n: f"hash{n}")
