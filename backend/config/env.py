"""The one place that reads environment variables. Every variable has the embedded default.

The README's configuration table lists these same names; keep the two in step.
"""

import os
import tempfile
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[2]
BACKEND_DIR = REPO_DIR / "backend"
# Local state of the embedded mode (SQLite file, media, broker data); ignored by git.
VAR_DIR = Path(os.environ.get("VAR_DIR", REPO_DIR / "var"))


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# Port the embedded broker listens on when `make run` starts it (see backend/run.py).
EMBEDDED_BROKER_PORT = env_int("EMBEDDED_BROKER_PORT", 6390)

SECRET_KEY = env_str("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
# PostgreSQL connection pool of each process (psycopg_pool; README "Database connections").
# A process holds at most DB_POOL_MAX_SIZE connections: a web process serves that many
# database-using requests at once (others wait up to DB_POOL_TIMEOUT_S, then get an error);
# a worker needs one per thread that touches the database (task, heartbeat, recovery, clicks).
DB_POOL_MIN_SIZE = env_int("DB_POOL_MIN_SIZE", 1)
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 10)
DB_POOL_TIMEOUT_S = env_int("DB_POOL_TIMEOUT_S", 10)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", f"redis://127.0.0.1:{EMBEDDED_BROKER_PORT}/0")
REDIS_URL = env_str("REDIS_URL", CELERY_BROKER_URL)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))

STORAGE_BACKEND = env_str("STORAGE_BACKEND", "local")  # local | s3
STORAGE_S3_BUCKET = env_str("STORAGE_S3_BUCKET", "")
STORAGE_S3_ENDPOINT_URL = env_str("STORAGE_S3_ENDPOINT_URL", "")
STORAGE_S3_ACCESS_KEY = env_str("STORAGE_S3_ACCESS_KEY", "")
STORAGE_S3_SECRET_KEY = env_str("STORAGE_S3_SECRET_KEY", "")
STORAGE_S3_REGION = env_str("STORAGE_S3_REGION", "")

# Largest accepted video upload (and import file); larger requests get 413 before anything
# is stored.
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 2 * 1024**3)
# Largest body of any other request (JSON); a bulk write of 1000 masks at 1080p is ~10 MB.
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 32 * 1024**2)
# Where the web process writes request bodies and uploaded files on their way to storage
# (one locked sub-folder per process; a start removes those of crashed processes).
UPLOAD_TEMP_DIR = Path(
    env_str("UPLOAD_TEMP_DIR", str(Path(tempfile.gettempdir()) / "sam2annotate-uploads"))
)
# Folders a manager may ingest server-side files from (comma separated). Empty: disabled.
VIDEO_IMPORT_DIRS = [Path(p) for p in env_list("VIDEO_IMPORT_DIRS", [])]
# JPEG quality of extracted frames: 90 keeps masks' edges readable at ~1/10 of PNG's size.
FRAME_JPEG_QUALITY = env_int("FRAME_JPEG_QUALITY", 90)
# When true, frame responses carry X-Accel-Redirect so nginx sends the bytes.
FRAMES_ACCEL_REDIRECT = env_bool("FRAMES_ACCEL_REDIRECT", False)

SAM2_CONFIG = env_str("SAM2_CONFIG", "tiny")
SAM2_CHECKPOINT = env_str("SAM2_CHECKPOINT", "")
SAM2_DEVICE = env_str("SAM2_DEVICE", "auto")
# torch.compile the image encoder of SAM 2 workers: its forward ~20% faster on CPU once
# compiled, after a minute or more of compiling (needs a C compiler on CPU).
SAM2_COMPILE = env_bool("SAM2_COMPILE", False)
# CPU threads a SAM 2 worker's torch uses (0: torch's default, one per core). On a machine
# whose cores the web and the database share, fewer leave them cores (README "Load test").
SAM2_CPU_THREADS = env_int("SAM2_CPU_THREADS", 0)
if SAM2_CPU_THREADS < 0:
    raise ValueError(f"SAM2_CPU_THREADS must be 0 (one per core) or more, not {SAM2_CPU_THREADS}")
# CPU priority (nice, 0-19) of every Celery worker process: background work, SAM 2 on the
# CPU included, yields the cores to web requests on a machine it shares with them (README
# "Load test"). 0 keeps the priority the worker was started with.
WORKER_NICE = env_int("WORKER_NICE", 10)
if not 0 <= WORKER_NICE <= 19:
    raise ValueError(f"WORKER_NICE must be between 0 and 19, not {WORKER_NICE}")
# Videos whose SAM 2 state a worker keeps in RAM at once (each: a few frames' features and a
# bounded window of outputs, ~100 MB with hiera-t); others wait in the shared storage and
# cost a snapshot load (not a replay) when they are needed again.
SAM2_MAX_SESSIONS = env_int("SAM2_MAX_SESSIONS", 8)

# Background jobs (README "Background jobs"). A running job whose process sent no heartbeat
# for JOB_STALE_AFTER_S is taken over (running processes beat every JOB_HEARTBEAT_EVERY_S).
JOB_STALE_AFTER_S = env_int("JOB_STALE_AFTER_S", 90)
JOB_HEARTBEAT_EVERY_S = env_int("JOB_HEARTBEAT_EVERY_S", 10)
# Every worker runs a recovery round this often (lost runs, missing wake-ups, events).
JOB_RECOVER_EVERY_S = env_int("JOB_RECOVER_EVERY_S", 10)
# A queued job whose wake-up is older than this gets another (a message lost with a worker
# killed while holding it); duplicates are harmless, a claimed job ignores them.
JOB_REQUEUE_AFTER_S = env_int("JOB_REQUEUE_AFTER_S", 300)
# A job no worker took for this long fails, naming its queue (nothing stays queued for ever).
JOB_QUEUED_TIMEOUT_S = env_int("JOB_QUEUED_TIMEOUT_S", 24 * 3600)
# A retry after a transient error waits this long times the attempts made.
JOB_RETRY_BACKOFF_S = env_int("JOB_RETRY_BACKOFF_S", 10)

# How long a reviewer holds a masklet from the review queue; the open review screen renews
# the lease (after a third of it), and an expired one goes back to the queue at the next
# claim. Short, so that a screen closed without a release (a crash, a release that failed)
# frees its masklet within two minutes.
REVIEW_LEASE_SECONDS = env_int("REVIEW_LEASE_SECONDS", 120)

# Login throttling: after this many failed logins for one username (or from one address)
# within LOGIN_FAILURE_WINDOW_S, further logins for it are refused (429) for LOGIN_LOCKOUT_S.
LOGIN_MAX_FAILURES_PER_ACCOUNT = env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)
LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 30)
LOGIN_FAILURE_WINDOW_S = env_int("LOGIN_FAILURE_WINDOW_S", 15 * 60)
LOGIN_LOCKOUT_S = env_int("LOGIN_LOCKOUT_S", 5 * 60)

# How often an open websocket reads the log without a wake-up (one lost while the broker
# restarted) and re-checks its user's session and membership (it also does at every wake-up,
# and closes at once when its user logs out); one indexed query per open websocket.
WEBSOCKET_RECHECK_S = env_int("WEBSOCKET_RECHECK_S", 15)
# How long a one-time invite link (a staff user makes it on the Users page) stays valid.
INVITE_VALID_HOURS = env_int("INVITE_VALID_HOURS", 72)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
