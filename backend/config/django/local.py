"""Embedded mode (`make run`): one machine, SQLite, a local media folder, the embedded broker."""

from backend.config import env
from backend.config.django.base import *  # noqa: F403

DEBUG = env.env_bool("DEBUG", True)
# A key for a local, loopback-only server; production refuses to start without its own.
SECRET_KEY = env.SECRET_KEY or "embedded-mode-key-not-for-production-use-0123456789abcdef"
