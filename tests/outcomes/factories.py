import datetime

import factory

from parcours.outcomes.models import EmploymentOutcome
from tests.cases.factories import EpisodeFactory


class OutcomeFactory(factory.django.DjangoModelFactory):
    """An outcome row without its check-ins: tests of the schedule go through actions.record_outcome."""

    class Meta:
        model = EmploymentOutcome

    episode = factory.SubFactory(EpisodeFactory, stage="employed")
    contract_type = "cdi"
    weekly_hours = 35
    start_on = datetime.date(2026, 1, 31)
    job_title = "Serveur en restauration"
