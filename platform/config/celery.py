"""The Celery app. Start a worker with `make worker` (see README.md)."""

import logging
import os

from celery import Celery
from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("emograph")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Errors worth a retry: the database or broker blipped. Anything else is a bug or bad data and
# must surface, not loop. Tasks pass this as `autoretry_for`.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


def refuse_start_unless(worker, check, *, queue="gpu"):
    """For `celeryd_after_setup` receivers: a worker consuming `queue` runs `check` before it
    takes any task, and stops if the settings it needs are wrong (once, here, instead of
    failing every task)."""
    if queue not in (worker.app.amqp.queues.consume_from or {}):
        return
    try:
        check()
    except ImproperlyConfigured as problem:
        logging.getLogger("emograph.worker").critical("worker not started: %s", problem)
        # Celery logs and swallows a receiver's Exception; SystemExit does stop the worker.
        raise SystemExit(f"worker not started: {problem}") from problem
