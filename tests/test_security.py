"""Basics of security: production defaults, login throttling, CSRF, no personal data in logs."""

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from parcours.cases import actions
from parcours.cases import actions as case_actions

ROOT = Path(__file__).resolve().parent.parent


def _settings_in_subprocess(env: dict[str, str], expr: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "PARCOURS_TESTING"}}
    code = f"import config.settings as s; print(({expr},))"
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        # a valid Fernet key: production settings require one (FIELD_ENCRYPTION_KEYS)
        env={**clean, "FIELD_ENCRYPTION_KEYS": "ZmllbGQtZW5jcnlwdGlvbi1rZXktZm9yLXRlc3RzLTE=", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_is_off_and_secret_key_required_by_default():
    result = _settings_in_subprocess({}, "s.DEBUG")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_are_secure():
    result = _settings_in_subprocess(
        {"SECRET_KEY": "x" * 50},
        "s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(False, True, True, True, True)"


def test_boolean_settings_are_strict():
    result = _settings_in_subprocess({"SECRET_KEY": "x" * 50, "DEBUG": "maybe"}, "s.DEBUG")
    assert result.returncode != 0 and "DEBUG must be a boolean" in result.stderr


@pytest.mark.django_db
def test_pages_require_login(client):
    response = client.get(reverse("cases:portfolio"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.django_db
def test_api_without_credentials_answers_401_in_json(client):
    response = client.get("/api/v1/persons")
    assert response.status_code == 401
    assert "error" in response.json()


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_login_is_throttled_after_repeated_failures(counselor):
    client = Client()
    url = reverse("accounts:login")
    for _ in range(3):
        client.post(url, {"username": counselor.username, "password": "wrong"})
    response = client.post(url, {"username": counselor.username, "password": "test-password"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@override_settings(AXES_ENABLED=True)
def test_login_with_right_password_works_when_throttling_is_on(counselor):
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": counselor.username, "password": "test-password"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(counselor.pk)


def test_csrf_is_enforced_on_forms(counselor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(counselor)
    response = client.post(reverse("accounts:api_tokens"), {"name": "outil"})
    assert response.status_code == 403


def test_actions_log_no_personal_data(caplog, counselor, organisation):
    caplog.set_level(logging.DEBUG)
    person = case_actions.create_person(
        by=counselor,
        first_name="Zéphyrine",
        last_name="Quatremare",
        birth_date="1988-02-03",
        email="zq@example.org",
    )
    episode = actions.open_episode(person, by=counselor, organisation=organisation)
    actions.record_contact(episode, by=counselor, channel="phone", summary="Très confidentiel: Quatremare")
    text = caplog.text.lower()
    for secret in ("zéphyrine", "quatremare", "zq@example.org", "1988", "confidentiel"):
        assert secret not in text
    assert f"episode={episode.pk}" in caplog.text


# --- Issue 14: headers ----------------------------------------------------------------------------
TEMPLATE_DIRS = [ROOT / "templates", *sorted((ROOT / "parcours").glob("*/templates"))]


def _templates():
    for folder in TEMPLATE_DIRS:
        yield from sorted(folder.rglob("*.html"))


def test_no_template_has_inline_style_or_script():
    """The CSP refuses inline styles and scripts: none may be written in a template."""
    offenders = []
    for path in _templates():
        text = path.read_text()
        if re.search(r"\sstyle\s*=", text) or "<style" in text:
            offenders.append(f"{path.relative_to(ROOT)}: style")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                offenders.append(f"{path.relative_to(ROOT)}: {tag}")
        if re.search(r"\son[a-z]+\s*=|\shx-on", text):
            offenders.append(f"{path.relative_to(ROOT)}: event handler attribute")
    assert offenders == []


def test_server_drawn_charts_use_no_style_attribute():
    from parcours.evaluation.charts import svg_chart

    bars = svg_chart(["janv.", "févr."], {"Taux": [0.4, None]}, title="Taux", desc="Deux mois")
    lines = svg_chart(["2025", "2026"], {"A": [1.0, 2.0], "B": [2.0, 1.0]}, title="Deux", desc="Séries")
    for svg in (bars, lines):
        assert "style=" not in svg and 'class="chart"' in svg


def test_csp_report_only_mode_sends_the_same_policy_without_enforcing_it():
    result = _settings_in_subprocess(
        {"SECRET_KEY": "x" * 50, "CSP_REPORT_ONLY": "true"},
        "s.CONTENT_SECURITY_POLICY, s.CONTENT_SECURITY_POLICY_REPORT_ONLY['DIRECTIVES']['script-src']",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(None, [\"'self'\"])"


@pytest.mark.django_db
def test_csp_report_only_header(client, settings):
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = None
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": directives}
    response = client.get(reverse("accounts:login"))
    assert "Content-Security-Policy" not in response
    assert "default-src 'none'" in response["Content-Security-Policy-Report-Only"]


@pytest.mark.django_db
def test_the_api_docs_page_alone_relaxes_styles_and_images(client):
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    # The header's directives come in no fixed order: compare them as a mapping.
    policy = {
        name: sources
        for name, _, sources in (
            part.strip().partition(" ") for part in docs["Content-Security-Policy"].split(";")
        )
    }
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["img-src"] == "'self' data:"
    assert policy["script-src"] == "'self'"
    login = client.get(reverse("accounts:login"))["Content-Security-Policy"]
    assert "unsafe-inline" not in login and "data:" not in login


@pytest.mark.django_db
def test_the_full_model_card_is_a_site_page_under_the_strict_policy(client):
    """The card is rendered in the site's layout from its JSON: the core's standalone HTML and its
    <style> element are not served, so the page needs no relaxation of the policy."""
    from tests.profiling.factories import ModelFactory

    model = ModelFactory(version="2026-12-card")
    model.card_html = "<!DOCTYPE html><html><head><style>body{margin:0}</style></head><body>x</body></html>"
    model.save(update_fields=["card_html"])
    response = client.get(reverse("profiling:model_card_full", args=[model.version]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "<style" not in content and '<header class="site-header">' in content
    assert "nonce-" not in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_static_files_may_be_cached_pages_may_not(client):
    page = client.get(reverse("catalogue:public_search"))
    assert page["Cache-Control"] == "no-store"
    css = client.get("/static/css/parcours.css")
    css.close()  # a file response: release the file
    assert css.status_code == 200 and "no-store" not in css.get("Cache-Control", "")


@pytest.mark.parametrize("program", [["manage.py", "check"], ["-m", "parcours", "migrate"]])
def test_manage_py_without_secret_key_prints_one_line_and_exits_2(program, tmp_path):
    drop = {"DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "PARCOURS_TESTING", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'none.sqlite3'}"
    done = subprocess.run(  # noqa: S603
        [sys.executable, *program], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "parcours: configuration error: SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off."
    ]


def test_parallel_query_is_set_per_process_on_postgresql():
    """DB_PARALLEL_WORKERS_PER_GATHER goes into the connection's options next to jit=off (the web
    servers set 0, docs/deploy.md); unset, the server's default stays; a bad value stops start-up."""
    url = {"SECRET_KEY": "x" * 50, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test"}
    options = "s.DATABASES['default']['OPTIONS']['options']"
    result = _settings_in_subprocess({**url, "DB_PARALLEL_WORKERS_PER_GATHER": "0"}, options)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "('-c jit=off -c max_parallel_workers_per_gather=0',)"
    result = _settings_in_subprocess(url, options)
    assert result.stdout.strip() == "('-c jit=off',)", result.stderr
    result = _settings_in_subprocess({**url, "DB_PARALLEL_WORKERS_PER_GATHER": "-3"}, options)
    assert (
        result.returncode != 0 and "DB_PARALLEL_WORKERS_PER_GATHER must be between 0 and 64" in result.stderr
    )
    result = _settings_in_subprocess({**url, "DB_PARALLEL_WORKERS_PER_GATHER": "many"}, options)
    assert result.returncode != 0 and "DB_PARALLEL_WORKERS_PER_GATHER must be an integer" in result.stderr
