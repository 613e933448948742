from celery import shared_task

from config.celery import TRANSIENT_ERRORS

from .services import import_job_run


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def import_job_run_task(job_id):
    """Thin wrapper: acks late, so a killed worker's job is redelivered and resumes."""
    return import_job_run(job_id=job_id).status
