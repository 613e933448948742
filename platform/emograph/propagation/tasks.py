"""Propagation tasks (routed to the `gpu` queue by CELERY_TASK_ROUTES)."""

import logging

from celery import shared_task
from celery.signals import celeryd_after_setup
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.celery import TRANSIENT_ERRORS

from .services import graph_model, propagation_run_create, propagation_run_execute, recent_window

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def propagate_emotions(run_id):
    """One window (and topic) of graph propagation; rerunning it rewrites the same rows."""
    return propagation_run_execute(run_id)


@shared_task
def propagate_recent():
    """Beat: propagate over the last EMOGRAPH_PROPAGATE_HOURS, all topics together."""
    start, end = recent_window(settings.EMOGRAPH_PROPAGATE_HOURS)
    return propagation_run_create(window_start=start, window_end=end).pk


@celeryd_after_setup.connect
def _check_graph_model_at_start(sender, instance, **kwargs):
    """A `gpu` worker loads the graph model before consuming anything (see emotions.tasks)."""
    queues = instance.app.amqp.queues.consume_from or {}
    if "gpu" not in queues:
        return
    try:
        graph_model()
    except ImproperlyConfigured as problem:
        logger.critical("worker not started: %s", problem)
        raise SystemExit(f"worker not started: {problem}") from problem
