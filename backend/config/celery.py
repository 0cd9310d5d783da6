"""The Celery app. Workers start it through worker.app; the web process only sends tasks."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.django.local")

app = Celery("sam2annotate")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
