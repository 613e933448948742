"""The Celery app. Start a worker with `make worker` (see README.md)."""

import os

from celery import Celery
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("emograph")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Errors worth a retry: the database or broker blipped. Anything else is a bug or bad data and
# must surface, not loop. Tasks pass this as `autoretry_for`.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
