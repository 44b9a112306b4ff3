"""Basics of security: production defaults, login throttling, CSRF, no personal data in logs."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from parcours.cases import actions
from parcours.people import actions as people_actions

ROOT = Path(__file__).resolve().parent.parent


def _settings_in_subprocess(env: dict[str, str], expr: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "PARCOURS_TESTING"}}
    code = f"import config.settings as s; print(({expr},))"
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**clean, **env},
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
    person = people_actions.create_person(
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
