"""Content scoring tasks (routed to the `gpu` queue by CELERY_TASK_ROUTES)."""

from celery import shared_task
from celery.signals import celeryd_after_setup

from config.celery import TRANSIENT_ERRORS, refuse_start_unless

from .pipelines import pipelines_check
from .scoring import posts_score


@shared_task(bind=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def score_posts(self, post_ids):
    """Embed (what is missing or stale) and score one batch of posts; safe to rerun. The
    trend buckets the batch touches are refreshed next, on the default queue."""
    from emograph.monitoring.tasks import posts_scored

    report = posts_score(post_ids=post_ids).as_dict()
    posts_scored.delay(post_ids)
    return report


@celeryd_after_setup.connect
def _check_pipelines_at_start(sender, instance, **kwargs):
    """A worker that takes scoring tasks checks its encoder and head settings first."""
    refuse_start_unless(instance, pipelines_check)
