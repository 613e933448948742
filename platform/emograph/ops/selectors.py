from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import WorkerHeartbeat


def worker_list():
    """Workers that ever reported, each with `is_alive` (reported recently)."""
    cutoff = timezone.now() - settings.EMOGRAPH_WORKER_STALE_AFTER
    workers = list(WorkerHeartbeat.objects.all())
    for worker in workers:
        worker.is_alive = worker.seen_at >= cutoff
    return workers


def database_is_up():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means "not healthy", reported, not raised
        return False
