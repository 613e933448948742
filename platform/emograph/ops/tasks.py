from celery import shared_task

from config.celery import TRANSIENT_ERRORS

from .services import heartbeat_record


@shared_task(bind=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def worker_heartbeat(self):
    """Scheduled by beat on every queue; the worker that takes it records itself."""
    queue = (self.request.delivery_info or {}).get("routing_key") or "eager"
    heartbeat = heartbeat_record(hostname=self.request.hostname or "eager", queue=queue)
    return heartbeat.pk
