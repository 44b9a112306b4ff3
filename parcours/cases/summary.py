"""The contact summary denormalised on episodes, rebuilt from the contact log.

``record_contact`` keeps ``first_contact_at`` and ``contact_count`` (with ``last_contact_at`` and
the next due date) in step one contact at a time. :func:`refresh_contact_summary` rebuilds the
first two from ``Contact`` rows for what bypasses it: the migration that introduced the columns,
bulk loads (benchmarks) and tests that write contacts directly.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def refresh_contact_summary(
    episode_ids: Iterable[int] | None = None, *, episode_model=None, contact_model=None
) -> int:
    """Recompute first contact and contact count of the given episodes (all when None); returns
    the number of episodes updated.

    One UPDATE with correlated subqueries on the (episode, occurred_at) index. The models can be
    given (a migration passes its historical models).
    """
    if episode_model is None or contact_model is None:
        from parcours.cases.models import Contact, SupportEpisode

        episode_model, contact_model = episode_model or SupportEpisode, contact_model or Contact
    per_episode = contact_model.objects.filter(episode_id=OuterRef("pk")).order_by().values("episode_id")
    episodes = episode_model.objects.all()
    if episode_ids is not None:
        episodes = episodes.filter(pk__in=list(episode_ids))
    return episodes.update(
        first_contact_at=Subquery(per_episode.annotate(at=Min("occurred_at")).values("at")),
        contact_count=Coalesce(Subquery(per_episode.annotate(n=Count("pk")).values("n")), Value(0)),
    )
