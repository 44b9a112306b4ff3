"""``parcours serve``: gunicorn running the Django application with production settings.

Workers are processes (the sync worker: one request at a time each, the database connection
kept open between requests with ``DB_CONN_MAX_AGE``). Their number comes from ``--workers``, else
``WEB_CONCURRENCY``, else 2 × CPU + 1 (gunicorn's rule of thumb). Static files are served by
WhiteNoise from ``collectstatic``'s output (compressed, with far-future cache headers on hashed
names). Gunicorn's own lines and Django's go to stdout as key=value lines; gunicorn's access log
is off, Parcours logs each request itself with its request id (``parcours.ops.logs``).

Once the application is loaded, and before the workers are forked, :func:`freeze_startup_objects`
moves every object of the loaded program (about 220,000: modules, classes, functions, the URL
table) out of the garbage collector's reach (``gc.freeze()``, as the Python documentation advises
for pre-forking servers). Without it each full collection walks them all: measured at 1M people,
one person-page request in twenty took 160 ms more than the others (docs/benchmarks.md). The
workers also keep sharing those pages of memory with the master instead of copying them.
"""

from __future__ import annotations

import gc
import os

from gunicorn.app.base import BaseApplication

from parcours.ops.logs import KeyValueFormatter, log_to_stdout


def default_workers() -> int:
    value = os.environ.get("WEB_CONCURRENCY", "")
    if value:
        try:
            workers = int(value)
        except ValueError as exc:
            raise ValueError(f"WEB_CONCURRENCY must be a whole number, got {value!r}") from exc
        if workers < 1:
            raise ValueError(f"WEB_CONCURRENCY must be at least 1, got {workers}")
        return workers
    return 2 * (os.cpu_count() or 1) + 1


def gunicorn_options(*, bind: str, workers: int, timeout: int) -> dict:
    return {
        "bind": bind,
        "workers": workers,
        "worker_class": "sync",
        "timeout": timeout,
        # Django is imported once in the master and the workers are forked from it: faster
        # (re)starts and shared memory. No database connection is opened before the fork.
        "preload_app": True,
        # gunicorn's control socket (a file in the home directory) is not used.
        "control_socket_disable": True,
        "graceful_timeout": 30,
        # Recycle workers now and then (memory of long-lived processes), not all at once.
        "max_requests": 5000,
        "max_requests_jitter": 500,
        "accesslog": None,
        "errorlog": "-",
        "logconfig_dict": {
            "version": 1,
            "disable_existing_loggers": False,
            "root": {"level": "INFO", "handlers": ["stdout"]},
            "loggers": {
                "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
                # Its lines carry the query string: Parcours logs each request itself.
                "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
            },
            "formatters": {"kv": {"()": KeyValueFormatter}},
            "handlers": {
                "stdout": {"class": "logging.StreamHandler", "formatter": "kv", "stream": "ext://sys.stdout"}
            },
        },
        # Behind a reverse proxy on the same host or network: trust its X-Forwarded-* headers.
        "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
    }


def freeze_startup_objects() -> int:
    """Build the URL table, collect the garbage of the start-up, then freeze what is left
    (``gc.freeze()``): the collector never walks those objects again. Returns how many were frozen."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view module once, in the master)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class ParcoursServer(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from config.wsgi import application

        log_to_stdout()  # after the application's setup, which configured the logs again
        freeze_startup_objects()
        return application
