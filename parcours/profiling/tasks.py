"""Background scoring (django-tasks): ids in, idempotent, enqueued on commit."""

import logging

from django.db import transaction
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def score_episode(episode_id: int) -> int | None:
    """Score one episode with the active model; returns the score id (an existing one when nothing
    changed since the last score), None without an active model or for a closed episode."""
    from parcours.profiling.actions import score_episodes
    from parcours.profiling.scores import active_model

    model = active_model()
    if model is None:
        logger.info("episode=%s not scored reason=no_active_model", episode_id)
        return None
    scores = score_episodes([episode_id], model=model)
    return scores[0].pk if scores else None


def request_score(episode) -> None:
    """Ask for a (new) score of the episode once the current transaction commits. Call it after
    opening an episode and after any new information (a completed diagnosis)."""
    episode_id = episode.pk
    transaction.on_commit(lambda: score_episode.enqueue(episode_id=episode_id))
