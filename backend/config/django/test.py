"""Test settings: real database (DATABASE_URL), eager Celery unless a test starts a worker."""

import os
import tempfile
from pathlib import Path

from backend.config import env
from backend.config.django.base import *  # noqa: F403

SECRET_KEY = "test-key-0123456789abcdef0123456789abcdef0123456789"  # noqa: S105 -- tests only
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; tests only
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# One media folder per test run, shared with the worker processes the end-to-end tests start.
os.environ.setdefault("TEST_MEDIA_ROOT", tempfile.mkdtemp(prefix="sam2-test-media-"))
MEDIA_ROOT = Path(os.environ["TEST_MEDIA_ROOT"])
STORAGES["default"]["OPTIONS"] = {"location": str(MEDIA_ROOT), "allow_overwrite": True}  # noqa: F405
os.environ.setdefault("TEST_UPLOAD_TEMP_DIR", tempfile.mkdtemp(prefix="sam2-test-uploads-"))
UPLOAD_TEMP_DIR = Path(os.environ["TEST_UPLOAD_TEMP_DIR"])
VIDEO_IMPORT_DIRS = [env.REPO_DIR / "tests" / "fixtures", env.REPO_DIR / "backend"]
# Static files without a manifest: tests do not run collectstatic.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory, so that a worker process in the end-to-end tests sees the same data.
    # Named per test run so that two runs on one machine never share (or delete) one file.
    DATABASES["default"]["TEST"] = {"NAME": str(env.VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}  # noqa: F405
    # A fresh clone has no var/ until `make run` made one.
    env.VAR_DIR.mkdir(parents=True, exist_ok=True)
if not os.environ.get("REDIS_URL") and not os.environ.get("CELERY_BROKER_URL"):
    # No Redis outside CI: live-event wake-ups stay in the test process.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# The micro SAM 2.1 model of the fixtures (random weights, real architecture): fast on CPU.
SAM2_CONFIG = str(env.REPO_DIR / "tests" / "fixtures" / "sam2ref" / "micro" / "config.json")
SAM2_CHECKPOINT = str(env.REPO_DIR / "tests" / "fixtures" / "sam2ref" / "micro" / "checkpoint.pt")
SAM2_DEVICE = "cpu"
