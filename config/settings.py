"""Parcours settings: the only settings file, read from environment variables."""

import logging
import os
from pathlib import Path

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Strict boolean: only true/false/1/0/yes/no/on/off are accepted."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_secret(name: str, default: str = "") -> str:
    """Read a secret from NAME or from the file named by NAME_FILE (Docker/K8s secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Set by the test configuration (pyproject.toml: pytest-env sets PARCOURS_TESTING=true before
# pytest-django loads these settings); never guessed from the running program.
TESTING = env_bool("PARCOURS_TESTING", False)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if env_bool("PARCOURS_EPHEMERAL_SECRET_KEY", False):
        # Set by the `parcours` wrapper for the science commands that sign nothing (they read a
        # CSV and print numbers): they must work anywhere without configuration.
        import secrets

        SECRET_KEY = secrets.token_urlsafe(50)
    elif DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-only-for-debug-and-tests"  # noqa: S105
    else:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off.")

# Encryption at rest of the sensitive free text and answers (parcours/ops/encryption.py): Fernet
# keys, comma-separated; the first encrypts, all decrypt (rotation: docs/privacy.md). Required when
# DEBUG is off; development and tests derive one from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = [key.strip() for key in env_secret("FIELD_ENCRYPTION_KEYS").split(",") if key.strip()]
if not FIELD_ENCRYPTION_KEYS:
    if DEBUG or TESTING or env_bool("PARCOURS_EPHEMERAL_SECRET_KEY", False):
        import base64
        import hashlib

        _derived = hashlib.sha256(f"parcours-field-encryption:{SECRET_KEY}".encode()).digest()
        FIELD_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(_derived).decode()]
    else:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS (or FIELD_ENCRYPTION_KEYS_FILE) is required when DEBUG is off:"
            " generate a key with `parcours privacy generate-key`."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the Swagger UI assets locally (no CDN)
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_guid",
    "pgtrigger",  # the append-only triggers of the audit tables (PostgreSQL)
    "parcours.ops",
    "parcours.accounts",
    "parcours.organisations",
    "parcours.people",
    "parcours.cases",
    "parcours.intake",
    "parcours.diagnosis",
    "parcours.catalogue",
    "parcours.market",
    "parcours.demo",
    "parcours.profiling",
    "parcours.labour",
    "parcours.evaluation",
    "parcours.messaging",
    "parcours.agenda",
    "parcours.conversations",
    "parcours.portal",
    "parcours.outcomes",
    "parcours.obligations",
    "parcours.privacy",
    "parcours.home",
]

MIDDLEWARE = [
    # First, so that every later log line carries the request id.
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise: static files carry the policies too.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: static files stay cacheable; every other answer is `no-store` (personal data).
    "parcours.accounts.middleware.NoStoreMiddleware",
    # After WhiteNoise: static files are not logged line by line.
    "parcours.ops.logs.RequestLogMiddleware",
    # The API refuses a NUL character (PostgreSQL text cannot hold one) before any view runs.
    "parcours.ops.input.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages (they say why): an idle staff session is logged out, then a session that
    # must use a second factor is sent to set it up or to enter a code.
    "parcours.accounts.middleware.InactivityTimeoutMiddleware",
    "parcours.accounts.middleware.MFARequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "parcours.home.context_processors.navigation",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL selects the database everywhere; without it, the embedded SQLite file is used.
DATA_DIR = Path(env_str("PARCOURS_DATA_DIR", str(BASE_DIR / "var")))
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'parcours.sqlite3'}"
DATABASE_URL = env_str("DATABASE_URL", DEFAULT_DATABASE_URL)
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
# SQLite durability (docs/deploy.md, "SQLite and an OS crash"): NORMAL (default) may lose the last
# transactions committed before an OS crash or a power cut, never the database's consistency;
# FULL syncs the WAL at every commit and loses nothing acknowledged.
SQLITE_SYNCHRONOUS = env_str("SQLITE_SYNCHRONOUS", "NORMAL").upper()
if SQLITE_SYNCHRONOUS not in {"NORMAL", "FULL"}:
    raise ImproperlyConfigured(f"SQLITE_SYNCHRONOUS must be NORMAL or FULL, got {SQLITE_SYNCHRONOUS!r}")
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions: readers never block the writer, and writers queue
    # instead of failing with "database is locked" in the middle of a transaction.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            f"PRAGMA journal_mode=WAL; PRAGMA synchronous={SQLITE_SYNCHRONOUS}; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000;"
        ),
    }
    if _db["NAME"] and _db["NAME"] != ":memory:":
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
IS_POSTGRES = _db["ENGINE"] == "django.db.backends.postgresql"
if IS_POSTGRES and not env_bool("DB_JIT", False):
    # JIT compilation costs 30-130 ms per analytic query here (indicators over a million
    # episodes) and never pays off on short queries: off unless DB_JIT=true.
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"]["options"] = (_db["OPTIONS"].get("options", "") + " -c jit=off").strip()
# Parallel query for this process's connections (PostgreSQL's max_parallel_workers_per_gather;
# unset keeps the server's default, 2). The web servers should set 0 (docs/deploy.md): one
# request's count over an agency's caseload then runs in one process instead of three, and stops
# taking the cores the other requests are waiting for (mixed load test at 1M people on 2 cores:
# 15.6 -> 22.0 req/s, p95 910 -> 360 ms). Task workers, which run the analytical jobs, keep it.
DB_PARALLEL_WORKERS_PER_GATHER = env_int("DB_PARALLEL_WORKERS_PER_GATHER", -1)
if DB_PARALLEL_WORKERS_PER_GATHER < -1 or DB_PARALLEL_WORKERS_PER_GATHER > 64:
    raise ImproperlyConfigured(
        f"DB_PARALLEL_WORKERS_PER_GATHER must be between 0 and 64, got {DB_PARALLEL_WORKERS_PER_GATHER}"
    )
if IS_POSTGRES and DB_PARALLEL_WORKERS_PER_GATHER >= 0:
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"]["options"] = (
        _db["OPTIONS"].get("options", "")
        + f" -c max_parallel_workers_per_gather={DB_PARALLEL_WORKERS_PER_GATHER}"
    ).strip()
DATABASES = {"default": _db}
# A streaming replica of the primary for the analytical reads (parcours.ops.routers). In tests the
# alias exists as a mirror of the primary (same database), and ANALYTICS_DATABASE stays "default"
# unless a test routes to it.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if TESTING:
    DATABASES["replica"] = {**_db, "TEST": {"MIRROR": "default"}}
elif DATABASE_REPLICA_URL:
    _replica = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
    _replica["OPTIONS"] = {**_db.get("OPTIONS", {}), **_replica.get("OPTIONS", {})}
    DATABASES["replica"] = _replica
ANALYTICS_DATABASE = "replica" if DATABASE_REPLICA_URL and not TESTING else "default"
DATABASE_ROUTERS = ["parcours.ops.routers.AnalyticsRouter"]
# Covering indexes (INCLUDE) serve PostgreSQL at scale; SQLite simply ignores the extra columns.
SILENCED_SYSTEM_CHECKS = [] if IS_POSTGRES else ["models.W040"]
# axes.W006 asks for ip_address in AXES_LOCKOUT_PARAMETERS: the address is counted by our handler
# (parcours.accounts.lockout) over all accounts, with its own limit.
SILENCED_SYSTEM_CHECKS.append("axes.W006")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# CNIL deliberation 2022-100 (docs/security.md): 12 characters with the four classes, 14 with
# upper, lower and digits, or a passphrase of 7 words (parcours.accounts.passwords).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "parcours.accounts.passwords.CnilPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- Login throttling (django-axes) ---------------------------------------------------------
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
# Failures count per account whatever the address (a slow attack from many addresses), and the
# handler also locks an address after AXES_IP_FAILURE_LIMIT failures over any accounts (one
# password sprayed over every account). The address limit is higher: an agency shares one address.
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_IP_FAILURE_LIMIT = env_int("AXES_IP_FAILURE_LIMIT", 20)
AXES_HANDLER = "parcours.accounts.lockout.AccountAndAddressHandler"
AXES_RESET_ON_SUCCESS = True
# Off in tests by default (the test client logs in without a request); a test turns it on.
AXES_ENABLED = env_bool("AXES_ENABLED", not TESTING)

# --- Internationalisation: French first, English available ----------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# In development and tests files are served from the app folders; production runs collectstatic.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
# Uploaded files (message attachments): under the data directory, served only by views that
# check access (never by the web server directly).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security -------------------------------------------------------------------------------
SECURE_SSL = env_bool("SECURE_SSL", not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
# A staff session idle for longer is logged out (parcours.accounts.middleware), in seconds.
SESSION_INACTIVITY_TIMEOUT = env_int("SESSION_INACTIVITY_TIMEOUT", 30 * 60)
SECURE_SSL_REDIRECT = SECURE_SSL and env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers probe the app servers over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_SSL else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL
SECURE_HSTS_PRELOAD = SECURE_SSL
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): no inline script or style anywhere; the API docs page
# (Swagger UI) relaxes styles and images on its own path only (config/api.py). With
# CSP_REPORT_ONLY=true the same policy is sent as Content-Security-Policy-Report-Only.
# (Lower-case names: django-csp reads upper-case CSP_* settings as its old configuration.)
_csp_report_only = env_bool("CSP_REPORT_ONLY", False)
_csp_report_uri = env_str("CSP_REPORT_URI")
_csp_directives = {
    "default-src": [NONE],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF],
    "font-src": [SELF],
    "connect-src": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
    "base-uri": [NONE],
    "object-src": [NONE],
    **({"report-uri": [_csp_report_uri]} if _csp_report_uri else {}),
}
CONTENT_SECURITY_POLICY = None if _csp_report_only else {"DIRECTIVES": _csp_directives}
CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _csp_directives} if _csp_report_only else None
# Permissions-Policy (django-permissions-policy): no device feature is used; passkeys (WebAuthn)
# may be offered by this origin only.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
} | {"publickey-credentials-create": ["self"], "publickey-credentials-get": ["self"]}

# --- Second factor (django-otp: TOTP and recovery codes; passkeys through py_webauthn) ------
# Administrators (is_staff/superuser, administrator role) and managers must use it; other roles
# when one of their organisations asks for it (Organisation.mfa_required). On by default in
# production; off under DEBUG (the demo logins) and in tests (a test turns it on).
MFA_ENFORCED = env_bool("MFA_ENFORCED", not (DEBUG or TESTING))
MFA_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Parcours")
# Passkeys (WebAuthn, parcours.accounts.passkeys): the relying party is the site. Empty: the
# request's host name and its scheme://host (set them behind a proxy that hides the public host).
WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID", "")
WEBAUTHN_ORIGIN = env_str("WEBAUTHN_ORIGIN", "")
WEBAUTHN_RP_NAME = env_str("WEBAUTHN_RP_NAME", "Parcours")

# --- Background tasks (django-tasks; the database is the queue in the embedded default) -----
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING or env_bool("TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

# A task waiting longer than this makes /health/ answer "degraded" (no worker, or too few).
TASKS_MAX_WAIT_SECONDS = env_int("TASKS_MAX_WAIT_SECONDS", 900)

# --- Domain settings ------------------------------------------------------------------------
# Default contact targets (days) per intensity level; an episode may override its own.
# Days between two contacts by intensity. "online" (autonomous online) is met only by remote
# contacts: messages, video, self-booked appointments (parcours/cases/intensity.py).
PARCOURS_CONTACT_TARGET_DAYS = {"follow": 90, "guided": 30, "intensive": 14, "global": 14, "online": 30}
PARCOURS_PAGE_SIZE = env_int("PARCOURS_PAGE_SIZE", 25)
# Retention (docs/privacy.md; `parcours privacy purge`, daily): a closed file is archived after
# two years without activity and anonymised two years after that; access logs are kept three
# years. An organisation may set longer or shorter delays (privacy.RetentionPolicy, admin).
PARCOURS_RETENTION = {
    "archive_after_days": env_int("RETENTION_ARCHIVE_AFTER_DAYS", 730),
    "anonymise_after_days": env_int("RETENTION_ANONYMISE_AFTER_DAYS", 730),
    "access_log_days": env_int("RETENTION_ACCESS_LOG_DAYS", 1095),
}
# Official referential files (ROME 4.0 CSV set, ESCO occupations_<lang>.csv folder), used by the
# tests and benchmarks that need them: no default (they skip and say why when unset); .ci/run and
# `make bench` pass them explicitly.
ROME_DATA_DIR = env_str("ROME_DATA_DIR")
ESCO_DATA_DIR = env_str("ESCO_DATA_DIR")

# --- E-mail ---------------------------------------------------------------------------------
# EMAIL_URL: smtp://user:password@host:port (?tls=True or ?ssl=True), submission://… (587 with
# STARTTLS), console:// (printed in the terminal), dummy://. Default: console:// under DEBUG (so
# `make run` shows e-mails instead of failing to send them), smtp://localhost:25 otherwise.
EMAIL_URL = env_secret("EMAIL_URL") or ("console://" if DEBUG else "smtp://localhost:25")
try:
    _email = dj_email_url.parse(EMAIL_URL)
except ValueError as exc:  # e.g. a port that is not a number; the URL may hold a password: not shown
    raise ImproperlyConfigured(
        "EMAIL_URL is not a valid e-mail URL (scheme://user:password@host:port)"
    ) from exc
if "EMAIL_BACKEND" not in _email:
    raise ImproperlyConfigured(f"EMAIL_URL scheme must be one of {', '.join(dj_email_url.SCHEMES)}")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or 30
EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"] or None
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Parcours <ne-pas-repondre@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- France Travail APIs (market/france_travail.py): off unless USE_FRANCE_TRAVAIL_API=true ----
USE_FRANCE_TRAVAIL_API = env_bool("USE_FRANCE_TRAVAIL_API", False)
FRANCE_TRAVAIL_CLIENT_ID = env_secret("FRANCE_TRAVAIL_CLIENT_ID")
FRANCE_TRAVAIL_CLIENT_SECRET = env_secret("FRANCE_TRAVAIL_CLIENT_SECRET")
FRANCE_TRAVAIL_API_URL = env_str("FRANCE_TRAVAIL_API_URL", "https://api.francetravail.io")
FRANCE_TRAVAIL_TOKEN_URL = env_str(
    "FRANCE_TRAVAIL_TOKEN_URL",
    "https://entreprise.francetravail.fr/connexion/oauth2/access_token?realm=%2Fpartenaire",
)
FRANCE_TRAVAIL_SCOPES = env_str(
    "FRANCE_TRAVAIL_SCOPES",
    "api_offresdemploiv2 o2dsoffre api_rome-metiersv1 nomenclatureRome api_labonneboitev2",
)
if USE_FRANCE_TRAVAIL_API:
    _missing = [
        name
        for name, value in (
            ("FRANCE_TRAVAIL_CLIENT_ID", FRANCE_TRAVAIL_CLIENT_ID),
            ("FRANCE_TRAVAIL_CLIENT_SECRET", FRANCE_TRAVAIL_CLIENT_SECRET),
        )
        if not value
    ]
    if _missing:
        raise ImproperlyConfigured(
            f"USE_FRANCE_TRAVAIL_API=true needs {' and '.join(_missing)} (or {_missing[0]}_FILE)."
        )

# --- The person's side: portal login and delivery of messages (docs/portal.md) --------------
PORTAL_CODE_TTL_MINUTES = env_int("PORTAL_CODE_TTL_MINUTES", 10)
PORTAL_CODE_MAX_ATTEMPTS = 5  # wrong tries before a code dies
PORTAL_CODES_PER_ACCOUNT_PER_HOUR = env_int("PORTAL_CODES_PER_ACCOUNT_PER_HOUR", 5)
PORTAL_LOGIN_MAX_PER_IP_PER_HOUR = env_int("PORTAL_LOGIN_MAX_PER_IP_PER_HOUR", 30)
# The person may cancel an appointment online up to this many hours before it.
PORTAL_CANCEL_NOTICE_HOURS = env_int("PORTAL_CANCEL_NOTICE_HOURS", 24)
# Self-booking (parcours/agenda): the first bookable slot is at least this many hours ahead, the
# last within this many days. An organisation may set its own (BookingSettings, in the admin).
AGENDA_BOOKING_NOTICE_HOURS = env_int("AGENDA_BOOKING_NOTICE_HOURS", 24)
AGENDA_BOOKING_HORIZON_DAYS = env_int("AGENDA_BOOKING_HORIZON_DAYS", 28)
MESSAGE_ATTACHMENT_MAX_BYTES = env_int("MESSAGE_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)
# Local hours (start, end) when nothing but urgent messages (login codes) is sent to people.
PARCOURS_QUIET_HOURS = (env_int("QUIET_HOURS_START", 20), env_int("QUIET_HOURS_END", 8))
# SMS: off unless USE_SMS=true, except the console backend under DEBUG and in-memory in tests.
USE_SMS = env_bool("USE_SMS", False)
SMS_SENDER = env_str("SMS_SENDER", "Parcours")
BREVO_API_KEY = env_secret("BREVO_API_KEY")
if USE_SMS:
    SMS_BACKEND = env_str("SMS_BACKEND", "brevo")
    if SMS_BACKEND not in {"brevo", "console"}:
        raise ImproperlyConfigured(f"SMS_BACKEND must be brevo or console, got {SMS_BACKEND!r}")
    if SMS_BACKEND == "brevo" and not BREVO_API_KEY:
        raise ImproperlyConfigured(
            "USE_SMS=true with SMS_BACKEND=brevo needs BREVO_API_KEY (or BREVO_API_KEY_FILE)."
        )
else:
    SMS_BACKEND = "locmem" if TESTING else ("console" if DEBUG else "")
# FranceConnect (OpenID Connect, through Authlib): off unless USE_FRANCECONNECT=true.
USE_FRANCECONNECT = env_bool("USE_FRANCECONNECT", False)
FRANCECONNECT_CLIENT_ID = env_str("FRANCECONNECT_CLIENT_ID")
FRANCECONNECT_CLIENT_SECRET = env_secret("FRANCECONNECT_CLIENT_SECRET")
FRANCECONNECT_ISSUER = env_str("FRANCECONNECT_ISSUER")
if USE_FRANCECONNECT and not (
    FRANCECONNECT_CLIENT_ID and FRANCECONNECT_CLIENT_SECRET and FRANCECONNECT_ISSUER
):
    raise ImproperlyConfigured(
        "USE_FRANCECONNECT=true needs FRANCECONNECT_CLIENT_ID, FRANCECONNECT_CLIENT_SECRET and FRANCECONNECT_ISSUER."
    )

# ProConnect, single sign-on of staff (OpenID Connect, through Authlib): off unless
# USE_PROCONNECT=true. The issuer is ProConnect's (https://auth.proconnect.gouv.fr/api/v2, or the
# integration environment's); the client is registered with ProConnect by the operator.
USE_PROCONNECT = env_bool("USE_PROCONNECT", False)
PROCONNECT_CLIENT_ID = env_str("PROCONNECT_CLIENT_ID")
PROCONNECT_CLIENT_SECRET = env_secret("PROCONNECT_CLIENT_SECRET")
PROCONNECT_ISSUER = env_str("PROCONNECT_ISSUER")
if USE_PROCONNECT and not (PROCONNECT_CLIENT_ID and PROCONNECT_CLIENT_SECRET and PROCONNECT_ISSUER):
    raise ImproperlyConfigured(
        "USE_PROCONNECT=true needs PROCONNECT_CLIENT_ID, PROCONNECT_CLIENT_SECRET and PROCONNECT_ISSUER."
    )

# --- Logging: key=value lines with the request id, never personal data ----------------------
# The request id is the incoming X-Request-ID when it is a UUID (from the reverse proxy or a
# client), else a new one; it is sent back in the response's X-Request-ID.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
    "UUID_FORMAT": "string",
}


def _client_error_without_traceback(record: logging.LogRecord) -> bool:
    """A 4xx (PermissionDenied, Http404) is an answer, not a failure: one line, no traceback."""
    if getattr(record, "status_code", 500) < 500:
        record.exc_info, record.exc_text = None, None
    return True


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "django_guid.log_filters.CorrelationId"},
        "client_errors": {"()": lambda: _client_error_without_traceback},
    },
    "formatters": {"kv": {"()": "parcours.ops.logs.KeyValueFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "kv",
            "filters": ["request_id", "client_errors"],
            # stderr, so that commands keep stdout for their output (--json); `parcours serve`
            # moves the logs to stdout (parcours.ops.logs.log_to_stdout).
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "ERROR"},  # axes would log usernames and IPs
        "django_guid": {"level": "ERROR"},  # would echo invalid incoming ids
        # The development server's access lines carry query strings; parcours.request replaces them.
        "django.server": {"level": "WARNING"},
        # Django's own console handler would print every django.* record a second time.
        "django": {"handlers": [], "propagate": True},
    },
}

if TESTING:
    # Fast hashing in tests only: the suite creates many users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
