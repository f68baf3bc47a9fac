"""Django settings, all from the environment with safe embedded defaults.

One file for every environment (no production-only settings module): the
environment decides. See README "Configuration" for the variables.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from sequence.config import local_secrets
from sequence.config.env import env_bool, env_int, env_list, env_secret, env_str
from sequence.exchanges.config import EXCHANGES as exchange_registry

PACKAGE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
DEMO = env_bool("SEQUENCE_DEMO", False)


def _required_secret(name: str) -> str:
    """From the environment (or NAME_FILE). Only the demo makes one up, once, under var/: on
    several hosts each would make its own, and sessions, links and sealed seeds would break."""
    value = env_secret(name)
    if value:
        return value
    if DEMO:
        LOCAL_SECRETS.append(name)  # check --deploy says so (config/checks.py)
        return local_secrets.get(name)
    raise ImproperlyConfigured(
        f"{name} is not set. Outside the demo (SEQUENCE_DEMO=1) give every web and worker process the same "
        f"value in the environment or in a file named by {name}_FILE (README, Configuration).")


LOCAL_SECRETS: list[str] = []  # the secrets made up under var/ (the demo only)
SECRET_KEY = _required_secret("SECRET_KEY")
# "kid:base64key[,kid:base64key...]": the first encrypts, all decrypt (rotation).
FIELD_ENCRYPTION_KEYS = _required_secret("FIELD_ENCRYPTION_KEY")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

SITE_NAME = env_str("SITE_NAME", "Sequence")
SUPPORT_EMAIL = env_str("SUPPORT_EMAIL", "support@example.com")
LEGAL_NAME = env_str("LEGAL_NAME", "")
LEGAL_DISCLAIMER = env_str("LEGAL_DISCLAIMER", "")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "procrastinate.contrib.django",
    "sequence.accounts",
    "sequence.notifications",
    "sequence.ops",
    "sequence.vault",
    "sequence.catalog",
    "sequence.trading",
    "sequence.onboarding",
    "sequence.compliance",
    "sequence.portfolio",
    "sequence.web",
]

MIDDLEWARE = [
    "sequence.web.middleware.ClientAddressMiddleware",  # first: everything after reads REMOTE_ADDR
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "sequence.accounts.middleware.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "sequence.web.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, so that its 400 still gets the headers above; it still runs before the first reader
    # of request.POST (the CSRF check's process_view, then the view).
    "sequence.web.middleware.UnreadableBodyMiddleware",
]

ROOT_URLCONF = "sequence.config.urls"
WSGI_APPLICATION = "sequence.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sequence.web.context.site",
            ],
        },
    }
]


def _database() -> dict:
    url = env_secret("DATABASE_URL")
    if not url:
        # A local cluster started by `sequence run` serves other commands too (e.g. `sequence demo_mail`).
        from sequence.runtime.embedded_pg import running_url
        from sequence.runtime.paths import var_dir

        url = running_url(var_dir() / "pg", "sequence")
    if not url:
        raise ImproperlyConfigured(
            "DATABASE_URL is not set. `sequence run` and `sequence test` start a private "
            "PostgreSQL and set it; otherwise point it at your server, "
            "e.g. postgresql://user:pass@host:5432/sequence"
        )
    # Persistent connections, checked before reuse: a worker otherwise opens a new PostgreSQL
    # connection for every job (Procrastinate closes Django's connection after each one when
    # CONN_MAX_AGE is 0), which cost an engine step more than its own work.
    config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 300), conn_health_checks=True)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must be a postgresql:// URL: Sequence runs on PostgreSQL only")
    # A unix-socket URL carries the socket directory url-encoded in the host part.
    if config.get("HOST", "").startswith("%2F"):
        from urllib.parse import unquote

        config["HOST"] = unquote(config["HOST"])
    config.setdefault("TEST", {})["NAME"] = env_str("TEST_DATABASE_NAME", "") or None
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "sequence.accounts.backends.EmailBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:signin"
LOGIN_REDIRECT_URL = "web:dashboard"
PASSWORD_RESET_TIMEOUT = 60 * 60

# Sessions: new id at sign-in (Django), idle 30 min and absolute 12 h (our middleware).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

SECURE = env_bool("SECURE_COOKIES", not DEBUG and not DEMO)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
if SECURE:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
# How many proxies of ours append to X-Forwarded-For in front of the web process: the client's
# address is the one that many places from the right (README "Behind a proxy"). 0: the socket's.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")
X_FRAME_OPTIONS = "DENY"

# Lockout of password guessing: per (account, address), so that nobody can lock
# a client out from elsewhere; django-axes keeps the counts in the database.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "email"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password", "code", "otp", "secret", "passphrase"]

# Second factor by email
SIGNIN_CODE_TTL_SECONDS = 10 * 60
SIGNIN_CODE_MAX_ATTEMPTS = 5
SIGNIN_CODE_RESEND_SECONDS = 60
SECOND_FACTOR_FRESH_SECONDS = 15 * 60
# Per account, whatever the address: free tries, then delays doubling from 1 s (capped),
# and after SIGNIN_FAILURE_CAP consecutive failures a password reset is needed.
SIGNIN_FREE_FAILURES = 5
SIGNIN_MAX_DELAY_SECONDS = 15 * 60
SIGNIN_FAILURE_CAP = 100

# Email: Django's own names. `sequence run` points them at its local sink.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <no-reply@example.com>")
DEMO_MAILDIR = env_str("DEMO_MAILDIR", "")
EMAIL_RETRY_BASE_SECONDS = env_int("EMAIL_RETRY_BASE_SECONDS", 30)

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env_str("STATIC_ROOT", str(Path("var/static").resolve()))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
                    if not DEBUG and env_bool("STATIC_MANIFEST", True)
                    else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)
# plotly.js comes from the plotly wheel (sequence.portfolio.staticfiles), as htmx from django-htmx
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "sequence.portfolio.staticfiles.PlotlyFinder",
]


# A killed worker's jobs ("doing" with no heartbeat) are put back in the queue by the
# ops.retry_stalled_jobs periodic task: at-least-once for every job, emails included.
WORKER_HEARTBEAT_SECONDS = float(env_int("WORKER_HEARTBEAT_SECONDS", 10))
STALLED_WORKER_SECONDS = float(env_int("STALLED_WORKER_SECONDS", 30))
STALLED_SCAN_CRON = env_str("STALLED_SCAN_CRON", "* * * * *")  # a 6th field is seconds
if WORKER_HEARTBEAT_SECONDS * 2 > STALLED_WORKER_SECONDS:
    raise ImproperlyConfigured("STALLED_WORKER_SECONDS must be at least twice WORKER_HEARTBEAT_SECONDS, "
                               "or live workers' jobs would be taken for stalled ones")
# Workers LISTEN for new jobs (PostgreSQL NOTIFY: a job deferred now starts at once) and poll
# every WORKER_POLL_SECONDS for jobs whose scheduled time has come (NOTIFY does not fire then):
# an engine step scheduled for later starts at most that late.
WORKER_POLL_SECONDS = float(env_str("WORKER_POLL_SECONDS", "0.5"))
PROCRASTINATE_ON_APP_READY = "sequence.ops.worker_app.on_app_ready"
PROCRASTINATE_WORKER_DEFAULTS = {
    "update_heartbeat_interval": WORKER_HEARTBEAT_SECONDS,
    "stalled_worker_timeout": STALLED_WORKER_SECONDS,
    "fetch_job_polling_interval": WORKER_POLL_SECONDS,
    "listen_notify": True,
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "sequence.core.redaction.RedactingFilter"},
                "reset_tokens": {"()": "sequence.config.access_log.ResetTokenFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["redact", "reset_tokens"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "procrastinate": {"level": env_str("PROCRASTINATE_LOG_LEVEL", "WARNING")},
        "axes": {"level": "WARNING"},
        # runserver's access lines, through our filters (reset tokens); gunicorn: access_log.py
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

TEST_RUNNER = "django.test.runner.DiscoverRunner"

# Exchanges (the list is sequence.exchanges.config.EXCHANGES). Each *_API_URL (BYBIT_API_URL,
# OKX_API_URL, ...) replaces the real exchange's host (the demo and tests point them at the
# simulated exchange); unset means the real exchange.
for _exchange in exchange_registry.values():
    globals()[_exchange.api_url_setting] = env_str(_exchange.api_url_setting, "")
# The platform's public egress addresses: clients whitelist them on their keys.
EGRESS_IPS = env_list("EGRESS_IPS", ["127.0.0.1"] if DEMO else [])
KEY_VALIDITY_DAYS = env_int("KEY_VALIDITY_DAYS", 90)

# The trading engine. A bot steps every ENGINE_STEP_SECONDS of *market* time (read from the
# venue, so the demo's accelerated clock steps faster in wall time). Rate limits: each
# exchange's budget per egress IP (requests per second; Bybit: 600 per 5 s) is divided
# among the ENGINE_PROCESSES_PER_IP worker processes that send from one IP.
ENGINE_STEP_SECONDS = env_int("ENGINE_STEP_SECONDS", 30)
ENGINE_PROCESSES_PER_IP = env_int("ENGINE_PROCESSES_PER_IP", 1)
# Steps are run in ticks of shards (trading.engine_jobs): bot number % ENGINE_SHARDS picks the
# shard, one job per shard-tick steps its due bots together. Every process must use the same
# value (ensure_chains moves bots when it changes). Due times are rounded up to a grid of
# ENGINE_TICK_SECONDS so that a shard's bots come due together; a tick steps at most
# ENGINE_TICK_BATCH bots, ENGINE_TICK_CONCURRENCY at once.
ENGINE_SHARDS = env_int("ENGINE_SHARDS", 64)
ENGINE_TICK_SECONDS = float(env_str("ENGINE_TICK_SECONDS", "1"))
ENGINE_TICK_BATCH = env_int("ENGINE_TICK_BATCH", 500)
ENGINE_TICK_CONCURRENCY = env_int("ENGINE_TICK_CONCURRENCY", 16)
# Database connections of an engine process's steps (sequence.trading.lanes): one per lane.
ENGINE_DB_LANES = env_int("ENGINE_DB_LANES", 24)
if min(ENGINE_SHARDS, ENGINE_TICK_BATCH, ENGINE_TICK_CONCURRENCY, ENGINE_DB_LANES) < 1 or ENGINE_TICK_SECONDS <= 0:
    raise ImproperlyConfigured("ENGINE_SHARDS, ENGINE_TICK_BATCH, ENGINE_TICK_CONCURRENCY and ENGINE_DB_LANES must "
                               "be at least 1, "
                               "ENGINE_TICK_SECONDS above 0")
# Succeeded step jobs are deleted after this many hours (trading.prune_step_jobs): one a shard-tick.
ENGINE_JOBS_KEEP_HOURS = env_int("ENGINE_JOBS_KEEP_HOURS", 2)
EXCHANGE_RATE_PER_IP = {e.id: e.rate_per_ip for e in exchange_registry.values()}
# Each account is also paced by ccxt's own per-endpoint costs (Bybit: about ten private requests
# a second). Only a simulated exchange with raised limits (the test suite's) may speed that up.
EXCHANGE_ACCOUNT_RATE_SCALE = float(env_str("EXCHANGE_ACCOUNT_RATE_SCALE", "1"))
if EXCHANGE_ACCOUNT_RATE_SCALE <= 0:
    raise ImproperlyConfigured("EXCHANGE_ACCOUNT_RATE_SCALE must be above 0")
if env_str("EXCHANGE_RATE_PER_IP_OVERRIDE", ""):
    EXCHANGE_RATE_PER_IP = dict.fromkeys(EXCHANGE_RATE_PER_IP, float(env_str("EXCHANGE_RATE_PER_IP_OVERRIDE", "0")))
# Paper trading (E4): the built-in simulated exchange (`sequence venue serve`), admin API on loopback.
PAPER_VENUE_URL = env_str("PAPER_VENUE_URL", env_str("VENUE_URL", ""))
# A withdrawal notice not used within this many hours expires (a bot paused for it resumes).
WITHDRAWAL_NOTICE_HOURS = env_int("WITHDRAWAL_NOTICE_HOURS", 72)
WITHDRAWAL_NOTICE_SCAN_CRON = env_str("WITHDRAWAL_NOTICE_SCAN_CRON", "* * * * *")  # a 6th field is seconds
# A submission still "Verifying" after this long is requeued, and "Check again" is offered.
VERIFY_STUCK_SECONDS = env_int("VERIFY_STUCK_SECONDS", 300)

# The versions of the terms and the risk disclosure a client agrees to at submission.
TERMS_VERSION = env_str("TERMS_VERSION", "2026-11-01")
RISK_DISCLOSURE_VERSION = env_str("RISK_DISCLOSURE_VERSION", "2026-11-01")

# Vault (sealed exchange credentials). Keys are "kid:base64(32 raw bytes)"; `sequence vault keygen`
# prints a pair. VAULT_PUBLIC_KEY goes to web and workers (new values are sealed to it);
# VAULT_PRIVATE_KEYS ("kid:base64[,...]", newest first, every kid that may still appear) to the
# workers only. Both unset (a laptop, the demo): a pair is generated once under var/vault-keys.json.
VAULT_PUBLIC_KEY = env_secret("VAULT_PUBLIC_KEY")
VAULT_PRIVATE_KEYS = env_secret("VAULT_PRIVATE_KEYS")
