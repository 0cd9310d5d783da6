"""Settings shared by every mode. Values come from config.env; topics live in config/settings/."""

import dj_database_url

from backend.config import env
from backend.config.settings.celery import *  # noqa: F403 -- topic modules define settings
from backend.config.settings.logging import *  # noqa: F403
from backend.config.settings.rest_framework import *  # noqa: F403
from backend.config.settings.storage import *  # noqa: F403

BASE_DIR = env.BACKEND_DIR
SECRET_KEY = env.SECRET_KEY
DEBUG = env.DEBUG
ALLOWED_HOSTS = env.ALLOWED_HOSTS
CSRF_TRUSTED_ORIGINS = env.CSRF_TRUSTED_ORIGINS

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "backend.common",
    "backend.accounts",
    "backend.projects",
    "backend.videos",
    "backend.masklets",
    "backend.events",
    "backend.jobs",
    "backend.exports",
    "backend.reviews",
    "backend.quality",
    "backend.automask",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "backend.api.middleware.PathIdBoundsMiddleware",
]

ROOT_URLCONF = "backend.config.urls"
ASGI_APPLICATION = "backend.config.asgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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

# No persistent connections: under ASGI each request runs in a thread of its own, and a
# connection kept per thread outlives the thread (Django does not support CONN_MAX_AGE > 0
# under ASGI). On PostgreSQL a bounded pool per process hands connections out instead.
DATABASES = {"default": dj_database_url.parse(env.DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Keeps the options given in DATABASE_URL (e.g. ?sslmode=require).
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.DB_POOL_MIN_SIZE,
        "max_size": env.DB_POOL_MAX_SIZE,
        "timeout": env.DB_POOL_TIMEOUT_S,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker processes share one SQLite file: WAL lets readers run during a write,
    # IMMEDIATE transactions take the write lock up front instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# Password checks count failures and lock out (backend/accounts/throttling.py).
AUTHENTICATION_BACKENDS = ["backend.accounts.backends.ThrottledModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.STATIC_ROOT
# The built single-page app (frontend/dist) is served at / by WhiteNoise; index.html comes
# from backend.common.views.spa_index so that client-side routes work on reload.
FRONTEND_DIST = env.REPO_DIR / "frontend" / "dist"
WHITENOISE_ROOT = FRONTEND_DIST if FRONTEND_DIST.is_dir() else None

# Live events: Redis pub/sub only wakes websocket consumers; they read the Event table.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [env.REDIS_URL]},
    }
}

REDIS_URL = env.REDIS_URL
MAX_UPLOAD_BYTES = env.MAX_UPLOAD_BYTES
VIDEO_IMPORT_DIRS = env.VIDEO_IMPORT_DIRS
FRAME_JPEG_QUALITY = env.FRAME_JPEG_QUALITY
FRAMES_ACCEL_REDIRECT = env.FRAMES_ACCEL_REDIRECT
# Request bodies are read by backend.api.request_body before Django: uploads (views with
# `upload_admit`) stream to UPLOAD_TEMP_DIR up to MAX_UPLOAD_BYTES; any other body is refused
# past DATA_UPLOAD_MAX_MEMORY_SIZE and spills to disk past FILE_UPLOAD_MAX_MEMORY_SIZE.
UPLOAD_TEMP_DIR = env.UPLOAD_TEMP_DIR
DATA_UPLOAD_MAX_MEMORY_SIZE = env.REQUEST_BODY_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# Uploaded files always stream to a temporary file (never into memory), stopping at
# MAX_UPLOAD_BYTES.
FILE_UPLOAD_HANDLERS = ["backend.videos.uploads.LimitedTemporaryFileUploadHandler"]

SAM2_CONFIG = env.SAM2_CONFIG
SAM2_CHECKPOINT = env.SAM2_CHECKPOINT
SAM2_DEVICE = env.SAM2_DEVICE
SAM2_COMPILE = env.SAM2_COMPILE
SAM2_CPU_THREADS = env.SAM2_CPU_THREADS
WORKER_NICE = env.WORKER_NICE
SAM2_MAX_SESSIONS = env.SAM2_MAX_SESSIONS
# Local copies of SAM 2 states' files when the storage is not a local folder (S3).
SAM2_STATE_CACHE_DIR = env.VAR_DIR / "sam2-state-cache"
JOB_STALE_AFTER_S = env.JOB_STALE_AFTER_S
JOB_HEARTBEAT_EVERY_S = env.JOB_HEARTBEAT_EVERY_S
JOB_RECOVER_EVERY_S = env.JOB_RECOVER_EVERY_S
JOB_REQUEUE_AFTER_S = env.JOB_REQUEUE_AFTER_S
JOB_QUEUED_TIMEOUT_S = env.JOB_QUEUED_TIMEOUT_S
JOB_RETRY_BACKOFF_S = env.JOB_RETRY_BACKOFF_S
REVIEW_LEASE_SECONDS = env.REVIEW_LEASE_SECONDS
LOGIN_MAX_FAILURES_PER_ACCOUNT = env.LOGIN_MAX_FAILURES_PER_ACCOUNT
LOGIN_MAX_FAILURES_PER_ADDRESS = env.LOGIN_MAX_FAILURES_PER_ADDRESS
LOGIN_FAILURE_WINDOW_S = env.LOGIN_FAILURE_WINDOW_S
LOGIN_LOCKOUT_S = env.LOGIN_LOCKOUT_S
WEBSOCKET_RECHECK_S = env.WEBSOCKET_RECHECK_S
INVITE_VALID_HOURS = env.INVITE_VALID_HOURS
