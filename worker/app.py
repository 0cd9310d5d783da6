"""Celery worker entry point: `celery -A worker.app worker -Q default`.

It uses the project's one Celery app (backend.config.celery); Django is set up first so
that tasks can use the ORM.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.django.local")
django.setup()

from backend.config.celery import app  # noqa: E402 -- needs django.setup() first

__all__ = ["app"]
