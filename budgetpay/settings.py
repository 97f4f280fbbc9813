"""Budget Pay settings, read from the environment (see `.env.example`).

Unset `DATABASE_URL` / `REDIS_URL` give the embedded default: SQLite and the
in-memory channel layer. Nothing secret has a production default: with DEBUG
off, a missing `SECRET_KEY` or `ALLOWED_HOSTS` stops the process with a
one-line message naming the variable.

Size: one flat list of Django's and the libraries' settings, each read from the environment
with its reason beside it; splitting it would scatter what an operator reads top to bottom.
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Only when there is one: read_env() logs ".env not found" otherwise, which reads like an
# error on every start although the environment (or the embedded default) is all it needs.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _require(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        sys.exit(f"budgetpay: {name} must be set when DEBUG is off (see .env.example)")
    return value


DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-only-key")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
else:
    SECRET_KEY = _require("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        _require("ALLOWED_HOSTS")

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# A web front-end on its own domain may call the API (django-cors-headers): exact origins such as
# "https://app.example.com" (scheme, host and port), none by default. Clients authenticate with
# bearer tokens, never cookies, so credentials stay off. The socket's origin check reads this list
# too, for sockets authenticated by token.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = r"^/(api|compat)/.*$"  # the API, and the original client's (COMPAT_ORIGINAL_API)
CORS_ALLOW_HEADERS = ("accept", "authorization", "content-type", "idempotency-key")
# Readable by the front-end's script: when to retry a 429, and an export's file name.
CORS_EXPOSE_HEADERS = ("Retry-After", "Content-Disposition")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "channels",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    # The API docs' Swagger UI served from our own static files (no CDN; works offline and under the CSP).
    "drf_spectacular_sidecar",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.github",
    # Celery beat's schedules as rows staff see and edit in the admin (docs/deployment.md).
    "django_celery_beat",
    "budgetpay",
    "users",
    "transactions",
    "budgets",
    "goals",
    "notifications",
    "chatbot",
]

MIDDLEWARE = [
    # Outermost: with COMPAT_ORIGINAL_API off, all of /compat/ is a 404, before CORS sees a preflight.
    "budgetpay.compat.gate.CompatGateMiddleware",
    # First (before CommonMiddleware and the body-size check's 413): every API answer carries its
    # CORS headers, and a preflight is answered before anything else looks at it.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static files keep their long caching and need no policy of their own.
    "budgetpay.middleware.ContentSecurityPolicyMiddleware",
    "budgetpay.middleware.NoStoreForPersonalResponsesMiddleware",
    "budgetpay.middleware.ApiBodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The locale the pages' money is written in: the person's, else the browser's.
    "budgetpay.formatting.RequestLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "budgetpay.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = None
ASGI_APPLICATION = "budgetpay.asgi.application"

# --- Database -----------------------------------------------------------------
# Under ASGI every request may run in a different thread, so persistent
# connections would pile up: CONN_MAX_AGE stays 0 and health checks guard reuse.
# On PostgreSQL each process keeps a psycopg connection pool instead (Django 5.1+):
# a request borrows a connection and gives it back, so it pays no TCP + auth
# handshake (the benchmark measured REST 47 -> 88 req/s and a 1,000-socket connect
# storm from 45 % refused to none; docs/performance.md). Size it so that
# processes x DB_POOL_MAX_SIZE stays under PostgreSQL's max_connections.
# An empty DATABASE_URL (as in .env.example) also means the embedded SQLite default.
DATABASES = {
    "default": env.db_url_config(env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool("DB_POOL", default=True):
    if DATABASES["default"]["CONN_MAX_AGE"]:
        sys.exit(
            "budgetpay: CONN_MAX_AGE must be 0 with the connection pool (DB_POOL); set DB_POOL=false to keep connections instead"
        )
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=20),
        # How long a request waits for a free connection (or for PostgreSQL to come
        # back) before it gets the 503 "database unavailable" answer.
        "timeout": env.float("DB_POOL_TIMEOUT", default=5.0),
    }
    # CONN_HEALTH_CHECKS (on, below) makes the pool check a connection as it lends
    # it, so one that died while idle (PostgreSQL restarted) never reaches a request.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Requests (one thread each under Daphne) and the in-process job threads write at once.
    # A write waits up to `timeout` seconds for the lock instead of failing with "database is
    # locked" (a 503). That wait only works when a transaction takes the write lock as it
    # begins: a deferred one that read first and then writes is refused at once, without
    # waiting (a sign-up reads whether its email is taken, then inserts). WAL lets reads go
    # on beside the one writer. budgetpay/tests/test_embedded_jobs_sqlite.py holds it.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels -----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Which channels_redis layer carries notifications between processes (docs/performance.md
# has the A/B): "core" queues each message in Redis per receiving process (capacity, expiry);
# "pubsub" PUBLISHes it to the processes subscribed to the user's group.
CHANNEL_LAYER = env.str("CHANNEL_LAYER", default="pubsub")
_CHANNEL_LAYER_BACKENDS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
if CHANNEL_LAYER not in _CHANNEL_LAYER_BACKENDS:
    sys.exit(f"budgetpay: CHANNEL_LAYER must be one of {', '.join(_CHANNEL_LAYER_BACKENDS)}, not {CHANNEL_LAYER!r}")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": _CHANNEL_LAYER_BACKENDS[CHANNEL_LAYER],
            "CONFIG": {
                # redis-py 8 defaults socket_timeout to 5 s, the same as the
                # layer's blocking BZPOPMIN: an idle socket's receive would time
                # out and the consumer die with 1011. Keep it well above that.
                # redis-py 8 also caps an asyncio pool at 100 connections and then fails
                # ("Too many connections") instead of waiting: a connection storm on one
                # process needs more at once (bench/ measured it). Redis's maxclients
                # (10,000) must cover processes × this.
                # More than one Redis: CHANNEL_LAYER_SHARDS lists every one of them (REDIS_URL still
                # turns the layer on); each group lives on one by a hash of its name (docs/deployment.md).
                "hosts": [
                    {
                        "address": address,
                        "socket_timeout": 30,
                        "socket_connect_timeout": 5,
                        "max_connections": env.int("CHANNEL_LAYER_MAX_CONNECTIONS", default=1000),
                    }
                    for address in env.list("CHANNEL_LAYER_SHARDS", default=[]) or [REDIS_URL]
                ],
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="budgetpay"),
            },
        }
    }
    if CHANNEL_LAYER == "core":
        # Per receiving process, not per socket: every socket of a Daphne process shares
        # one queue in Redis, so capacity bounds the backlog of the whole process.
        CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] = env.int("CHANNEL_LAYER_CAPACITY", default=1000)
        CHANNEL_LAYERS["default"]["CONFIG"]["expiry"] = env.int("CHANNEL_LAYER_EXPIRY", default=60)
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Every open socket re-checks its credentials this often (a backstop for a lost close
# message) and refreshes its place in the count of the person's sockets, which is
# capped across all processes; connecting past the cap closes the oldest (4008).
WEBSOCKET_RECHECK_SECONDS = env.float("WEBSOCKET_RECHECK_SECONDS", default=60)
WEBSOCKET_MAX_PER_PERSON = env.int("WEBSOCKET_MAX_PER_PERSON", default=20)

# --- Auth ---------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

SITE_ID = 1
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "users.forms.SignupExtraForm"
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_ADAPTER = "users.adapters.AccountAdapter"  # its rate limits key on budgetpay.client_ip
SOCIALACCOUNT_ADAPTER = "users.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_LOGIN_ON_GET = False


def _social_app(prefix: str) -> list[dict]:
    client_id = env.str(f"{prefix}_CLIENT_ID", default="")
    if not client_id:
        return []  # configure it in the admin (Social applications) instead
    return [{"client_id": client_id, "secret": env.str(f"{prefix}_CLIENT_SECRET", default="")}]


SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "APPS": _social_app("GOOGLE"),
        "SCOPE": ["openid", "profile", "email"],
        "OAUTH_PKCE_ENABLED": True,
    },
    "github": {
        "APPS": _social_app("GITHUB"),
        "SCOPE": ["read:user", "user:email"],
    },
}

# --- Email --------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Budget Pay <no-reply@localhost>")
# Seconds to connect to the mail server and for each of its answers (Django's default waits forever).
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
# Notification emails sent at once to one person an hour; past it they go in the daily digest (0: no cap).
EMAIL_IMMEDIATE_MAX_PER_HOUR = env.int("EMAIL_IMMEDIATE_MAX_PER_HOUR", default=6)

# --- Client address -----------------------------------------------------------
# How many proxies of ours stand in front of Daphne, each appending to X-Forwarded-For:
# 0 when Daphne faces clients (every forwarded header is ignored), 1 behind the shipped
# nginx, 2 behind a load balancer and nginx. budgetpay.client_ip takes the address the
# outermost of them saw; every throttle and rate limit keys on it (docs/deployment.md).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    sys.exit(f"budgetpay: TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}")
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT  # allauth's own helper, should anything call it

# --- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.JWTAuthentication",  # 401 with a code once a token no longer speaks for its person
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A JSON API; the CSV import opts into multipart on its own view.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "budgetpay.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "budgetpay.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    # Our throttles key on budgetpay.client_ip; any stock DRF throttle counts proxies the same way.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    # Per client IP (per user for "ai"); past the rate: 429 with Retry-After.
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("THROTTLE_LOGIN", default="10/min"),
        "register": env.str("THROTTLE_REGISTER", default="5/min"),
        "token_refresh": env.str("THROTTLE_TOKEN_REFRESH", default="30/min"),
        "social_login": env.str("THROTTLE_SOCIAL_LOGIN", default="10/min"),
        "ai": env.str("THROTTLE_AI", default="10/min"),
    },
}

# Throttle counters and allauth's rate limits live in the cache. One process can
# keep them in memory; several processes must share one (e.g. redis://127.0.0.1:6379/1,
# a different database number from the channel layer's).
CACHES = {"default": env.cache_url_config(env.str("CACHE_URL", default="") or "locmemcache://")}

JWT_ACCESS_MINUTES = env.int("JWT_ACCESS_MINUTES", default=15)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=JWT_ACCESS_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    # Tokens carry a hash of the password hash: a password change refuses every token
    # issued before it (REST and sockets, users.tokens). Tokens from before this setting
    # lack the claim and are refused once: people sign in again after the upgrade.
    "CHECK_REVOKE_TOKEN": True,
}
# A refresh token presented again this long after its rotation only gets 401 (two tabs,
# a retrying phone); later, its whole sign-in's tokens are revoked (users.services).
JWT_REFRESH_REUSE_GRACE_SECONDS = env.int("JWT_REFRESH_REUSE_GRACE_SECONDS", default=10)

# The original Budget Pay web client's API under /compat/v0/ (docs/compat.md); off: all 404.
COMPAT_ORIGINAL_API = env.bool("COMPAT_ORIGINAL_API", default=False)
# That client never refreshes: its session ends with this token. Longer is the operator's choice,
# for it alone: a stolen token works that long (sign-out, a password change end it). Max 30 days.
COMPAT_ACCESS_TOKEN_MINUTES = env.int("COMPAT_ACCESS_TOKEN_MINUTES", default=JWT_ACCESS_MINUTES)
if not 1 <= COMPAT_ACCESS_TOKEN_MINUTES <= 30 * 24 * 60:
    sys.exit(f"budgetpay: COMPAT_ACCESS_TOKEN_MINUTES must be between 1 and 43200, not {COMPAT_ACCESS_TOKEN_MINUTES}")

SPECTACULAR_SETTINGS = {
    "TITLE": "Budget Pay API",
    "DESCRIPTION": "Budgets, transactions, saving goals and real-time notifications.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from drf-spectacular-sidecar's static files, not a CDN (budgetpay/urls.py).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # generate-ai names its insight with `type` or the original API's `notification_type`: one enum.
    "ENUM_NAME_OVERRIDES": {
        "InsightTypeEnum": "notifications.serializers.INSIGHT_TYPES",
        "DeliveryStateEnum": "notifications.models.Delivery.State",
        "ImportJobStateEnum": "transactions.models.ImportJob.State",
    },
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["budgetpay.api.document_paths_without_trailing_slash"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "budgetpay.api.document_error_responses",
    ],
}

# Bodies past this are refused with 413 before a view parses them.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=512 * 1024)
# File uploads to the API (CSV imports) may be larger, up to this many bytes.
API_UPLOAD_MAX_SIZE = env.int("API_UPLOAD_MAX_SIZE", default=10 * 1024 * 1024)

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "budgetpay" / "static"]
# WhiteNoise serves static files from the apps' folders under Daphne, so no
# collectstatic step is needed; set STATIC_ROOT to collect them for a proxy/CDN.
STATIC_ROOT = env.str("STATIC_ROOT", default="") or None
WHITENOISE_USE_FINDERS = True

# --- Security (production) ----------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^health$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): the pages load scripts, styles and images only from
# this server, with no inline script, no inline style and no `style=` attribute (templates
# draw colours and widths as SVG attributes). connect-src also gets ws:/wss: of the request's
# host (budgetpay.middleware.ContentSecurityPolicyMiddleware). form-action must allow the
# providers' sign-in pages: allauth's provider login is a POST to us answered with a
# redirect there, and browsers hold that redirect to form-action too.


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": [
            "'self'",
            _origin(
                SOCIALACCOUNT_PROVIDERS["google"].get("AUTHORIZE_URL", "https://accounts.google.com/o/oauth2/v2/auth")
            ),
            _origin(SOCIALACCOUNT_PROVIDERS["github"].get("GITHUB_URL", "https://github.com")),
        ],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- AI (OpenRouter through the openai SDK) -------------------------------------
OPENROUTER_API_KEY = env.str("OPENROUTER_API_KEY", default="")
OPENROUTER_BASE_URL = env.str("OPENROUTER_BASE_URL", default="https://openrouter.ai/api/v1")
# The first model is tried first; the others, in order, when it fails.
OPENROUTER_MODELS = [env.str("OPENROUTER_MODEL", default="openai/gpt-4o-mini")] + env.list(
    "OPENROUTER_FALLBACK_MODELS", default=[]
)
OPENROUTER_TIMEOUT_SECONDS = env.float("OPENROUTER_TIMEOUT_SECONDS", default=20.0)
# Retries per model on 429, 5xx and connection errors (the SDK backs off between them).
OPENROUTER_MAX_RETRIES = env.int("OPENROUTER_MAX_RETRIES", default=1)
OPENROUTER_MAX_TOKENS = env.int("OPENROUTER_MAX_TOKENS", default=600)
# AI requests (insights and chat messages) each user may make per day, in their timezone.
AI_DAILY_LIMIT = env.int("AI_DAILY_LIMIT", default=50)

# --- Jobs and outside deliveries (docs/deployment.md, docs/notifications.md) ---------
# With a broker, Celery workers and beat run as their own processes (`make multi`,
# deploy/systemd). Without one, each Daphne process runs the same jobs and schedules on
# a thread of its own (budgetpay/jobs.py), so the embedded default needs nothing else.
# Set but empty: no broker even with REDIS_URL (the test process; pytest.ini).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_WORKER_PREFETCH_MULTIPLIER", default=4)
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# How often the sweeper looks for deliveries that are due or whose claim lapsed.
DELIVERY_SWEEP_SECONDS = env.float("DELIVERY_SWEEP_SECONDS", default=10.0)
CELERY_BEAT_SCHEDULE = {
    "deliveries-sweep": {"task": "notifications.tasks.deliveries_sweep", "schedule": DELIVERY_SWEEP_SECONDS},
    # Each person's morning alerts (notifications/schedule.py): who entered their morning window.
    "morning": {"task": "notifications.tasks.morning_tick", "schedule": 900.0},
    "import-jobs-sweep": {"task": "transactions.tasks.import_jobs_sweep", "schedule": 60.0},
}
# The local hour each person's morning alerts (insight, goal deadlines, budget pace, the weekly
# summary on Mondays, the email digests) start at; a missed tick catches up for four hours.
MORNING_HOUR = env.int("MORNING_HOUR", default=7)
# Statements above either size are imported by a job (202 and a status URL).
IMPORT_JOB_THRESHOLD_BYTES = env.int("IMPORT_JOB_THRESHOLD_BYTES", default=256 * 1024)
IMPORT_JOB_THRESHOLD_ROWS = env.int("IMPORT_JOB_THRESHOLD_ROWS", default=2000)
IMPORT_JOB_STALE_SECONDS = env.float("IMPORT_JOB_STALE_SECONDS", default=120.0)
# The insights a request waits for ask one model once, this long, before the rules answer.
OPENROUTER_INSIGHT_TIMEOUT_SECONDS = env.float("OPENROUTER_INSIGHT_TIMEOUT_SECONDS", default=8.0)
# In-process jobs: on by default when no broker is set; the tests turn it off (pytest.ini).
JOBS_IN_PROCESS = env.bool("JOBS_IN_PROCESS", default=not CELERY_BROKER_URL)
JOBS_IN_PROCESS_THREADS = env.int("JOBS_IN_PROCESS_THREADS", default=4)
# Seconds between tries of a failed delivery (about a day in all), then "given up".
DELIVERY_RETRY_DELAYS = env.list(
    "DELIVERY_RETRY_DELAYS", cast=float, default=[5, 60, 300, 1800, 7200, 18000, 36000, 36000]
)
# A claimed delivery not marked within this many seconds is claimed again (a killed worker).
DELIVERY_CLAIM_SECONDS = env.float("DELIVERY_CLAIM_SECONDS", default=60.0)
# /health reports the sweeper as stale after this many seconds without a run.
DELIVERY_SWEEPER_STALE_SECONDS = env.float("DELIVERY_SWEEPER_STALE_SECONDS", default=120.0)
PUSH_MAX_PER_MINUTE = env.int("PUSH_MAX_PER_MINUTE", default=4)
# After this many failed tries in a row (with none sent), a webhook is turned off and its owner told.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=15)
WEBHOOKS_MAX_PER_PERSON = env.int("WEBHOOKS_MAX_PER_PERSON", default=10)
# Outbound calls to people's URLs refuse private, loopback, link-local... addresses, unless in
# one of these networks (a home server sets its LAN, e.g. 192.168.1.0/24).
WEBHOOKS_ALLOWED_NETWORKS = env.list("WEBHOOKS_ALLOWED_NETWORKS", default=[])
OUTBOUND_TIMEOUT_SECONDS = env.float("OUTBOUND_TIMEOUT_SECONDS", default=5.0)
OUTBOUND_MAX_RESPONSE_BYTES = env.int("OUTBOUND_MAX_RESPONSE_BYTES", default=64 * 1024)
# Web push (VAPID): base64url keys as web-push libraries print them; `manage.py vapid_keys` makes a pair.
VAPID_PUBLIC_KEY = env.str("VAPID_PUBLIC_KEY", default="")
VAPID_PRIVATE_KEY = env.str("VAPID_PRIVATE_KEY", default="")
VAPID_SUBJECT = env.str("VAPID_SUBJECT", default="mailto:admin@localhost")
