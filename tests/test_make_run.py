"""What a newcomer sees with `make run`: the worker's output in the terminal, links in e-mails to the
server that was started, one log line per refused request, and a clean `git status`."""

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[1]

MAKE, GIT = shutil.which("make"), shutil.which("git")
needs_make = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def dry_run(*variables: str) -> list[str]:
    """The commands `make run` would execute (make -n), one per line."""
    result = subprocess.run(  # noqa: S603 (fixed argv, no shell)
        [MAKE, "-n", "run", *variables], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()


@needs_make
def test_make_run_points_site_url_at_the_host_and_port_it_serves():
    lines = dry_run("HOST=0.0.0.0", "PORT=8765")
    served = [line for line in lines if "runserver" in line]
    assert len(served) == 1
    assert "runserver 0.0.0.0:8765" in served[0]
    assert "SITE_URL=http://0.0.0.0:8765" in served[0]
    worker = [line for line in lines if "db_worker" in line]
    assert len(worker) == 1
    assert "SITE_URL=http://0.0.0.0:8765" in worker[0]


@needs_make
def test_make_run_shows_the_worker_output_in_the_terminal():
    (worker,) = [line for line in dry_run() if "db_worker" in line]
    assert "/dev/null" not in worker


def test_build_artefacts_are_not_tracked():
    if GIT is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(  # noqa: S603
        [GIT, "ls-files", "--", "*.egg-info/*"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert tracked == ""
    ignored = subprocess.run(  # noqa: S603
        [GIT, "check-ignore", "-q", "parcours.egg-info/PKG-INFO"], cwd=ROOT, check=False
    ).returncode
    assert ignored == 0


def _handlers_emitting(record: logging.LogRecord) -> list[logging.Handler]:
    """The handlers (the project's, not pytest's) that would write ``record``."""
    found, logger = [], logging.getLogger(record.name)
    while logger is not None:
        for handler in logger.handlers:
            if type(handler).__module__.startswith("_pytest"):
                continue
            if record.levelno >= handler.level and handler.filter(record):
                found.append(handler)
        logger = logger.parent if logger.propagate else None
    return found


def request_record(status_code: int, level: int, message: str) -> logging.LogRecord:
    """The record Django's request logging writes for a response, with the exception it answers."""
    try:
        raise RuntimeError(message)
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.getLogger("django.request").makeRecord(
        "django.request", level, __file__, 1, message + ": %s", ("/x/",), exc_info
    )
    record.status_code = status_code
    return record


@override_settings(DEBUG=True)  # make run's setting: Django's own console handler is active then
def test_a_refused_request_is_logged_once_without_traceback():
    record = request_record(403, logging.WARNING, "Forbidden (Permission denied)")
    handlers = _handlers_emitting(record)
    assert len(handlers) == 1
    line = handlers[0].format(record)
    assert 'msg="Forbidden (Permission denied): /x/"' in line
    assert "traceback=" not in line and "Traceback" not in line


def test_a_server_error_keeps_its_traceback():
    record = request_record(500, logging.ERROR, "Internal Server Error")
    (handler,) = _handlers_emitting(record)
    assert "traceback=" in handler.format(record)
