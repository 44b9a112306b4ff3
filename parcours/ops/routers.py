"""The read replica: analytical reads go to it, everything else stays on the primary.

``DATABASE_REPLICA_URL`` adds a ``replica`` database (a PostgreSQL streaming replica). Code that
computes figures over many people (indicators, transparency, coverage, exports, the training set
of the profiling model) says so explicitly::

    with analytics():
        rows = list(SupportEpisode.objects.filter(...).values(...))

and ``AnalyticsRouter`` sends the reads made inside that block to the replica. Everything else —
case-file reads (a counselor must see what she has just written), every write, sessions,
accounts and the task queue — stays on the primary. Without a replica, ``analytics()`` changes
nothing: ``ANALYTICS_DATABASE`` is then ``default``. Raw SQL asks ``analytics_connection()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

PRIMARY = "default"
# Tables that are read right after being written by the same request, or that the primary must
# answer for correctness: they never go to the replica, even inside analytics().
PRIMARY_ONLY_APPS = frozenset(
    {"sessions", "accounts", "axes", "django_tasks_database", "contenttypes", "admin", "auth"}
)

_in_analytics: ContextVar[bool] = ContextVar("parcours_analytics", default=False)


def analytics_alias() -> str:
    """The database analytical reads use: ``replica`` when one is configured, else ``default``."""
    return settings.ANALYTICS_DATABASE


@contextmanager
def analytics() -> Iterator[str]:
    """Reads inside this block (querysets evaluated in it) go to the analytics database; also a
    decorator (``@analytics()``) for a whole view. Yields the alias, for ``.using()``."""
    token = _in_analytics.set(True)
    try:
        yield analytics_alias()
    finally:
        _in_analytics.reset(token)


def in_analytics() -> bool:
    return _in_analytics.get()


def analytics_connection():
    """The connection for raw analytical SQL: the replica's inside ``analytics()``."""
    return connections[analytics_alias() if in_analytics() else PRIMARY]


class AnalyticsRouter:
    def db_for_read(self, model, **hints) -> str:
        if in_analytics() and model._meta.app_label not in PRIMARY_ONLY_APPS:
            return analytics_alias()
        # Explicit, so that objects read from the replica never pull their relations from it
        # outside an analytics block.
        return PRIMARY

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        # A streaming replica follows the primary's schema; migrations run on the primary only.
        return db == PRIMARY
