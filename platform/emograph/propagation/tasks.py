"""Propagation tasks (routed to the `gpu` queue by CELERY_TASK_ROUTES)."""

from celery import shared_task
from celery.signals import celeryd_after_setup
from django.conf import settings

from config.celery import TRANSIENT_ERRORS, refuse_start_unless

from .models import PropagationRun
from .services import graph_model, propagation_run_create, propagation_run_execute, recent_window


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def propagate_emotions(run_id):
    """One window (and topic) of graph propagation; rerunning it writes only rows that moved.
    When any did, the window's graph-stage trend buckets are refreshed next, on the default
    queue (a run that wrote nothing changed no bucket)."""
    from emograph.monitoring.tasks import window_refreshed

    result = propagation_run_execute(run_id)
    if result["written"]:
        run = PropagationRun.objects.get(pk=run_id)
        window_refreshed.delay(run.window_start.isoformat(), run.window_end.isoformat())
    return result


@shared_task
def propagate_recent():
    """Beat: propagate over the last EMOGRAPH_PROPAGATE_HOURS, all topics together."""
    start, end = recent_window(settings.EMOGRAPH_PROPAGATE_HOURS)
    return propagation_run_create(window_start=start, window_end=end).pk


@celeryd_after_setup.connect
def _check_graph_model_at_start(sender, instance, **kwargs):
    """A `gpu` worker loads the graph model before it takes any task."""
    refuse_start_unless(instance, graph_model)
