"""Content scoring tasks (routed to the `gpu` queue by CELERY_TASK_ROUTES)."""

import logging

from celery import shared_task
from celery.signals import celeryd_after_setup
from django.core.exceptions import ImproperlyConfigured

from config.celery import TRANSIENT_ERRORS

from .pipelines import pipelines_check
from .scoring import posts_score

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def score_posts(self, post_ids):
    """Embed (what is missing or stale) and score one batch of posts; safe to rerun."""
    return posts_score(post_ids=post_ids).as_dict()


@celeryd_after_setup.connect
def _check_pipelines_at_start(sender, instance, **kwargs):
    """A worker that takes scoring tasks checks its encoder and head settings before it
    consumes anything: a wrong path stops it here, once, instead of failing every task."""
    queues = instance.app.amqp.queues.consume_from or {}
    if "gpu" not in queues:
        return
    try:
        pipelines_check()
    except ImproperlyConfigured as problem:
        logger.critical("worker not started: %s", problem)
        # Celery logs and swallows a receiver's Exception; SystemExit does stop the worker.
        raise SystemExit(f"worker not started: {problem}") from problem
