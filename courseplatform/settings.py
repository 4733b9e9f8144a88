"""Settings for the course platform, read only from the environment.

Nothing set gives the embedded defaults: SQLite, a local-memory cache, Celery tasks run
eagerly in-process, files on local disk and e-mail printed to the console. Production
sets DATABASE_URL, REDIS_URL, SECRET_KEY and ALLOWED_HOSTS (see docs/configuration.md).
A malformed value fails at start-up rather than at the first request that needs it.
"""

import ipaddress
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from core.observability.logs import LOG_FORMATS, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-never-used-in-production")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random string of at least 50 characters when DEBUG is off "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The domain part of calendar event UIDs (RFC 5545 asks for a globally unique, stable UID):
# the site's host, so a deploy that keeps its address keeps every subscriber's events.
CALENDAR_UID_DOMAIN = env.str("CALENDAR_UID_DOMAIN", default=urlsplit(SITE_URL).hostname or "localhost")
# Open Badges 3.0 credentials (credentials/, docs/integrations.md#verifiable-credentials-open-badges-30).
# The issuer's did:web identifier: the site's host (and port, encoded as did:web asks), whose DID
# document is served at /.well-known/did.json. Keep it when the site moves, or old credentials
# name an issuer nobody serves any more.
_site = urlsplit(SITE_URL)
CREDENTIALS_ISSUER_DID = env.str(
    "CREDENTIALS_ISSUER_DID",
    default="did:web:" + (_site.hostname or "localhost") + (f"%3A{_site.port}" if _site.port else ""),
)
if not re.fullmatch(r"did:web:[A-Za-z0-9.%-]+(:[A-Za-z0-9._%-]+)*", CREDENTIALS_ISSUER_DID):
    raise ImproperlyConfigured("CREDENTIALS_ISSUER_DID must be a did:web identifier, e.g. did:web:courses.example.edu.")
CREDENTIALS_ISSUER_NAME = env.str("CREDENTIALS_ISSUER_NAME", default="Backend Engineering course platform")
# The Ed25519 signing key: a PEM (PKCS#8) or a JWK with "d", in the variable or in a file. Never in
# the database. Unset: a key derived from SECRET_KEY (fine for development; a system check warns).
CREDENTIALS_SIGNING_KEY = env.str("CREDENTIALS_SIGNING_KEY", default="")
CREDENTIALS_SIGNING_KEY_FILE = env.str("CREDENTIALS_SIGNING_KEY_FILE", default="")
# Keys signed with before a rotation: a JWK set ({"keys": [...]}, public parts are enough). They
# stay in the DID document, so every credential they signed still verifies.
CREDENTIALS_RETIRED_KEYS = env.str("CREDENTIALS_RETIRED_KEYS", default="")
CREDENTIALS_RETIRED_KEYS_FILE = env.str("CREDENTIALS_RETIRED_KEYS_FILE", default="")
# Checks on the public verify page, per client address (a check may hash every proof file).
CREDENTIALS_VERIFY_RATE = env.str("CREDENTIALS_VERIFY_RATE", default="20/m")
if not re.fullmatch(r"[1-9][0-9]{0,5}/[smh]", CREDENTIALS_VERIFY_RATE):
    raise ImproperlyConfigured("CREDENTIALS_VERIFY_RATE must look like 20/m (per s, m or h).")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "simple_history",
    "csp",
    "django_prometheus",
    "django_structlog",
    "core",
    "accounts",
    "curriculum",
    "cohorts",
    "submissions",
    "rubrics",
    "feedback",
    "portfolios",
    "credentials",
    "progress",
    "insights",
    "notifications",
    "reports",
    "calendars",
    "lti",
    "privacy",
    "api",
    # The composition layer: its management commands (seed_demo, setup_schedules).
    "courseplatform",
]

MIDDLEWARE = [
    # First: health checks reach the process by its address, before host validation.
    "core.middleware.ProbeMiddleware",
    # Times everything below it: request rate, latency and errors per view (/metrics).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Before anything reads the client's address or scheme from X-Forwarded-* headers.
    "core.middleware.UntrustedForwardingMiddleware",
    # The request id (a trusted proxy's X-Request-ID or a new one) on every log line of the
    # request and of the tasks it enqueues.
    "core.observability.middleware.RequestIdMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A signed-out visitor's cached public portfolio page, before the session, auth and CSP
    # middleware it does not need (portfolios/middleware.py adds the headers they would).
    "portfolios.middleware.PublicPageMiddleware",
    # A signed-in viewer's cached page (the review queue, their own mastery page), answered
    # before the middleware below once the session and user rows say the stack would let them
    # through (courseplatform/fast_path.py adds the headers it would).
    "courseplatform.fast_path.SignedInPageMiddleware",
    # Above the session, CSRF, X-Frame-Options and CSP middleware so that it sees the headers
    # and cookies they set: an LTI-launched session may be framed by its platform (lti/framing.py).
    "lti.framing.LtiFramingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # With a read replica: whoever just changed something reads from the primary (core/db_routing.py).
    "core.db_routing.ReplicaPinningMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, with the policy built once per process instead of twice per response.
    "core.middleware.CSPMiddleware",
    # The sign-on pages' form may lead to the institution's provider (accounts/sso.py).
    "accounts.middleware.SignOnFormActionMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "accounts.middleware.RequireStaffMFAMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "courseplatform.urls"
WSGI_APPLICATION = "courseplatform.wsgi.application"
ASGI_APPLICATION = "courseplatform.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "courseplatform.navigation.navigation",
            ],
        },
    },
]

# --- Data stores -------------------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Persistent connections matter for SQLite too: opening one per request halved the public
    # portfolio page's throughput under gunicorn (docs/portfolios.md, Benchmark).
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles a query whose estimated cost passes jit_above_cost: right for
    # long analytical scans, wrong for a web request. The gradebook sorted by a score over a
    # 3,334-student cohort spent 2.2 s of its 3.6 s compiling (docs/gradebook.md); no page
    # or report here runs long enough to earn the compilation back.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The statements every signed-in request runs (its session row, its viewer) are prepared once
# per connection on PostgreSQL (core/prepared.py). Turn off behind PgBouncer in transaction
# pooling, which does not carry SQL-level PREPARE from one statement to the next.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
# A PostgreSQL streaming replica (hot standby) for reports and exports (core/db_routing.py,
# docs/deployment.md): only their data gathering reads from it; every write, every other read
# and every read by someone who wrote in the last DATABASE_REPLICA_PIN_SECONDS stay on the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=15)
if not 0 <= DATABASE_REPLICA_PIN_SECONDS <= 3600:
    raise ImproperlyConfigured("DATABASE_REPLICA_PIN_SECONDS must be a number of seconds from 0 to 3600.")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    if DATABASES["replica"]["ENGINE"] != DATABASES["default"]["ENGINE"] or "sqlite" in DATABASES["replica"]["ENGINE"]:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must name a replica of the DATABASE_URL database (PostgreSQL, same engine)."
        )
    DATABASES["replica"].update(
        ATOMIC_REQUESTS=False,
        CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"],
        CONN_HEALTH_CHECKS=True,
        OPTIONS={**DATABASES["replica"].get("OPTIONS", {}), "options": "-c jit=off"},
        # In the test suite the replica is the test database itself (there is no second copy to
        # fill); tests/scaleout/test_replica.py starts a real streaming replica instead.
        TEST={"MIRROR": "default"},
    )
    DATABASE_ROUTERS = ["core.db_routing.PrimaryReplicaRouter"]

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis backend, but an outage reads as a miss, not a 500 (core/cache.py).
            "BACKEND": "core.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="courseplatform"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The public portfolio page caches a small "head" per slug only where all web processes share
# the cache (portfolios/cache.py says why).
PORTFOLIO_CACHE_HEADS = env.bool("PORTFOLIO_CACHE_HEADS", default=bool(REDIS_URL))

# --- Celery ------------------------------------------------------------------------------
# See docs/background-jobs.md. Tasks are acknowledged only after they finish (acks_late), so a
# worker that dies mid-task leaves its message on the broker for another worker; Redis gives
# such a message out again once the visibility timeout has passed, so that timeout must be
# longer than the longest task (a report) or a slow task would run twice at the same time.

# The memory transport ignores the host; naming one keeps kombu from warning on every start.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
# A task whose worker process died is requeued at the front of its queue, not behind everything
# published since (core/broker.py: kombu's Redis transport with that one change).
if CELERY_BROKER_URL.startswith("redis://"):
    CELERY_BROKER_TRANSPORT = "core.broker:Transport"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
# Without a broker the embedded default runs every task in-process, so nothing waits for a
# worker that does not exist.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# django-celery-beat's DatabaseScheduler (the schedule is edited in the admin), scheduling only
# while it holds a lock in Redis, so that a second beat started by mistake stands by instead of
# sending every periodic task twice (core/beat.py, docs/deployment.md). A beat that dies is
# replaced by a standby within CELERY_BEAT_LOCK_TTL seconds.
CELERY_BEAT_SCHEDULER = "core.beat:LockedDatabaseScheduler"
CELERY_BEAT_LOCK_TTL = env.int("CELERY_BEAT_LOCK_TTL", default=30)
if not 3 <= CELERY_BEAT_LOCK_TTL <= 600:
    raise ImproperlyConfigured("CELERY_BEAT_LOCK_TTL must be a number of seconds from 3 to 600.")
# Each task's last run time is saved as soon as beat sends it, so a standby that takes over
# does not send again what the beat before it sent (Celery's default saves every 3 minutes).
CELERY_BEAT_SYNC_EVERY = 1
# Task state lives in our own tables (core.TaskRun, report runs), never in the result backend:
# asking the backend for a result on every publish is what makes .delay() hang with Redis down.
CELERY_TASK_IGNORE_RESULT = True
# The longest task may run this long; the hard limit kills it a little later.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=50 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=55 * 60)
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60)
if CELERY_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT, or a long task is delivered twice."
    )
# Publishing gives up quickly when the broker is unreachable; core.queue then keeps the task
# in the database outbox and dispatch_outbox sends it when the broker is back.
CELERY_ENQUEUE_TIMEOUT = env.float("CELERY_ENQUEUE_TIMEOUT", default=2.0)
CELERY_BROKER_CONNECTION_TIMEOUT = CELERY_ENQUEUE_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": CELERY_ENQUEUE_TIMEOUT,
    # A Redis that accepts connections but never answers (hung, SIGSTOPped) would otherwise
    # hold a request's publish for the whole read timeout. Workers are not hurt: their BRPOP
    # answers within kombu's brpop_timeout (1 s).
    "socket_timeout": CELERY_ENQUEUE_TIMEOUT,
    "socket_keepalive": True,
    "health_check_interval": 25,
    # One quick retry when publishing, all within CELERY_ENQUEUE_TIMEOUT (the worker's own
    # reconnection after a broker outage is not limited by this).
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    # How often a worker looks for messages whose worker died (about interval × throttle
    # seconds; Kombu's default is every 100 s, which is plenty next to a 2 h timeout).
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_ENQUEUE_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = 10
CELERY_TASK_PUBLISH_RETRY = False
# A task whose worker is lost this many times in a row (killed, out of memory) is marked failed
# instead of being delivered again forever.
CELERY_TASK_MAX_LOST_DELIVERIES = env.int("CELERY_TASK_MAX_LOST_DELIVERIES", default=3)
# Retries of transient errors wait a random time up to BACKOFF × 2^retry seconds, at most MAX.
CELERY_TASK_RETRY_BACKOFF = env.int("CELERY_TASK_RETRY_BACKOFF", default=5)
CELERY_TASK_RETRY_BACKOFF_MAX = env.int("CELERY_TASK_RETRY_BACKOFF_MAX", default=600)
# A reminder claimed by a sweep that died is claimed again after this many seconds. Only the
# e-mail being handed to the SMTP server at the crash waits this long (notifications.services).
REMINDER_CLAIM_EXPIRY = env.int("REMINDER_CLAIM_EXPIRY", default=15 * 60)
# A report build signals it is alive every REPORTS_HEARTBEAT_INTERVAL seconds; one silent for
# REPORTS_STALLED_AFTER seconds is shown as stalled and started again by the reconciler (every
# minute), which also re-sends builds still queued after REPORTS_REQUEUE_AFTER seconds (their
# broker message may have been lost, e.g. by a Redis restart without persistence).
REPORTS_HEARTBEAT_INTERVAL = env.float("REPORTS_HEARTBEAT_INTERVAL", default=10.0)
REPORTS_STALLED_AFTER = env.int("REPORTS_STALLED_AFTER", default=120)
REPORTS_REQUEUE_AFTER = env.int("REPORTS_REQUEUE_AFTER", default=600)
for _name in (
    "CELERY_TASK_MAX_LOST_DELIVERIES",
    "CELERY_TASK_RETRY_BACKOFF",
    "CELERY_TASK_RETRY_BACKOFF_MAX",
    "REMINDER_CLAIM_EXPIRY",
    "REPORTS_HEARTBEAT_INTERVAL",
    "REPORTS_STALLED_AFTER",
    "REPORTS_REQUEUE_AFTER",
):
    if globals()[_name] <= 0:
        raise ImproperlyConfigured(f"{_name} must be a positive number.")
if REPORTS_STALLED_AFTER <= 2 * REPORTS_HEARTBEAT_INTERVAL:
    raise ImproperlyConfigured("REPORTS_STALLED_AFTER must be more than twice REPORTS_HEARTBEAT_INTERVAL.")

# --- Authentication ----------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "after_sign_in"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional" if DEBUG else "mandatory")
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS_ENABLED = True  # allauth's defaults for sign-ups, resets, codes
# Failed sign-ins are limited by accounts/signin_guard.py instead of allauth's per-account
# count, which let anyone lock any account out (docs/security.md). "N/duration": N failures
# within the duration (s, m, h, d), e.g. "20/15m".
SIGNIN_FAILURES_PER_ADDRESS = env.str("SIGNIN_FAILURES_PER_ADDRESS", default="20/15m")
SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = env.str("SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", default="5/5m")
SIGNIN_FAILURES_PER_ACCOUNT = env.str("SIGNIN_FAILURES_PER_ACCOUNT", default="20/1h")
SIGNIN_FAILURES_PER_DEVICE = env.str("SIGNIN_FAILURES_PER_DEVICE", default="10/15m")
SIGNIN_KNOWN_DEVICE_DAYS = env.int("SIGNIN_KNOWN_DEVICE_DAYS", default=180)
for _name in (
    "SIGNIN_FAILURES_PER_ADDRESS",
    "SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS",
    "SIGNIN_FAILURES_PER_ACCOUNT",
    "SIGNIN_FAILURES_PER_DEVICE",
):
    if not re.fullmatch(r"[1-9][0-9]*/[0-9]*[smhd]", globals()[_name]):
        raise ImproperlyConfigured(f"{_name} must look like 20/15m (failures, a slash, a duration in s, m, h or d).")
if SIGNIN_KNOWN_DEVICE_DAYS <= 0:
    raise ImproperlyConfigured("SIGNIN_KNOWN_DEVICE_DAYS must be a positive number of days.")
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Course platform] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Course platform"
# Staff and instructors must enrol a second factor before they can use the site,
# except on a development machine.
MFA_REQUIRED_FOR_STAFF = env.bool("MFA_REQUIRED_FOR_STAFF", default=not DEBUG)

# --- Single sign-on: the institution's OpenID Connect provider (docs/integrations.md) -------


def oidc_providers(*, server_url: str, client_id: str, client_secret: str, provider_id: str, name: str) -> dict:
    """allauth's openid_connect provider with one app, as OIDC_* below describe it."""
    return {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": provider_id,
                    "name": name,
                    "client_id": client_id,
                    "secret": client_secret,
                    "settings": {"server_url": server_url, "token_auth_method": "client_secret_basic"},
                }
            ],
        }
    }


# Unset: no provider from the environment (an admin may still add one as a Social application).
OIDC_SERVER_URL = env.str("OIDC_SERVER_URL", default="")
SOCIALACCOUNT_PROVIDERS = (
    oidc_providers(
        server_url=OIDC_SERVER_URL,
        client_id=env.str("OIDC_CLIENT_ID"),
        client_secret=env.str("OIDC_CLIENT_SECRET"),
        provider_id=env.str("OIDC_PROVIDER_ID", default="sso"),
        name=env.str("OIDC_PROVIDER_NAME", default="Your institution"),
    )
    if OIDC_SERVER_URL
    else {}
)
# An existing account is never entered on the strength of an e-mail address the provider
# sends: the person signs in to it (proving it is theirs) and connects the provider there.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
# Staff and instructors still enter their own second factor after single sign-on, unless
# this is on and the provider's ID token says it checked one (an `amr` value below, RFC 8176,
# or an `acr` value below).
OIDC_TRUST_PROVIDER_SECOND_FACTOR = env.bool("OIDC_TRUST_PROVIDER_SECOND_FACTOR", default=False)
OIDC_SECOND_FACTOR_AMR = env.list("OIDC_SECOND_FACTOR_AMR", default=["mfa", "otp", "hwk", "swk", "sc"])
OIDC_SECOND_FACTOR_ACR = env.list("OIDC_SECOND_FACTOR_ACR", default=[])
# Origins besides each provider's own server that a sign-on form may be sent on to (an
# authorization endpoint on another host than the issuer).
OIDC_FORM_ACTION_ORIGINS = env.list("OIDC_FORM_ACTION_ORIGINS", default=[])

# --- LTI 1.3 tool (lti/, docs/integrations.md "LTI 1.3") -----------------------------------
# The tool's current signing key (PEM, RSA) and the retiring one still published in the JWKS.
# Files or the PEM text itself, never the database. With DEBUG and none set, a development key
# is made in var/ (ignored by git).
LTI_PRIVATE_KEY_FILE = env.str("LTI_PRIVATE_KEY_FILE", default="")
LTI_PRIVATE_KEY = env.str("LTI_PRIVATE_KEY", default="", multiline=True)
LTI_RETIRING_KEY_FILE = env.str("LTI_RETIRING_KEY_FILE", default="")
LTI_RETIRING_KEY = env.str("LTI_RETIRING_KEY", default="", multiline=True)
# How long a launch's id_token is accepted after it was issued, and a nonce remembered
# against replay (seconds); platforms sign tokens valid for minutes.
LTI_LAUNCH_MAX_AGE = env.int("LTI_LAUNCH_MAX_AGE", default=600)
# Off: a launch signs in learners and mentors; instructors and staff (who must use a second
# factor here) and anyone whose address already has an account confirm by signing in here
# once. On: the LMS's sign-in counts for everyone, second factor included.
LTI_TRUST_PLATFORM_SIGN_IN = env.bool("LTI_TRUST_PLATFORM_SIGN_IN", default=False)
# Grade passback: how many times a score is sent to an LMS that does not answer or answers
# 5xx/429 (with the tasks' growing pauses between) before it is marked failed for a person.
LTI_GRADE_SYNC_MAX_ATTEMPTS = env.int("LTI_GRADE_SYNC_MAX_ATTEMPTS", default=6)
if not 1 <= LTI_GRADE_SYNC_MAX_ATTEMPTS <= 9:
    raise ImproperlyConfigured("LTI_GRADE_SYNC_MAX_ATTEMPTS must be between 1 and 9 (the task retries 8 times).")

# --- Security headers --------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, read with one SQL statement written once instead of the ORM
# (core/sessions.py): every signed-in request reads one.
SESSION_ENGINE = "core.sessions"
CSRF_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Django's admin sets a few style attributes; scripts stay strictly same-origin.
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Internationalisation, static and media files ----------------------------------------

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# Where uploads, built reports and data archives are kept (docs/deployment.md, "Files").
# "filesystem": MEDIA_ROOT on this host, enough for one machine. "s3": a private bucket on any
# S3-compatible store (AWS, MinIO, R2, Ceph...) through django-storages, so that every web and
# worker process on every host sees the same files. Setting only AWS_STORAGE_BUCKET_NAME still
# means "s3", as it did before STORAGE_BACKEND existed.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="s3" if AWS_STORAGE_BUCKET_NAME else "filesystem")
if STORAGE_BACKEND not in ("filesystem", "s3"):
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be filesystem or s3, not {STORAGE_BACKEND!r}.")
if STORAGE_BACKEND == "s3":
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", AWS_STORAGE_BUCKET_NAME):
        raise ImproperlyConfigured(
            "STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME: a bucket name of 3-63 lower-case letters, "
            f"digits, dots and hyphens (got {AWS_STORAGE_BUCKET_NAME!r})."
        )
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="")
    if AWS_S3_ENDPOINT_URL and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", AWS_S3_ENDPOINT_URL):
        raise ImproperlyConfigured(
            f"AWS_S3_ENDPOINT_URL must be an http:// or https:// URL, not {AWS_S3_ENDPOINT_URL!r}."
        )
    # Without both, boto3 finds credentials itself (an instance role, a web identity token,
    # ~/.aws); one without the other is a mistake that would surface only at the first upload.
    AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="")
    AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="")
    if bool(AWS_ACCESS_KEY_ID) != bool(AWS_SECRET_ACCESS_KEY):
        raise ImproperlyConfigured("Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither.")
    # MinIO and most self-hosted stores need "path"; AWS works with either.
    AWS_S3_ADDRESSING_STYLE = env.str("AWS_S3_ADDRESSING_STYLE", default="auto")
    if AWS_S3_ADDRESSING_STYLE not in ("auto", "path", "virtual"):
        raise ImproperlyConfigured(
            f"AWS_S3_ADDRESSING_STYLE must be auto, path or virtual, not {AWS_S3_ADDRESSING_STYLE!r}."
        )
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": AWS_ACCESS_KEY_ID or None,
            "secret_key": AWS_SECRET_ACCESS_KEY or None,
            "addressing_style": None if AWS_S3_ADDRESSING_STYLE == "auto" else AWS_S3_ADDRESSING_STYLE,
            "signature_version": "s3v4",
            # Every file is private: downloads go through our views, which check who may read
            # it (core.storage.open_for_download streams the object from the bucket).
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail ------------------------------------------------------------------------------

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# The directory the file-based backend writes to; without one it fails at the first e-mail.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default="") or None
if EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend" and not EMAIL_FILE_PATH:
    raise ImproperlyConfigured("EMAIL_FILE_PATH must name a directory when EMAIL_BACKEND is the file-based backend.")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Course platform <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST API ----------------------------------------------------------------------------

# Requests per user (signed in or by token) and per anonymous client address, e.g. "2000/hour".
API_THROTTLE_USER = env.str("API_THROTTLE_USER", default="2000/hour")
API_THROTTLE_ANON = env.str("API_THROTTLE_ANON", default="200/hour")
for _name, _rate in (("API_THROTTLE_USER", API_THROTTLE_USER), ("API_THROTTLE_ANON", API_THROTTLE_ANON)):
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", _rate):
        raise ImproperlyConfigured(f"{_name} must look like 2000/hour (a number, a slash, second|minute|hour|day).")
# How many proxies we run in front of the web processes, each appending the address it saw to
# X-Forwarded-For. 0 (served directly): the header is the client's to invent and is ignored.
# N: the client address is the Nth entry from the right; entries further left are spoofable.
# The API's anonymous throttle (DRF's NUM_PROXIES) and allauth's rate limits on sign-in (which
# guard the admin too) read the same number, so they key clients by the same address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if not 0 <= TRUSTED_PROXY_COUNT <= 10:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be a number of proxies from 0 to 10.")
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# Where those proxies connect from (addresses or networks, comma-separated). With a count above
# 0, X-Forwarded-* headers from any other peer are dropped (core.middleware), so a client that
# reaches the web process directly cannot choose its own address.
TRUSTED_PROXY_ADDRESSES = env.list("TRUSTED_PROXY_ADDRESSES", default=["127.0.0.1/32", "::1/128"])
for _address in TRUSTED_PROXY_ADDRESSES:
    try:
        ipaddress.ip_network(_address, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXY_ADDRESSES: {_address!r} is not an IP address or network ({_error})."
        ) from None
# Reads the client address by the same rule as the throttles (accounts/adapter.py).
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    # Token first: its WWW-Authenticate header makes "not signed in" a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.PersonalAccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsAuthenticatedWithScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",  # DRF's, refusing absurdly nested bodies with a 400
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.UserRateThrottle", "api.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": API_THROTTLE_USER, "anon": API_THROTTLE_ANON},
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "EXCEPTION_HANDLER": "api.exceptions.problem_details_handler",
    "NON_FIELD_ERRORS_KEY": "non_field_errors",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Course platform API",
    "DESCRIPTION": (
        "REST API v1 of the course platform. Authenticate with the browser session (send the CSRF token on "
        "writes) or a personal access token (`Authorization: Bearer …`). Errors are RFC 9457 problem details. "
        "See docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "MembershipRole": "cohorts.models.Membership.Role",
        "NotificationKind": "notifications.models.Kind",
        "ReportKind": "reports.models.ReportRun.Kind",
        "ReportStatus": "reports.models.ReportRun.Status",
        "AssessmentKind": "rubrics.models.Assessment.Kind",
        "AssessmentDecision": "rubrics.models.Assessment.Decision",
        "PortfolioVisibility": "portfolios.models.Portfolio.Visibility",
        "RiskEntryKind": "submissions.models.RiskEntry.Kind",
        "RiskEntryStatus": "submissions.models.RiskEntry.Status",
        "ThreadStatus": "feedback.models.Thread.Status",
        "ThreadTarget": "feedback.models.Thread.Target",
        "AnchorState": "feedback.models.Anchor.State",
        "WorkSection": "feedback.models.SECTION_CHOICES",
        "ImproveItemStatus": "submissions.models.ImproveItemStatus.Status",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging -----------------------------------------------------------------------------
# Plain text lines (for a terminal) or one JSON object per line (LOG_FORMAT=json, for a log
# collector), both with the request id, user id and route (core/observability/logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain").strip().lower()
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {LOG_FORMAT!r}.")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").strip().upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}.")
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL, eager_tasks=CELERY_TASK_ALWAYS_EAGER)
# A worker keeps Celery's own log format unless JSON is asked for: then its lines go through
# the same handlers as the web's.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
# django-structlog: a request's id (and user id) travel in the headers of the tasks it
# enqueues and are bound to the task's log lines. The X-Request-ID it reads has already been
# checked (core.observability.middleware: only from a trusted proxy). Client addresses are
# personal data and stay out of the logs.
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
# Its own lookup of the user would cost a query on pages that never need one; the user id is
# added to the request's last line once the view has loaded the user (core.observability).
DJANGO_STRUCTLOG_USER_ID_FIELD = None

# --- Domain settings ---------------------------------------------------------------------

CURRICULUM_DEFAULT_PATH = BASE_DIR / "curriculum" / "data" / "backend-engineering-scalable-architectures.txt"
CURRICULUM_OVERLAY_PATH = BASE_DIR / "curriculum" / "data" / "course_overlay.json"

# Evidence uploads (submissions): size limit in bytes; the allowed types are detected from
# the content (see submissions/uploads.py), never trusted from the file name.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
if UPLOAD_MAX_BYTES <= 0:
    raise ImproperlyConfigured("UPLOAD_MAX_BYTES must be a positive number of bytes.")
# ZIP evidence is unpacked (bounded, in memory) and checked before it is stored
# (submissions/archives.py): entry count, unpacked size and ratio, names, links, nesting.
ARCHIVE_MAX_ENTRIES = env.int("ARCHIVE_MAX_ENTRIES", default=1000)
ARCHIVE_MAX_UNPACKED_BYTES = env.int("ARCHIVE_MAX_UNPACKED_BYTES", default=100 * 1024 * 1024)
ARCHIVE_MAX_RATIO = env.int("ARCHIVE_MAX_RATIO", default=100)
for _name in ("ARCHIVE_MAX_ENTRIES", "ARCHIVE_MAX_UNPACKED_BYTES", "ARCHIVE_MAX_RATIO"):
    if globals()[_name] <= 0:
        raise ImproperlyConfigured(f"{_name} must be a positive number.")

# Evidence previews (submissions/previews.py, built by a worker): the longest side of a thumbnail
# in pixels, the largest image decoded (width × height; a "decompression bomb" beyond it gets no
# preview), the start of a text file highlighted (bytes, lines), and the bounds of the PDF
# renderer (pdftoppm, a child process: seconds of wall time and of CPU, bytes of memory).
PREVIEW_MAX_SIDE = env.int("PREVIEW_MAX_SIDE", default=640)
PREVIEW_MAX_PIXELS = env.int("PREVIEW_MAX_PIXELS", default=25_000_000)
PREVIEW_TEXT_BYTES = env.int("PREVIEW_TEXT_BYTES", default=16 * 1024)
PREVIEW_TEXT_LINES = env.int("PREVIEW_TEXT_LINES", default=40)
PREVIEW_PDF_TIMEOUT = env.int("PREVIEW_PDF_TIMEOUT", default=20)
PREVIEW_PDF_MEMORY_BYTES = env.int("PREVIEW_PDF_MEMORY_BYTES", default=512 * 1024 * 1024)
PREVIEW_PDFTOPPM = env.str("PREVIEW_PDFTOPPM", default="pdftoppm")
for _name in (
    "PREVIEW_MAX_SIDE",
    "PREVIEW_MAX_PIXELS",
    "PREVIEW_TEXT_BYTES",
    "PREVIEW_TEXT_LINES",
    "PREVIEW_PDF_TIMEOUT",
    "PREVIEW_PDF_MEMORY_BYTES",
):
    if globals()[_name] <= 0:
        raise ImproperlyConfigured(f"{_name} must be a positive number.")
if not 16 <= PREVIEW_MAX_SIDE <= 4096:
    raise ImproperlyConfigured("PREVIEW_MAX_SIDE must be a number of pixels from 16 to 4096.")

# A learner's data (docs/privacy.md): how long an erasure waits after its confirmation (the
# person can cancel until then) and how long a built data archive stays downloadable.
PRIVACY_ERASURE_GRACE_DAYS = env.int("PRIVACY_ERASURE_GRACE_DAYS", default=14)
PRIVACY_EXPORT_KEEP_DAYS = env.int("PRIVACY_EXPORT_KEEP_DAYS", default=7)
# Retention (the hourly privacy.retention_sweep): ages after which records are deleted.
RETENTION_OUTBOX_DAYS = env.int("RETENTION_OUTBOX_DAYS", default=14)
RETENTION_TASK_RUNS_DAYS = env.int("RETENTION_TASK_RUNS_DAYS", default=14)
RETENTION_IDEMPOTENCY_HOURS = env.int("RETENTION_IDEMPOTENCY_HOURS", default=24)
RETENTION_REPORT_DAYS = env.int("RETENTION_REPORT_DAYS", default=30)
RETENTION_NOTIFICATION_DAYS = env.int("RETENTION_NOTIFICATION_DAYS", default=180)
for _name in (
    "PRIVACY_ERASURE_GRACE_DAYS",
    "PRIVACY_EXPORT_KEEP_DAYS",
    "RETENTION_OUTBOX_DAYS",
    "RETENTION_TASK_RUNS_DAYS",
    "RETENTION_IDEMPOTENCY_HOURS",
    "RETENTION_REPORT_DAYS",
    "RETENTION_NOTIFICATION_DAYS",
):
    if globals()[_name] < 0:
        raise ImproperlyConfigured(f"{_name} must be 0 or more.")


# Cohort invitations (docs/cohorts.md): how many days an e-mailed invitation link stays valid.
COHORT_INVITATION_DAYS = env.int("COHORT_INVITATION_DAYS", default=14)
if not 1 <= COHORT_INVITATION_DAYS <= 365:
    raise ImproperlyConfigured("COHORT_INVITATION_DAYS must be a number of days from 1 to 365.")
# Roster import (docs/cohorts.md): the largest CSV accepted, in lines and bytes.
# Comment threads (feedback app): the longest comment, the most threads one reviewer opens
# on one revision, the longest "addressed" note.
FEEDBACK_COMMENT_MAX_CHARS = env.int("FEEDBACK_COMMENT_MAX_CHARS", default=4000)
FEEDBACK_THREADS_PER_REVIEWER = env.int("FEEDBACK_THREADS_PER_REVIEWER", default=40)
FEEDBACK_ADDRESSED_NOTE_MAX_CHARS = env.int("FEEDBACK_ADDRESSED_NOTE_MAX_CHARS", default=500)
for _name in ("FEEDBACK_COMMENT_MAX_CHARS", "FEEDBACK_THREADS_PER_REVIEWER", "FEEDBACK_ADDRESSED_NOTE_MAX_CHARS"):
    if globals()[_name] <= 0:
        raise ImproperlyConfigured(f"{_name} must be a positive number.")

ROSTER_IMPORT_MAX_ROWS = env.int("ROSTER_IMPORT_MAX_ROWS", default=2000)
ROSTER_IMPORT_MAX_BYTES = env.int("ROSTER_IMPORT_MAX_BYTES", default=256 * 1024)
for _name in ("ROSTER_IMPORT_MAX_ROWS", "ROSTER_IMPORT_MAX_BYTES"):
    if globals()[_name] <= 0:
        raise ImproperlyConfigured(f"{_name} must be a positive number.")


def _env_int_between(name: str, default: int, low: int, high: int, unit: str) -> int:
    """A whole number from the environment within [low, high]; anything else stops start-up
    with a message naming the variable (environ's own error would only say "invalid literal")."""
    raw = env.str(name, default=str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number of {unit}, not {raw!r}.") from None
    if not low <= value <= high:
        raise ImproperlyConfigured(f"{name} must be between {low} and {high} {unit}, not {value}.")
    return value


# The public portfolio page's caches (portfolios/cache.py, docs/portfolios.md): how long a
# per-slug head and a rendered page live in the shared cache, and how many rendered pages
# each web process keeps in its own LRU (0 turns that local copy off).
# Helper processes that lay a large report's PDF parts out side by side (reports/pdf_layout.py);
# 1 lays them out in the build's own process. Each needs about 150 MiB at its peak.
REPORTS_PDF_PROCESSES = _env_int_between("REPORTS_PDF_PROCESSES", min(2, os.cpu_count() or 1), 1, 16, "processes")
PORTFOLIO_HEAD_CACHE_SECONDS = _env_int_between("PORTFOLIO_HEAD_CACHE_SECONDS", 60, 1, 24 * 60 * 60, "seconds")
PORTFOLIO_PAGE_CACHE_SECONDS = _env_int_between(
    "PORTFOLIO_PAGE_CACHE_SECONDS", 60 * 60, 1, 30 * 24 * 60 * 60, "seconds"
)
PORTFOLIO_LOCAL_PAGES = _env_int_between("PORTFOLIO_LOCAL_PAGES", 200, 0, 100_000, "pages")
# Students a report reads and writes per chunk (docs/reports.md): memory and queries per
# chunk grow with it, the number of chunks shrinks.
REPORTS_CHUNK_SIZE = _env_int_between("REPORTS_CHUNK_SIZE", 200, 1, 10_000, "students")
# Students the reminder sweep reads per batch (docs/background-jobs.md): its memory follows
# the batch, not the number of students in running cohorts.
REMINDERS_SWEEP_BATCH = _env_int_between("REMINDERS_SWEEP_BATCH", 500, 1, 10_000, "students")
# Feedback notifications (docs/background-jobs.md, "Feedback notifications"): comments,
# replies and threads marked addressed wait this long and are told to each person in one
# batch (the beat task runs every minute); comments a mentor or peer makes while their
# review is still to come are told with that review, or after the hold if it never comes.
FEEDBACK_NOTIFY_WINDOW = _env_int_between("FEEDBACK_NOTIFY_WINDOW", 10 * 60, 0, 24 * 60 * 60, "seconds")
FEEDBACK_NOTIFY_REVIEW_HOLD = _env_int_between(
    "FEEDBACK_NOTIFY_REVIEW_HOLD", 24 * 60 * 60, 60, 14 * 24 * 60 * 60, "seconds"
)


# --- Metrics and traces (docs/operations.md, "Seeing inside") ---------------------------
# GET /metrics answers a request with `Authorization: Bearer <METRICS_TOKEN>`, or one that
# comes straight (through no proxy) from METRICS_ALLOWED_NETWORKS; anyone else gets a 404 (a
# wrong token a 403). Neither set: nobody may read it.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if METRICS_TOKEN and (len(METRICS_TOKEN) < 32 or not METRICS_TOKEN.isprintable() or " " in METRICS_TOKEN):
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 printable characters without spaces.")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
for _address in METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_address, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_NETWORKS: {_address!r} is not an IP address or network ({_error})."
        ) from None
# Figures read from the database and the broker at scrape time are shared by all web
# processes for this long (0: read on every scrape).
METRICS_SCRAPE_CACHE_SECONDS = _env_int_between("METRICS_SCRAPE_CACHE_SECONDS", 15, 0, 300, "seconds")
# A Celery worker serves its own task metrics on this port (0: off) and address.
WORKER_METRICS_PORT = _env_int_between("WORKER_METRICS_PORT", 0, 0, 65535, "(a TCP port)")
WORKER_METRICS_ADDRESS = env.str("WORKER_METRICS_ADDRESS", default="0.0.0.0")
try:
    ipaddress.ip_address(WORKER_METRICS_ADDRESS)
except ValueError:
    raise ImproperlyConfigured(
        f"WORKER_METRICS_ADDRESS must be an IP address to listen on, not {WORKER_METRICS_ADDRESS!r}."
    ) from None
# gunicorn's workers and Celery's pool processes each count for themselves; prometheus_client
# adds them up from the files in this directory (read by the library from the environment).
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
if PROMETHEUS_MULTIPROC_DIR and not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    raise ImproperlyConfigured(f"PROMETHEUS_MULTIPROC_DIR must be an existing directory: {PROMETHEUS_MULTIPROC_DIR!r}.")
# The database and cache calls are timed (django-prometheus's database backends, our cache
# backends in core/observability/cache.py).
_INSTRUMENTED_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
for _database in DATABASES.values():
    _database["ENGINE"] = _INSTRUMENTED_ENGINES.get(_database["ENGINE"], _database["ENGINE"])
_INSTRUMENTED_CACHES = {
    "core.cache.FailSoftRedisCache": "core.observability.cache.InstrumentedFailSoftRedisCache",
    "django.core.cache.backends.locmem.LocMemCache": "core.observability.cache.InstrumentedLocMemCache",
}
for _cache in CACHES.values():
    _cache["BACKEND"] = _INSTRUMENTED_CACHES.get(_cache["BACKEND"], _cache["BACKEND"])
# Traces (core/observability/tracing.py) are on when an OTLP/HTTP endpoint is configured with
# OpenTelemetry's own variables, which the exporter reads (with OTEL_EXPORTER_OTLP_HEADERS…).
_OTLP_ENDPOINTS = {
    name: env.str(name, default="").strip()
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
}
for _name, _url in _OTLP_ENDPOINTS.items():
    if _url and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", _url):
        raise ImproperlyConfigured(f"{_name} must be an http:// or https:// URL, not {_url!r}.")
TRACING_ENABLED = any(_OTLP_ENDPOINTS.values())
# Spans are tagged "<name>-web" and "<name>-worker".
TRACING_SERVICE_NAME = env.str("TRACING_SERVICE_NAME", default="courseplatform")
if not re.fullmatch(r"[A-Za-z0-9._-]{1,60}", TRACING_SERVICE_NAME):
    raise ImproperlyConfigured("TRACING_SERVICE_NAME must be 1–60 letters, digits, dots, dashes or underscores.")
