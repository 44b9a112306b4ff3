"""Background work of evaluation (django-tasks): ids in, idempotent, enqueued on commit."""

import logging

from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def run_analysis_task(experiment_id: int, user_id: int | None = None) -> int:
    """Analyse an experiment and store a new ImpactReport; returns its number."""
    from parcours.accounts.models import User
    from parcours.evaluation.analysis import run_analysis
    from parcours.evaluation.models import Experiment

    experiment = Experiment.objects.get(pk=experiment_id)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    return run_analysis(experiment, by=user).number


@task()
def send_due_surveys_task() -> dict:
    from parcours.evaluation.surveys import send_due_surveys

    return send_due_surveys()


@task()
def compute_indicators_task(period: str | None = None) -> dict:
    from parcours.evaluation.indicators import compute_indicators

    return compute_indicators(period=period)
