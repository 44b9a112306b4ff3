import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from parcours.ops.server import ParcoursServer, default_workers, gunicorn_options

ROOT = Path(__file__).resolve().parents[2]


def test_workers_default_to_web_concurrency(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert default_workers() == 3


def test_workers_default_to_twice_the_cpus_plus_one(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert default_workers() == 5


@pytest.mark.parametrize("value", ["many", "0"])
def test_a_bad_web_concurrency_is_refused(monkeypatch, value):
    monkeypatch.setenv("WEB_CONCURRENCY", value)
    with pytest.raises(CommandError) as error:
        call_command("serve")
    assert error.value.returncode == 2
    assert "WEB_CONCURRENCY" in str(error.value)


def test_loading_the_application_freezes_the_start_up_objects(monkeypatch):
    """`parcours serve` loads the application in the master, then freezes what the start-up built
    (gc.freeze) so that the workers' full collections no longer walk it."""
    import gc

    monkeypatch.setattr("parcours.ops.server.log_to_stdout", lambda: None)
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    server = ParcoursServer.__new__(ParcoursServer)  # load() only: no configuration, no socket
    try:
        application = server.load()
        from config.wsgi import application as wsgi_application

        assert application is wsgi_application
        # Every module, class and function of the loaded program: well over 10,000 objects.
        assert gc.get_freeze_count() > 10_000
        # What the next full collection walks: only what was created after the freeze.
        assert len(gc.get_objects(generation=2)) < gc.get_freeze_count() // 10
    finally:
        gc.unfreeze()


def test_a_bind_without_port_is_refused():
    with pytest.raises(CommandError) as error:
        call_command("serve", bind="localhost")
    assert error.value.returncode == 2
    assert str(error.value) == "--bind must be HOST:PORT, got 'localhost'"


def test_serve_refuses_to_start_before_collectstatic(settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with pytest.raises(CommandError) as error:
        call_command("serve", bind="127.0.0.1:8999", workers=1)
    assert error.value.returncode == 2
    assert "collectstatic" in str(error.value)


def test_gunicorn_runs_sync_workers_without_its_access_log():
    options = gunicorn_options(bind="127.0.0.1:8000", workers=4, timeout=30)
    assert options["workers"] == 4
    assert options["worker_class"] == "sync"
    assert options["accesslog"] is None
    assert options["preload_app"] is True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_parcours_serve_answers_health_serves_static_files_and_logs_key_value_lines(tmp_path):
    """The real command: gunicorn with two workers on an empty SQLite file, production settings."""
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.0123456789ab.css").write_text("body { color: black; }\n")
    # What collectstatic writes (collecting the whole tree takes minutes: brotli and gzip).
    (static / "staticfiles.json").write_text(
        json.dumps({"paths": {"css/site.css": "css/site.0123456789ab.css"}, "version": "1.1", "hash": "x"})
    )
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))},
        "SECRET_KEY": "test-only",
        "FIELD_ENCRYPTION_KEYS": "ZmllbGQtZW5jcnlwdGlvbi1rZXktZm9yLXRlc3RzLTE=",  # a valid Fernet key: required when DEBUG is off
        "STATIC_ROOT": str(static),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TASKS_IMMEDIATE": "true",
        "SECURE_SSL": "false",
        "DEBUG": "false",
        "PARCOURS_TESTING": "false",
    }
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "parcours", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    request_id = str(uuid.uuid4())
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/health/", headers={"X-Request-ID": request_id}
                )
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                    status, headers, body = response.status, response.headers, json.load(response)
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "parcours serve did not answer within 90 s"
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/site.0123456789ab.css") as css:
            css_status, css_cache, css_body = css.status, css.headers["Cache-Control"], css.read()
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)
    assert status == 200
    assert headers["X-Request-ID"] == request_id
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert css_status == 200
    assert css_body == b"body { color: black; }\n"
    assert "immutable" in css_cache
    assert server.returncode == 0
    assert "workers=2" in err
    lines = out.splitlines()
    assert all(line.startswith("ts=") for line in lines), lines
    assert sum('msg="Booting worker with pid' in line for line in lines) == 2
    [request_line] = [line for line in lines if f"request_id={request_id}" in line]
    assert " event=request method=GET route=/health/ view=ops:health status=200 " in request_line
