"""parcours serve [--bind HOST:PORT] [--workers N]: the production server (gunicorn)."""

import os
import sys

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management.base import BaseCommand, CommandError

from parcours.ops.server import ParcoursServer, default_workers, gunicorn_options


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Serve Parcours with gunicorn and production settings (run collectstatic and migrate first)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind",
            default=os.environ.get("BIND", "127.0.0.1:8000"),
            help="HOST:PORT to listen on (default: $BIND or 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--workers",
            type=positive,
            default=None,
            help="worker processes (default: $WEB_CONCURRENCY, else 2 x CPU + 1)",
        )
        parser.add_argument(
            "--timeout",
            type=positive,
            default=int(os.environ.get("WEB_TIMEOUT", "60")),
            help="seconds before a silent worker is restarted (default: $WEB_TIMEOUT or 60)",
        )

    def handle(self, *args, bind, workers, timeout, **options):
        host, _, port = bind.rpartition(":")
        if not host or not port.isdigit():
            raise CommandError(f"--bind must be HOST:PORT, got {bind!r}", returncode=2)
        try:
            workers = workers or default_workers()
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        manifest = getattr(staticfiles_storage, "manifest_name", None)
        if not settings.DEBUG and manifest and not staticfiles_storage.exists(manifest):
            raise CommandError(
                "static files are not collected: run `parcours collectstatic --noinput` first", returncode=2
            )
        self.stderr.write(f"parcours serve bind={bind} workers={workers} timeout={timeout}")
        sys.argv = [sys.argv[0]]  # gunicorn must not parse the command line of parcours
        ParcoursServer(gunicorn_options(bind=bind, workers=workers, timeout=timeout)).run()
