"""Settings, read from the environment.

Unset variables fall back to the embedded defaults (SQLite, in-memory channel layer, local-memory cache,
DEBUG on) so that `make run` works on a fresh machine; production sets DATABASE_URL, REDIS_URL, SECRET_KEY
and DEBUG=0. One module: what differs between the two columns of ARCHITECTURE.md is only what is read here.
"""
import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value is None or value == "" else int(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

# Or SECRET_KEY_FILE: a file holding it (a Docker secret, or the key the compose stack generates on first start).
SECRET_KEY = os.environ.get("SECRET_KEY", "") or (
    Path(os.environ["SECRET_KEY_FILE"]).read_text().strip() if os.environ.get("SECRET_KEY_FILE") else "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-embedded-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
# The production checklist (project/checks.py) runs when a server starts and stops it on an error.
STARTUP_CHECKS = env_bool("STARTUP_CHECKS", not DEBUG)

INSTALLED_APPS = [
    "daphne",
    "project.apps.AdminConfig",  # django.contrib.admin, its default site commerce.admin_site.CommerceAdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",  # staff two-factor: the TOTP devices (commerce/accounts/twofactor.py)
    "corsheaders",
    "channels",
    "graph",  # before strawberry_django, so that its export_schema (no arguments) is the one that runs
    "strawberry_django",
    "project.observability.apps.ObservabilityConfig",  # before django_dramatiq: Sentry must see its broker made
    "django_dramatiq",
    "dramatiq_crontab",  # `manage.py crontab`, the scheduler of periodic jobs
    "commerce.accounts",
    "commerce.catalog",
    "commerce.carts",
    "commerce.orders",
    "commerce.payments",
    "commerce.notifications",
    "commerce.support",  # tickets: after orders (a ticket may be about one)
    "commerce.audit",  # who changed what: every app writes to it (commerce/audit/__init__.py)
    "commerce.exports",  # no models: the admin's export buttons (its templates)
    "commerce.invoices",  # after payments: it extends the order admin that payments registers
    "commerce.webhooks",  # outbound webhooks to integrations (docs/webhooks.md)
    "tasks",  # after the domain apps: it connects their signals to jobs
]

MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # the admin session's second factor (request.user.is_verified())
    "project.middleware.ActingUser",  # the admin's changes are recorded as the session user's
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = os.environ.get("ROOT_URLCONF", "project.urls")
ASGI_APPLICATION = "project.asgi.application"

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
            ],
        },
    },
]

# --- Database: SQLite file unless DATABASE_URL names another (PostgreSQL in production and CI).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded server writes from request threads and in-process job threads at once: take the write lock
    # when a transaction begins (a deferred one that upgrades fails at once with "database is locked"), wait
    # for it rather than fail, and let readers read while one writes (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=20, init_command="PRAGMA journal_mode=WAL;"
    )
# PostgreSQL's statement_timeout for the web processes (project/asgi.py sets it; jobs and migrations run
# without it): one slow query cannot hold a server thread. 0: none.
DATABASE_STATEMENT_TIMEOUT_MS = env_int("DATABASE_STATEMENT_TIMEOUT_MS", 10_000)
if "TEST_DATABASE_NAME" in os.environ:
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Redis: cache and channel layer. Unset means embedded: local memory and the in-memory layer.
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "commerce")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "project.channel_layer.CrowdRedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": f"{REDIS_KEY_PREFIX}:asgi",
                "pool_size": env_int("CHANNEL_LAYER_POOL_SIZE", 1000),  # Redis connections per process
                "concurrency": env_int("CHANNEL_LAYER_CONCURRENCY", 100),  # group operations at once, per loop
                # Messages waiting for one server process, all its sockets together: channels_redis drops any
                # past this, silently. Its default of 100 lost changes when a busy process fell a second behind.
                "capacity": env_int("CHANNEL_LAYER_CAPACITY", 100_000),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer",
                                  "CONFIG": {"capacity": env_int("CHANNEL_LAYER_CAPACITY", 100_000)}}}

# --- Live updates (graph.realtime, docs/realtime.md)
# Frames one socket may have waiting while its transport is full; one more closes it with 1013 (clients reconnect).
REALTIME_SEND_QUEUE = env_int("REALTIME_SEND_QUEUE", 1000)
# How far back `after` resumes: at most this many events of the feed, and none older than this many hours; a
# cursor beyond either answers CURSOR_TOO_OLD (the client reloads).
REALTIME_REPLAY_LIMIT = env_int("REALTIME_REPLAY_LIMIT", 1000)
REALTIME_REPLAY_HOURS = env_int("REALTIME_REPLAY_HOURS", 24)
# Events are numbered at insert and may commit out of order: a replay also sends the events numbered below the
# cursor that were written up to this many seconds before it (longer than any transaction that writes one).
REALTIME_REPLAY_OVERLAP_SECONDS = env_int("REALTIME_REPLAY_OVERLAP_SECONDS", 120)
# Each process re-joins its channel-layer groups this often: the layer forgets members after `group_expiry` (a day).
REALTIME_GROUP_REFRESH_SECONDS = env_int("REALTIME_GROUP_REFRESH_SECONDS", 3600)

# --- HTTP
# Requests one process serves at once, each on one of this many threads that keep their database connection
# between requests (project/threads.py); more wait their turn on the event loop. A process holds at most this many
# connections (with CONN_MAX_AGE > 0): keep processes x this under PostgreSQL's max_connections. 0: no limit, a
# new thread and connection per request (then keep CONN_MAX_AGE at 0).
MAX_CONCURRENT_REQUESTS = env_int("MAX_CONCURRENT_REQUESTS", 32)
# On SIGTERM a server process stops taking connections, closes its websockets with 1012 and lets the requests in
# flight finish for at most this many seconds (project/serve.py): keep it under Docker's stop timeout (10 s) and
# supervisord's stopwaitsecs.
SHUTDOWN_TIMEOUT = env_int("SHUTDOWN_TIMEOUT_SECONDS", 8)
# The largest request body, refused with 413 from its Content-Length before it is read (project/gate.py); a
# GraphQL request is a document of at most 32 KB and its variables. Multipart uploads and webhooks have their own,
# which holds a whole product image (MEDIA_UPLOAD_MAX_BYTES) and the form around it; the operation inside a
# multipart body is still held to REQUEST_MAX_BODY_BYTES (graph/transport/views.py).
REQUEST_MAX_BODY_BYTES = env_int("REQUEST_MAX_BODY_BYTES", 1024 * 1024)
# The largest product image staff may upload (`productMediaUpload`, the admin): a larger one under the body cap is
# refused with FILE_TOO_LARGE, one over the body cap with a 413 before it is read.
MEDIA_UPLOAD_MAX_BYTES = env_int("MEDIA_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
REQUEST_MAX_UPLOAD_BYTES = env_int("REQUEST_MAX_UPLOAD_BYTES", max(20 * 1024 * 1024, MEDIA_UPLOAD_MAX_BYTES + 1024 * 1024))
if REQUEST_MAX_UPLOAD_BYTES < MEDIA_UPLOAD_MAX_BYTES:
    raise ImproperlyConfigured("REQUEST_MAX_UPLOAD_BYTES must hold a whole upload of MEDIA_UPLOAD_MAX_BYTES.")
DATA_UPLOAD_MAX_MEMORY_SIZE = max(REQUEST_MAX_BODY_BYTES, REQUEST_MAX_UPLOAD_BYTES)  # Django's, never the tighter
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
# Proxies in front of the server that append the caller's address to X-Forwarded-For (0: use the socket's).
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Accounts and tokens. Access tokens are JWTs signed with JWT_SIGNING_KEY (SECRET_KEY unless set apart).
JWT_SIGNING_KEY = os.environ.get("JWT_SIGNING_KEY") or SECRET_KEY
JWT_ISSUER = os.environ.get("JWT_ISSUER", "commerce")
ACCESS_TOKEN_LIFETIME = timedelta(seconds=env_int("ACCESS_TOKEN_LIFETIME_SECONDS", 15 * 60))
REFRESH_TOKEN_LIFETIME = timedelta(seconds=env_int("REFRESH_TOKEN_LIFETIME_SECONDS", 30 * 24 * 3600))
# The admin's live order board reads the staff subscription with an access token its page asks the admin session
# for (commerce/live_board.py): no refresh token, renewed by the page before it runs out, so a board stops within
# this long of its session ending or losing the admin's permission.
ADMIN_LIVE_TOKEN_LIFETIME = timedelta(seconds=env_int("ADMIN_LIVE_TOKEN_LIFETIME_SECONDS", 5 * 60))
# A rotated refresh token presented again within this window is two tabs refreshing at once, not a theft.
REFRESH_TOKEN_REUSE_GRACE = timedelta(seconds=env_int("REFRESH_TOKEN_REUSE_GRACE_SECONDS", 10))
# Password checks (API sign-in, the admin's login, passwordChange, proofs) are throttled per (email, IP address):
# SIGN_IN_MAX_FAILURES - 1 run freely, then one at a time after a wait of SIGN_IN_BACKOFF_SECONDS that doubles
# with each failure, up to the window (THROTTLED with retryAfter). An address past SIGN_IN_MAX_FAILURES_PER_ADDRESS
# failures in the window, whatever the emails, waits out the window.
SIGN_IN_MAX_FAILURES = env_int("SIGN_IN_MAX_FAILURES", 5)
SIGN_IN_FAILURE_WINDOW = timedelta(seconds=env_int("SIGN_IN_FAILURE_WINDOW_SECONDS", 15 * 60))
SIGN_IN_BACKOFF_SECONDS = env_int("SIGN_IN_BACKOFF_SECONDS", 30)
SIGN_IN_MAX_FAILURES_PER_ADDRESS = env_int("SIGN_IN_MAX_FAILURES_PER_ADDRESS", 30)
PASSWORD_RESET_MAX_REQUESTS = env_int("PASSWORD_RESET_MAX_REQUESTS", 3)  # per email and window; more are dropped
PASSWORD_RESET_REQUEST_WINDOW = timedelta(seconds=env_int("PASSWORD_RESET_REQUEST_WINDOW_SECONDS", 3600))
PASSWORD_RESET_TOKEN_LIFETIME = timedelta(seconds=env_int("PASSWORD_RESET_TOKEN_LIFETIME_SECONDS", 3600))
# The storefront page that asks for the new password; {token} is replaced by the (URL-quoted) reset token.
PASSWORD_RESET_URL = os.environ.get(
    "PASSWORD_RESET_URL", "http://localhost:3000/account/reset-password?token={token}"
)
# Orders of a deleted account are kept for the books; their email and addresses are erased this many days after
# each was placed (a nightly job). Unset: kept as they are, marked as a deleted account's (legal retention varies).
ORDER_PERSONAL_DATA_RETENTION_DAYS = env_int("ORDER_PERSONAL_DATA_RETENTION_DAYS", None)
# Email verification and email change: links mailed to the address to prove, each token single use. {token} is
# replaced by the token, as in PASSWORD_RESET_URL.
EMAIL_VERIFICATION_URL = os.environ.get(
    "EMAIL_VERIFICATION_URL", "http://localhost:3000/account/confirm-email?token={token}"
)
EMAIL_VERIFICATION_TOKEN_LIFETIME = timedelta(seconds=env_int("EMAIL_VERIFICATION_TOKEN_LIFETIME_SECONDS", 3 * 24 * 3600))
EMAIL_CHANGE_URL = os.environ.get(
    "EMAIL_CHANGE_URL", "http://localhost:3000/account/confirm-email-change?token={token}"
)
# The order-tracking page (`GET /orders/<token>/`) as order emails link it: this server's public address.
ORDER_TRACKING_URL = os.environ.get("ORDER_TRACKING_URL", "http://localhost:8000/orders/{token}/")
# Points each view of that page takes from the caller's address bucket (GRAPHQL_THROTTLE_*), the one `order(token:)`
# draws on over the API (2 points there); a page is a whole render, so 10: 100 views at once, then 5 a second.
ORDER_TRACKING_PAGE_COST = env_int("ORDER_TRACKING_PAGE_COST", 10)
EMAIL_CHANGE_TOKEN_LIFETIME = timedelta(seconds=env_int("EMAIL_CHANGE_TOKEN_LIFETIME_SECONDS", 24 * 3600))
# accountResendConfirmation and accountRequestEmailChange: past this many in the window for one email (or one
# user) further requests send nothing; past the per-IP count a caller is answered THROTTLED.
EMAIL_CONFIRMATION_MAX_REQUESTS = env_int("EMAIL_CONFIRMATION_MAX_REQUESTS", 3)
EMAIL_CONFIRMATION_MAX_REQUESTS_PER_IP = env_int("EMAIL_CONFIRMATION_MAX_REQUESTS_PER_IP", 20)
EMAIL_CONFIRMATION_REQUEST_WINDOW = timedelta(seconds=env_int("EMAIL_CONFIRMATION_REQUEST_WINDOW_SECONDS", 3600))
# Verification policy: may an account whose email is not yet verified place orders (guests always may), and
# must a reviewer's email be verified? Refusals answer EMAIL_NOT_VERIFIED.
ACCOUNT_UNVERIFIED_MAY_CHECK_OUT = env_bool("ACCOUNT_UNVERIFIED_MAY_CHECK_OUT", True)
REVIEWS_REQUIRE_VERIFIED_EMAIL = env_bool("REVIEWS_REQUIRE_VERIFIED_EMAIL", False)
# Support tickets (commerce.support). Customers' messages are mailed to SUPPORT_EMAIL (unset: to no one; staff
# read them in the admin); staff's replies to the customer, linking SUPPORT_TICKET_URL (a signed-in customer's
# screen) or SUPPORT_GUEST_TICKET_URL (a guest's, with the ticket's token). Staff's emails link the admin page.
SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "")
SUPPORT_TICKET_URL = os.environ.get("SUPPORT_TICKET_URL", "http://localhost:3000/support/tickets/{id}")
SUPPORT_GUEST_TICKET_URL = os.environ.get(
    "SUPPORT_GUEST_TICKET_URL", "http://localhost:3000/support/tickets/{id}?token={token}"
)
SUPPORT_ADMIN_TICKET_URL = os.environ.get(
    "SUPPORT_ADMIN_TICKET_URL", "http://localhost:8000/admin/support/ticket/{id}/change/"
)
SUPPORT_SUBJECT_MAX_LENGTH = min(env_int("SUPPORT_SUBJECT_MAX_LENGTH", 200), 200)  # the column holds 200
SUPPORT_BODY_MAX_LENGTH = env_int("SUPPORT_BODY_MAX_LENGTH", 5000)
# Customers' tickets and replies per window, per customer (account or guest email) and per IP; THROTTLED past
# them. Staff are not counted.
SUPPORT_THROTTLE_WINDOW = timedelta(seconds=env_int("SUPPORT_THROTTLE_WINDOW_SECONDS", 3600))
SUPPORT_MAX_TICKETS_PER_CUSTOMER = env_int("SUPPORT_MAX_TICKETS_PER_CUSTOMER", 5)
SUPPORT_MAX_TICKETS_PER_IP = env_int("SUPPORT_MAX_TICKETS_PER_IP", 20)
SUPPORT_MAX_REPLIES_PER_CUSTOMER = env_int("SUPPORT_MAX_REPLIES_PER_CUSTOMER", 60)
SUPPORT_MAX_REPLIES_PER_IP = env_int("SUPPORT_MAX_REPLIES_PER_IP", 200)
# Sign in with Google / Apple (tokenCreateFromIdToken): the OAuth client ids whose ID tokens are accepted (the
# token's `aud`), comma-separated: one per app (web, iOS, Android). No client id: that provider is off.
GOOGLE_CLIENT_IDS = env_list("GOOGLE_CLIENT_IDS")
APPLE_CLIENT_IDS = env_list("APPLE_CLIENT_IDS")  # the Services ID (web) and the apps' bundle ids
# Where each provider publishes its signing keys; only these addresses are ever fetched (tests point them at a
# local server). Keys are cached for ID_TOKEN_JWKS_LIFESPAN; a token signed by a key not in the cache (the provider
# rotated its keys) fetches the set again, at most once per ID_TOKEN_JWKS_REFRESH_COOLDOWN, so tokens with made-up
# key ids cannot make us hammer the provider.
GOOGLE_JWKS_URL = os.environ.get("GOOGLE_JWKS_URL", "https://www.googleapis.com/oauth2/v3/certs")
APPLE_JWKS_URL = os.environ.get("APPLE_JWKS_URL", "https://appleid.apple.com/auth/keys")
ID_TOKEN_JWKS_LIFESPAN = timedelta(seconds=env_int("ID_TOKEN_JWKS_LIFESPAN_SECONDS", 3600))
ID_TOKEN_JWKS_REFRESH_COOLDOWN = timedelta(seconds=env_int("ID_TOKEN_JWKS_REFRESH_COOLDOWN_SECONDS", 30))
ID_TOKEN_HTTP_TIMEOUT = timedelta(seconds=env_int("ID_TOKEN_HTTP_TIMEOUT_SECONDS", 5))  # also Apple's token calls
ID_TOKEN_LEEWAY = timedelta(seconds=env_int("ID_TOKEN_LEEWAY_SECONDS", 30))  # clock skew allowed on exp and iat
# An ID token proves a fresh sign-in (accountDelete, twoFactorSetup...) only this long after it was issued.
ID_TOKEN_PROOF_MAX_AGE = timedelta(seconds=env_int("ID_TOKEN_PROOF_MAX_AGE_SECONDS", 10 * 60))
# Apple's client secret (a Sign in with Apple key from the developer account: its id, the team id, and the .p8
# key's PEM text). With all three, an Apple sign-in that sends its authorization code keeps Apple's refresh token,
# and deleting the account revokes it, as the App Store requires; without them nothing is revoked.
APPLE_TEAM_ID = os.environ.get("APPLE_TEAM_ID", "")
APPLE_KEY_ID = os.environ.get("APPLE_KEY_ID", "")
APPLE_PRIVATE_KEY = os.environ.get("APPLE_PRIVATE_KEY", "").replace("\\n", "\n")
APPLE_REDIRECT_URI = os.environ.get("APPLE_REDIRECT_URI", "")  # the web flow's redirect URI, where it has one
APPLE_API_BASE = os.environ.get("APPLE_API_BASE", "https://appleid.apple.com")  # /auth/token and /auth/revoke
_APPLE_SECRET = {"APPLE_TEAM_ID": APPLE_TEAM_ID, "APPLE_KEY_ID": APPLE_KEY_ID, "APPLE_PRIVATE_KEY": APPLE_PRIVATE_KEY}
if not DEBUG and any(_APPLE_SECRET.values()) and not all(_APPLE_SECRET.values()):
    raise ImproperlyConfigured("Apple's client secret needs " + ", ".join(k for k, v in _APPLE_SECRET.items() if not v))
MAX_ADDRESSES_PER_USER = env_int("MAX_ADDRESSES_PER_USER", 50)
WISHLIST_MAX_ITEMS = env_int("WISHLIST_MAX_ITEMS", 100)  # products a customer keeps for later (me.wishlist)
# The widest salesReport window: a longer one could outlast the web statement_timeout on a big shop.
SALES_REPORT_MAX_DAYS = env_int("SALES_REPORT_MAX_DAYS", 366)

# --- Cart, checkout and orders
CART_LINE_MAX_QUANTITY = env_int("CART_LINE_MAX_QUANTITY", 999)
CART_MAX_LINES = env_int("CART_MAX_LINES", 100)
ABANDONED_CART_LIFETIME = timedelta(days=env_int("ABANDONED_CART_DAYS", 30))
ORDER_UNPAID_LIFETIME = timedelta(seconds=env_int("ORDER_UNPAID_LIFETIME_SECONDS", 30 * 60))
# How long a retry waits for the answer of a first request that is still running, before IDEMPOTENCY_IN_PROGRESS.
IDEMPOTENCY_WAIT = timedelta(seconds=env_int("IDEMPOTENCY_WAIT_SECONDS", 15))
# A claimed Idempotency-Key whose request never finished (its process or database died) is given up this long after
# the claim; until then a retry is answered IDEMPOTENCY_IN_PROGRESS.
IDEMPOTENCY_ABANDONED_AFTER = timedelta(seconds=env_int("IDEMPOTENCY_ABANDONED_AFTER_SECONDS", 120))
IDEMPOTENCY_KEY_LIFETIME = timedelta(seconds=env_int("IDEMPOTENCY_KEY_LIFETIME_SECONDS", 24 * 3600))
LOW_STOCK_THRESHOLD = env_int("LOW_STOCK_THRESHOLD", 5)
# Outbound webhooks (commerce/webhooks, docs/webhooks.md). Private, loopback, link-local and metadata addresses
# and plain http are refused unless allowed (a local receiver in development and tests).
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", False)
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env_int("WEBHOOK_CONNECT_TIMEOUT_SECONDS", 5)
WEBHOOK_READ_TIMEOUT_SECONDS = env_int("WEBHOOK_READ_TIMEOUT_SECONDS", 10)
WEBHOOK_TOTAL_TIMEOUT_SECONDS = env_int("WEBHOOK_TOTAL_TIMEOUT_SECONDS", 15)
WEBHOOK_RESPONSE_MAX_BYTES = env_int("WEBHOOK_RESPONSE_MAX_BYTES", 16 * 1024)
WEBHOOK_RETRY_FOR_SECONDS = env_int("WEBHOOK_RETRY_FOR_SECONDS", 24 * 3600)
WEBHOOK_RETRY_FIRST_DELAY_SECONDS = env_int("WEBHOOK_RETRY_FIRST_DELAY_SECONDS", 10)
WEBHOOK_RETRY_MAX_DELAY_SECONDS = env_int("WEBHOOK_RETRY_MAX_DELAY_SECONDS", 3600)
WEBHOOK_DISABLE_AFTER_SECONDS = env_int("WEBHOOK_DISABLE_AFTER_SECONDS", 24 * 3600)
WEBHOOK_SECRET_OVERLAP_SECONDS = env_int("WEBHOOK_SECRET_OVERLAP_SECONDS", 24 * 3600)
WEBHOOK_REDELIVER_MAX_PER_MINUTE = env_int("WEBHOOK_REDELIVER_MAX_PER_MINUTE", 30)  # per staff member
# Tax rates by country, tax-exclusive prices: "DE:0.19,FR:0.20"; a country not listed pays none.
TAX_RATES = {code.strip().upper(): rate.strip() for code, _, rate in
             (item.partition(":") for item in env_list("TAX_RATES", "DE:0.19,FR:0.20,NL:0.21,PL:0.23,GB:0.20"))}

# --- Email: SMTP when EMAIL_HOST is set, else the console (embedded mode); tests use Django's locmem outbox.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "shop@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))

# --- Background jobs (Dramatiq). With REDIS_URL: the Redis broker, consumed by `manage.py rundramatiq`.
# Without: an in-memory broker consumed by a worker inside the server process (tasks/embedded.py).
_JOB_MIDDLEWARE = [
    "project.observability.jobs.JobMetrics",  # first: its after-hooks run last, once Retries has decided
    "dramatiq.middleware.AgeLimit",
    "dramatiq.middleware.TimeLimit",
    "dramatiq.middleware.ShutdownNotifications",
    "dramatiq.middleware.Callbacks",
    "dramatiq.middleware.Pipelines",
    "dramatiq.middleware.Retries",
    "django_dramatiq.middleware.DbConnectionsMiddleware",
    "tasks.heartbeat.Heartbeat",  # the worker container's healthcheck (`manage.py probe worker`)
]
if REDIS_URL:
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.redis.RedisBroker",
        "OPTIONS": {"url": REDIS_URL, "namespace": f"{REDIS_KEY_PREFIX}:dramatiq"},
        "MIDDLEWARE": _JOB_MIDDLEWARE,
    }
else:
    DRAMATIQ_BROKER = {"BROKER": "dramatiq.brokers.stub.StubBroker", "OPTIONS": {}, "MIDDLEWARE": _JOB_MIDDLEWARE}
JOBS_EMBEDDED = not REDIS_URL
JOBS_EMBEDDED_THREADS = env_int("JOBS_EMBEDDED_THREADS", 2)
# One scheduler at a time holds this Redis lock; in embedded mode the server process runs the schedule itself.
DRAMATIQ_CRONTAB = {"REDIS_URL": REDIS_URL or None}

LANGUAGE_CODE = "en-us"
# The languages pages for customers (the order-tracking page) may speak, picked from Accept-Language; their
# catalogs are the apps' locale/ folders (commerce/orders/locale), compiled .mo files kept beside the .po sources.
LANGUAGES = [("en", "English"), ("fr", "Français")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Files. The server serves both itself (project/files.py): static files collected by `collectstatic` (hashed
# names, gzip copies), and uploaded media from MEDIA_ROOT unless SERVE_MEDIA is off (a bucket or the proxy does).
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# MEDIA_URL may be absolute (a CDN or the proxy's address, "https://cdn.example.com/media/"); relative, image URLs
# are made absolute from the request that asks for them.
MEDIA_URL = os.environ.get("MEDIA_URL", "media/")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "var" / "media")
# Media in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2...) when MEDIA_BUCKET names one, through
# django-storages; then the bucket (or a CDN before it, MEDIA_BUCKET_DOMAIN) serves them and this server does not.
# Credentials are never settings here: boto3 reads AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the environment, or
# the machine's role. Objects are written with the bucket's own ACL and served by plain (unsigned) URLs, so the bucket
# or its CDN must let anyone read them.
MEDIA_BUCKET = os.environ.get("MEDIA_BUCKET", "")
SERVE_MEDIA = env_bool("SERVE_MEDIA", not MEDIA_BUCKET)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "project.files.StaticFilesStorage"},
}
if MEDIA_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_BUCKET,
            "endpoint_url": os.environ.get("MEDIA_BUCKET_ENDPOINT_URL") or None,  # empty: AWS itself
            "region_name": os.environ.get("MEDIA_BUCKET_REGION") or None,
            "custom_domain": os.environ.get("MEDIA_BUCKET_DOMAIN") or None,  # "cdn.example.com": URLs on it
            "location": os.environ.get("MEDIA_BUCKET_PREFIX", ""),  # a folder of the bucket, if shared
            "querystring_auth": False,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},  # names are never reused
        },
    }
# --- Exports from the admin (commerce/exports): up to EXPORT_INLINE_MAX_ROWS rows the file answers the request; above,
# a job writes it to the default storage under EXPORTS_PREFIX (never served as media: project/files.py; with a
# bucket, deny public reads of that prefix) and emails the staff member a signed link that works for
# EXPORT_LINK_LIFETIME, in their admin session only.
EXPORT_INLINE_MAX_ROWS = env_int("EXPORT_INLINE_MAX_ROWS", 5000)
EXPORT_LINK_LIFETIME = timedelta(seconds=env_int("EXPORT_LINK_LIFETIME_SECONDS", 24 * 3600))
EXPORTS_PREFIX = os.environ.get("EXPORTS_PREFIX", "private/exports/")
# Large exports one staff member may ask for in an hour (each holds a worker for a while). Files are deleted a day
# after their links expire (tasks.exports.purge_expired_exports, nightly).
EXPORT_LARGE_MAX_PER_HOUR = env_int("EXPORT_LARGE_MAX_PER_HOUR", 10)
# What an upload may be (commerce/catalog/media.py): its width times height, read from its header before a pixel is
# decoded (a small file can claim 20,000 x 20,000 and take gigabytes to decode), and how many images a product has.
MEDIA_MAX_PIXELS = env_int("MEDIA_MAX_PIXELS", 40_000_000)
MEDIA_MAX_IMAGES_PER_PRODUCT = env_int("MEDIA_MAX_IMAGES_PER_PRODUCT", 20)

# Logs: one JSON object a line (time, level, logger, message, request_id, trace_id, exception) unless LOG_FORMAT is
# "text"; JSON is the default with DEBUG off (project/logs.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "project.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler",
                             **({"formatter": "json"} if LOG_FORMAT == "json" else {})}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Refused documents are logged one short line each (graph.transport.masking.log_rejected), at INFO.
    # A masked error that was PostgreSQL's statement_timeout says so in its log line (graph.transport.timeouts).
    "filters": {"statement_timeout": {"()": "graph.transport.timeouts.StatementTimeoutFilter"},
                "paths": {"()": "project.logs.PathFilter"}},
    "loggers": {"graph.transport.masking": {"filters": ["statement_timeout"]},
                # Paths without query strings and with tokens masked (project/logs.py; daphne's log: project/serve.py).
                "django.request": {"filters": ["paths"]}, "django.channels.server": {"filters": ["paths"]}},
}

# --- Observability (project/observability). `/metrics` (Prometheus) answers a bearer METRICS_TOKEN or a caller in
# METRICS_ALLOWED_IPS (addresses or networks); with neither it is a 404. DEBUG allows loopback by default. Set
# PROMETHEUS_MULTIPROC_DIR (an empty directory, the same for every web and worker process) when there is more than
# one process. Operation names become metric labels only when registered: the persisted-query manifest's, and these.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "127.0.0.1,::1" if DEBUG else "")
METRICS_OPERATION_NAMES = env_list("METRICS_OPERATION_NAMES")
# Tracing: OpenTelemetry over OTLP/HTTP when its endpoint is set (the exporter reads the other OTEL_* variables).
OTEL_EXPORTER_OTLP_ENDPOINT = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
OTEL_SERVICE_NAME = os.environ.get("OTEL_SERVICE_NAME", "commerce")
# Errors: Sentry when its DSN is set; its own performance tracing only if this rate is above 0.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "")
SENTRY_RELEASE = os.environ.get("SENTRY_RELEASE", "")
SENTRY_TRACES_SAMPLE_RATE = float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE") or 0)

# --- The shop
SHOP_NAME = os.environ.get("SHOP_NAME", "Demo Shop")
SHOP_CURRENCY = os.environ.get("SHOP_CURRENCY", "USD")
SHOP_COUNTRIES = env_list("SHOP_COUNTRIES", "US,CA,GB,DE,FR,NL,PL")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY") or None

# --- Two-factor sign-in (commerce/accounts/twofactor.py): TOTP (RFC 6238), 30-second steps, a code of the step
# before or after accepted, each code once; plus recovery codes. Any account may turn it on; with
# STAFF_TWO_FACTOR_REQUIRED every staff account must: one without it cannot sign in to the API (OTP_REQUIRED,
# saying to set it up) and the admin shows it only the set-up page until it has.
STAFF_TWO_FACTOR_REQUIRED = env_bool("STAFF_TWO_FACTOR_REQUIRED", False)
TWO_FACTOR_MAX_FAILURES = env_int("TWO_FACTOR_MAX_FAILURES", 5)  # codes tried per account and window
TWO_FACTOR_MAX_FAILURES_PER_IP = env_int("TWO_FACTOR_MAX_FAILURES_PER_IP", 20)  # wrong codes per address and window
TWO_FACTOR_FAILURE_WINDOW = timedelta(seconds=env_int("TWO_FACTOR_FAILURE_WINDOW_SECONDS", 15 * 60))
TWO_FACTOR_RECOVERY_CODES = env_int("TWO_FACTOR_RECOVERY_CODES", 10)  # shown once when two-factor is turned on
OTP_TOTP_ISSUER = os.environ.get("TWO_FACTOR_ISSUER") or SHOP_NAME  # the account's name in authenticator apps
OTP_TOTP_SYNC = False  # django-otp would let a drifting clock move the window; it stays one step either side
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a device's secret or QR code, even to superusers
# --- Payments (commerce.payments.gateways): a gateway is on when all its settings are set. PAYMENT_GATEWAYS
# orders them (comma-separated ids; the first is the default), else every configured one in the registry's order.
PAYMENT_GATEWAYS = os.environ.get("PAYMENT_GATEWAYS", "")
PAYMENTS_DEMO = env_bool("PAYMENTS_DEMO", False)  # the demo gateway (paid at once) even with DEBUG off: demos only
PAYMENT_EVENT_SWEEP_AGE_SECONDS = env_int("PAYMENT_EVENT_SWEEP_AGE_SECONDS", 60)  # then the sweeper applies a stuck event
PAYMENT_POLL_ATTEMPTS = env_int("PAYMENT_POLL_ATTEMPTS", 12)  # a polled payment (MTN MoMo) is read this many times
PAYMENT_POLL_FIRST_DELAY_SECONDS = env_int("PAYMENT_POLL_FIRST_DELAY_SECONDS", 5)  # then doubling, to 10 minutes
MANUAL_PAYMENTS_ENABLED = env_bool("MANUAL_PAYMENTS_ENABLED", False)  # cash on delivery, bank transfer
MANUAL_PAYMENT_EXPIRY_HOURS = env_int("MANUAL_PAYMENT_EXPIRY_HOURS", 0)  # an unpaid manual order expires; 0: never
# Stripe
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")  # another address for Stripe's API (tests, stripe-mock)
STRIPE_TIMEOUT = timedelta(seconds=env_int("STRIPE_TIMEOUT_SECONDS", 5))
# Paystack (test and live keys share one address: sk_test_... is the sandbox)
PAYSTACK_SECRET_KEY = os.environ.get("PAYSTACK_SECRET_KEY", "")  # also signs its webhooks (HMAC-SHA512)
PAYSTACK_PUBLIC_KEY = os.environ.get("PAYSTACK_PUBLIC_KEY", "")  # pk_..., shown to storefronts for Paystack Popup
PAYSTACK_API_BASE = os.environ.get("PAYSTACK_API_BASE", "https://api.paystack.co")
PAYSTACK_TIMEOUT = timedelta(seconds=env_int("PAYSTACK_TIMEOUT_SECONDS", 5))
# Flutterwave (v3 standard: one API host; test keys, FLWSECK_TEST-..., make test payments)
FLUTTERWAVE_SECRET_KEY = os.environ.get("FLUTTERWAVE_SECRET_KEY", "")
FLUTTERWAVE_PUBLIC_KEY = os.environ.get("FLUTTERWAVE_PUBLIC_KEY", "")
FLUTTERWAVE_SECRET_HASH = os.environ.get("FLUTTERWAVE_SECRET_HASH", "")  # the webhook's verif-hash, as set at Flutterwave
FLUTTERWAVE_API_BASE = os.environ.get("FLUTTERWAVE_API_BASE", "https://api.flutterwave.com")
FLUTTERWAVE_TIMEOUT = timedelta(seconds=env_int("FLUTTERWAVE_TIMEOUT_SECONDS", 10))
FLUTTERWAVE_REDIRECT_URL = os.environ.get("FLUTTERWAVE_REDIRECT_URL", "")  # the storefront's return page
FLUTTERWAVE_PAYMENT_OPTIONS = os.environ.get(
    "FLUTTERWAVE_PAYMENT_OPTIONS", "card,mobilemoneyghana,mobilemoneyuganda,mobilemoneyrwanda,mobilemoneyzambia,"
    "mobilemoneyfranco,mpesa,ussd,banktransfer")
# Razorpay (one API address for test and live keys: rzp_test_... keys are the sandbox)
RAZORPAY_KEY_ID = os.environ.get("RAZORPAY_KEY_ID", "")
RAZORPAY_KEY_SECRET = os.environ.get("RAZORPAY_KEY_SECRET", "")
RAZORPAY_WEBHOOK_SECRET = os.environ.get("RAZORPAY_WEBHOOK_SECRET", "")
RAZORPAY_API_BASE = os.environ.get("RAZORPAY_API_BASE", "https://api.razorpay.com")
RAZORPAY_TIMEOUT = timedelta(seconds=env_int("RAZORPAY_TIMEOUT_SECONDS", 5))
# MTN MoMo: Collections (requesttopay, polled until final); refunds through Disbursements where its keys are set,
# else recorded for staff to pay out by hand. The sandbox (the default target) takes only EUR.
MTN_MOMO_SUBSCRIPTION_KEY = os.environ.get("MTN_MOMO_SUBSCRIPTION_KEY", "")  # the Collection product's key
MTN_MOMO_API_USER = os.environ.get("MTN_MOMO_API_USER", "")
MTN_MOMO_API_KEY = os.environ.get("MTN_MOMO_API_KEY", "")
MTN_MOMO_TARGET_ENVIRONMENT = os.environ.get("MTN_MOMO_TARGET_ENVIRONMENT", "sandbox")  # production: mtnuganda...
MTN_MOMO_CALLBACK_URL = os.environ.get("MTN_MOMO_CALLBACK_URL", "")  # https://<host>/webhooks/mtn-momo/ (optional)
MTN_MOMO_API_BASE = os.environ.get("MTN_MOMO_API_BASE") or (
    "https://sandbox.momodeveloper.mtn.com" if MTN_MOMO_TARGET_ENVIRONMENT == "sandbox"
    else "https://proxy.momoapi.mtn.com")
MTN_MOMO_DISBURSEMENT_SUBSCRIPTION_KEY = os.environ.get("MTN_MOMO_DISBURSEMENT_SUBSCRIPTION_KEY", "")
MTN_MOMO_DISBURSEMENT_API_USER = os.environ.get("MTN_MOMO_DISBURSEMENT_API_USER", "")
MTN_MOMO_DISBURSEMENT_API_KEY = os.environ.get("MTN_MOMO_DISBURSEMENT_API_KEY", "")
MTN_MOMO_TIMEOUT = timedelta(seconds=env_int("MTN_MOMO_TIMEOUT_SECONDS", 10))
# PayPal (the three keys turn it on); the sandbox unless PAYPAL_API_BASE says https://api-m.paypal.com
PAYPAL_CLIENT_ID = os.environ.get("PAYPAL_CLIENT_ID", "")
PAYPAL_CLIENT_SECRET = os.environ.get("PAYPAL_CLIENT_SECRET", "")
PAYPAL_WEBHOOK_ID = os.environ.get("PAYPAL_WEBHOOK_ID", "")  # the id PayPal gave the /webhooks/paypal/ endpoint
PAYPAL_API_BASE = os.environ.get("PAYPAL_API_BASE", "https://api-m.sandbox.paypal.com")
PAYPAL_TIMEOUT = timedelta(seconds=env_int("PAYPAL_TIMEOUT_SECONDS", 10))
REFUND_RESTOCKS = env_bool("REFUND_RESTOCKS", True)  # a full refund of an unshipped order puts its stock back
# Returns (docs/shipments-and-returns.md): units may be returned this many days after their shipment's delivery
# (or its shipping, where no delivery is recorded). Shipping is refunded "never", or "all_returned": with the
# return that brings the order's last unit back. returnRequest is throttled per IP address (a guest's order token
# is the only key to it): past RETURN_REQUESTS_PER_IP in RETURN_REQUEST_WINDOW, THROTTLED.
RETURN_WINDOW_DAYS = env_int("RETURN_WINDOW_DAYS", 30)
RETURN_REFUNDS_SHIPPING = os.environ.get("RETURN_REFUNDS_SHIPPING", "never")
if RETURN_REFUNDS_SHIPPING not in {"never", "all_returned"}:
    raise ImproperlyConfigured('RETURN_REFUNDS_SHIPPING must be "never" or "all_returned".')
RETURN_REQUESTS_PER_IP = env_int("RETURN_REQUESTS_PER_IP", 10)
RETURN_REQUEST_WINDOW = timedelta(seconds=env_int("RETURN_REQUEST_WINDOW_SECONDS", 3600))
# A shipping integration posts carriers' status changes to POST /webhooks/shipments/, signed with this secret
# (commerce/signing.py; two, comma-separated, while rotating). Unset: the endpoint answers 404.
SHIPMENT_WEBHOOK_SECRET = env_list("SHIPMENT_WEBHOOK_SECRET")
# --- Invoices and credit notes (commerce/invoices). Numbers run gap-free per kind and calendar year (TIME_ZONE's):
# INV-2026-000001. The seller block is printed on every document as set here (one line of the address per comma
# of INVOICE_SELLER_ADDRESS). PDFs are written to the default storage under INVOICES_PREFIX (never served as media:
# project/files.py; with a bucket, deny public reads of that prefix) and fetched through a signed link that works for
# INVOICE_LINK_LIFETIME. INVOICE_FONT is a TrueType font covering the shop's currency signs (DejaVu Sans covers
# ₦ ₵ ₹ € and more: Debian's fonts-dejavu-core).
INVOICE_NUMBER_PREFIX = os.environ.get("INVOICE_NUMBER_PREFIX", "INV-")
CREDIT_NOTE_NUMBER_PREFIX = os.environ.get("CREDIT_NOTE_NUMBER_PREFIX", "CN-")
INVOICE_SELLER_NAME = os.environ.get("INVOICE_SELLER_NAME") or SHOP_NAME
INVOICE_SELLER_ADDRESS = os.environ.get("INVOICE_SELLER_ADDRESS", "")
INVOICE_SELLER_TAX_ID = os.environ.get("INVOICE_SELLER_TAX_ID", "")
INVOICE_SELLER_EMAIL = os.environ.get("INVOICE_SELLER_EMAIL", "")
INVOICES_PREFIX = os.environ.get("INVOICES_PREFIX", "private/invoices/")
INVOICE_LINK_LIFETIME = timedelta(seconds=env_int("INVOICE_LINK_LIFETIME_SECONDS", 3600))
INVOICE_FONT = os.environ.get("INVOICE_FONT", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
INVOICE_FONT_BOLD = os.environ.get("INVOICE_FONT_BOLD", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

# --- GraphQL
GRAPHQL_DEFAULT_PAGE_SIZE = env_int("GRAPHQL_DEFAULT_PAGE_SIZE", 20)
GRAPHQL_MAX_PAGE_SIZE = env_int("GRAPHQL_MAX_PAGE_SIZE", 100)
GRAPHIQL_ENABLED = env_bool("GRAPHIQL_ENABLED", DEBUG)
# Introspection: clients generate their code from schema.graphql, so production needs none.
GRAPHQL_INTROSPECTION = env_bool("GRAPHQL_INTROSPECTION", DEBUG)
# Validation messages that would name a schema type the document does not (graph/transport/masking.py), said
# without it, so that a schema whose introspection is off cannot be recovered from them.
GRAPHQL_GENERIC_VALIDATION_MESSAGES = env_bool("GRAPHQL_GENERIC_VALIDATION_MESSAGES", not DEBUG)
# Caps on a document, checked before it is validated (graph/transport/limits.py). The bytes first: 2,000 tokens printed
# as Apollo prints them come to about 22 KB (11 bytes a token), so 32 KB admits any document the token cap does.
GRAPHQL_MAX_DOCUMENT_BYTES = env_int("GRAPHQL_MAX_DOCUMENT_BYTES", 32 * 1024)
GRAPHQL_MAX_TOKENS = env_int("GRAPHQL_MAX_TOKENS", 2000)
GRAPHQL_MAX_DEPTH = env_int("GRAPHQL_MAX_DEPTH", 12)
# Under __schema/__type, from the root: the standard introspection query (graphql-js's, as codegen sends it) is
# 15 deep with every option on.
GRAPHQL_MAX_INTROSPECTION_DEPTH = env_int("GRAPHQL_MAX_INTROSPECTION_DEPTH", 15)
GRAPHQL_MAX_ALIASES = env_int("GRAPHQL_MAX_ALIASES", 15)
GRAPHQL_MAX_FIELDS = env_int("GRAPHQL_MAX_FIELDS", 300)  # duplicates included
GRAPHQL_MAX_DIRECTIVES = env_int("GRAPHQL_MAX_DIRECTIVES", 4)  # on one field or fragment
GRAPHQL_MAX_INPUT_LIST_LENGTH = env_int("GRAPHQL_MAX_INPUT_LIST_LENGTH", 100)
GRAPHQL_MAX_STRING_LENGTH = env_int("GRAPHQL_MAX_STRING_LENGTH", 10_000)
GRAPHQL_MAX_BATCH = env_int("GRAPHQL_MAX_BATCH", 1)  # operations in one request; 1: no batching
# Calculated cost (graph/transport/cost.py) and each client's leaky bucket of points (graph/transport/buckets.py); a bucket of 0
# turns throttling off.
GRAPHQL_MAX_COST = env_int("GRAPHQL_MAX_COST", 1000)
GRAPHQL_THROTTLE_MAXIMUM = env_int("GRAPHQL_THROTTLE_MAXIMUM", 1000)
GRAPHQL_THROTTLE_RESTORE_RATE = env_int("GRAPHQL_THROTTLE_RESTORE_RATE", 50)  # points a second
# Sign-in and password-reset mutations per client (IP), on top of the per-account counters.
AUTH_THROTTLE_MAXIMUM = env_int("AUTH_THROTTLE_MAXIMUM", 10)
AUTH_THROTTLE_PER_MINUTE = env_int("AUTH_THROTTLE_PER_MINUTE", 5)
# Persisted queries (graph/transport/persisted.py): Apollo's APQ in the cache; a manifest of registered documents;
# with GRAPHQL_PERSISTED_QUERIES_ONLY only the manifest's documents run.
GRAPHQL_APQ_ENABLED = env_bool("GRAPHQL_APQ_ENABLED", True)
GRAPHQL_APQ_TTL = timedelta(seconds=env_int("GRAPHQL_APQ_TTL_SECONDS", 7 * 24 * 3600))
GRAPHQL_PERSISTED_QUERIES_MANIFEST = os.environ.get("GRAPHQL_PERSISTED_QUERIES_MANIFEST", "")
GRAPHQL_PERSISTED_QUERIES_ONLY = env_bool("GRAPHQL_PERSISTED_QUERIES_ONLY", False)
if GRAPHQL_PERSISTED_QUERIES_ONLY and not GRAPHQL_PERSISTED_QUERIES_MANIFEST:
    raise ImproperlyConfigured("GRAPHQL_PERSISTED_QUERIES_ONLY needs GRAPHQL_PERSISTED_QUERIES_MANIFEST.")
# Anonymous catalog queries over GET are `Cache-Control: public` for this long (0: never, the default). Opt in
# only behind a CDN that may serve an answer this many seconds stale: the server's own cache (below) never is.
GRAPHQL_PUBLIC_MAX_AGE = env_int("GRAPHQL_PUBLIC_MAX_AGE_SECONDS", 0)
# The shared response cache of anonymous public queries (graph/transport/response_cache.py), in CACHES (Redis,
# shared by every process, when REDIS_URL is set): on unless turned off; an entry lives at most this long, an
# answer larger than this is not stored, and a request waits this long for the same query running in its process.
RESPONSE_CACHE_ENABLED = env_bool("RESPONSE_CACHE_ENABLED", True)
RESPONSE_CACHE_TTL_SECONDS = env_int("RESPONSE_CACHE_TTL_SECONDS", 300)
RESPONSE_CACHE_MAX_ENTRY_BYTES = env_int("RESPONSE_CACHE_MAX_ENTRY_BYTES", 512 * 1024)
RESPONSE_CACHE_WAIT_SECONDS = env_int("RESPONSE_CACHE_WAIT_SECONDS", 5)
# Websockets on /graphql/: graphql-transport-ws; the legacy graphql-ws protocol only when turned on.
GRAPHQL_WS_LEGACY_PROTOCOL = env_bool("GRAPHQL_WS_LEGACY_PROTOCOL", False)
GRAPHQL_WS_MAX_SUBSCRIPTIONS = env_int("GRAPHQL_WS_MAX_SUBSCRIPTIONS", 10)  # per connection
GC_THRESHOLD = env_int("GC_THRESHOLD", 50_000)  # allocations between the server's young collections (project/asgi.py)
GRAPHQL_WS_INIT_TIMEOUT = timedelta(seconds=env_int("GRAPHQL_WS_INIT_TIMEOUT_SECONDS", 10))
# A socket closes (4403) as soon as its sign-in ends (graph/transport/sign_ins.py); this often each process also asks
# the database which of its sockets' sign-ins still stand, for an ending no message told it of.
GRAPHQL_WS_SIGN_IN_CHECK_SECONDS = env_int("GRAPHQL_WS_SIGN_IN_CHECK_SECONDS", 60)
# Sockets one client may hold (graph/transport/socket_caps.py; counted in Redis across processes with REDIS_URL):
# per address (a handshake over it is refused), per signed-in user (closed at connection_init with 1013); and
# how fast an address may open them (a bucket of BURST points refilled at this rate). 0 turns a cap off.
# Addresses in GRAPHQL_WS_UNCAPPED_NETWORKS (CIDRs) are exempt from all of them.
GRAPHQL_WS_MAX_SOCKETS_PER_IP = env_int("GRAPHQL_WS_MAX_SOCKETS_PER_IP", 100)
GRAPHQL_WS_MAX_SOCKETS_PER_USER = env_int("GRAPHQL_WS_MAX_SOCKETS_PER_USER", 20)
GRAPHQL_WS_CONNECT_BURST = env_int("GRAPHQL_WS_CONNECT_BURST", 60)
GRAPHQL_WS_CONNECTS_PER_SECOND = env_int("GRAPHQL_WS_CONNECTS_PER_SECOND", 2)
GRAPHQL_WS_UNCAPPED_NETWORKS = env_list("GRAPHQL_WS_UNCAPPED_NETWORKS")
try:
    [ipaddress.ip_network(network, strict=False) for network in GRAPHQL_WS_UNCAPPED_NETWORKS]
except ValueError as bad:
    raise ImproperlyConfigured(f"GRAPHQL_WS_UNCAPPED_NETWORKS: {bad}") from None
STRAWBERRY_DJANGO = {"MUTATIONS_DEFAULT_HANDLE_ERRORS": False}
