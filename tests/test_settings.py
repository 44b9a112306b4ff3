"""config/settings.py: integrations behind USE_<X> flags and loud when on but unconfigured,
e-mail from EMAIL_URL, an explicit test flag, no data path outside the repository."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
CLEARED = {
    "DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "PARCOURS_TESTING", "EMAIL_URL", "DEFAULT_FROM_EMAIL",
    "USE_FRANCE_TRAVAIL_API", "FRANCE_TRAVAIL_CLIENT_ID", "FRANCE_TRAVAIL_CLIENT_SECRET", "USE_SMS",
    "SMS_BACKEND", "BREVO_API_KEY", "ROME_DATA_DIR", "ESCO_DATA_DIR", "FIELD_ENCRYPTION_KEYS",
    "FIELD_ENCRYPTION_KEYS_FILE",
}  # fmt: skip
# a valid Fernet key (production requires one)
KEY = "ZmllbGQtZW5jcnlwdGlvbi1rZXktZm9yLXRlc3RzLTE="


def settings_of(env: dict[str, str], expr: str, *, before: str = "") -> subprocess.CompletedProcess:
    """Load config/settings.py in a fresh interpreter with only ENV set; print EXPR."""
    clean = {k: v for k, v in os.environ.items() if k not in CLEARED}
    code = f"{before}import config.settings as s; print(repr({expr}))"
    return subprocess.run(  # noqa: S603 -- fixed argv, no shell
        [sys.executable, "-c", code],
        env={**clean, "SECRET_KEY": "x" * 50, "FIELD_ENCRYPTION_KEYS": KEY, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_test_flag_is_set_by_the_test_configuration():
    assert settings.TESTING is True
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_importing_pytest_does_not_turn_on_the_test_settings():
    done = settings_of({}, "s.TESTING", before="import pytest; ")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_email_url_configures_smtp_with_credentials():
    done = settings_of(
        {"EMAIL_URL": "smtp://parcours:p%40ss@mail.example.org:587?tls=True"},
        "(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS)",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == repr(
        ("django.core.mail.backends.smtp.EmailBackend", "mail.example.org", 587, "parcours", "p@ss", True)
    )


def test_debug_without_email_url_prints_e_mails_in_the_terminal():
    done = settings_of({"DEBUG": "true"}, "s.EMAIL_BACKEND")
    assert done.stdout.strip() == repr("django.core.mail.backends.console.EmailBackend")
    production = settings_of({}, "(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.DEFAULT_FROM_EMAIL)")
    assert production.stdout.strip() == repr(
        (
            "django.core.mail.backends.smtp.EmailBackend",
            "localhost",
            25,
            "Parcours <ne-pas-repondre@localhost>",
        )
    )


def test_console_email_url_and_from_address():
    done = settings_of(
        {"EMAIL_URL": "console://", "DEFAULT_FROM_EMAIL": "Parcours <noreply@example.org>"},
        "(s.EMAIL_BACKEND, s.DEFAULT_FROM_EMAIL)",
    )
    assert done.stdout.strip() == repr(
        ("django.core.mail.backends.console.EmailBackend", "Parcours <noreply@example.org>")
    )


def test_unknown_email_scheme_fails_loudly():
    done = settings_of({"EMAIL_URL": "pigeon://loft"}, "s.EMAIL_BACKEND")
    assert done.returncode == 1
    assert "EMAIL_URL scheme must be one of smtp" in done.stderr


def test_france_travail_api_on_without_credentials_fails_loudly():
    done = settings_of(
        {"USE_FRANCE_TRAVAIL_API": "true", "FRANCE_TRAVAIL_CLIENT_ID": "abc"}, "s.USE_FRANCE_TRAVAIL_API"
    )
    assert done.returncode == 1
    assert (
        "USE_FRANCE_TRAVAIL_API=true needs FRANCE_TRAVAIL_CLIENT_SECRET (or FRANCE_TRAVAIL_CLIENT_SECRET_FILE)"
        in done.stderr
    )


def test_france_travail_secret_may_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    done = settings_of(
        {
            "USE_FRANCE_TRAVAIL_API": "on",
            "FRANCE_TRAVAIL_CLIENT_ID": "abc",
            "FRANCE_TRAVAIL_CLIENT_SECRET_FILE": str(secret),
        },
        "s.FRANCE_TRAVAIL_CLIENT_SECRET",
    )
    assert done.stdout.strip() == repr("s3cret")


def test_sms_on_without_provider_key_fails_loudly():
    done = settings_of({"USE_SMS": "true"}, "s.USE_SMS")
    assert done.returncode == 1
    assert "USE_SMS=true with SMS_BACKEND=brevo needs BREVO_API_KEY" in done.stderr


def test_no_data_path_outside_the_repository_by_default():
    done = settings_of({}, "(s.ROME_DATA_DIR, s.ESCO_DATA_DIR)")
    assert done.stdout.strip() == repr(("", ""))
