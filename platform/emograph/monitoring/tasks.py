"""Monitoring tasks: thin wrappers over the services, on the default (CPU) queue."""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from config.celery import TRANSIENT_ERRORS

from .alerts import alerts_detect
from .assign import post_topics_assign, watchlist_apply
from .notify import DeliveryError, notification_deliver, notifications_resend
from .trends import (
    post_hours,
    trend_buckets_rebuild,
    trend_buckets_refresh,
    trend_buckets_refresh_window,
)


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def posts_scored(post_ids):
    """After a scoring batch: give the posts their source and watchlist topics, then refresh
    the buckets they touch (and those a lost watchlist link touched)."""
    changed = post_topics_assign(post_ids=post_ids)
    return trend_buckets_refresh(hours=post_hours(post_ids) | changed)


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def window_refreshed(start, end, stage="graph"):
    """After a propagation run: refresh the window's buckets at the graph stage."""
    start, end = dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)
    return trend_buckets_refresh_window(start=start, end=end, stages=(stage,))


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def apply_watchlist(topic_id):
    """A watchlist's rules changed: match them against every stored post, refresh its buckets."""
    matched = watchlist_apply(topic_id=topic_id)
    return {"matched": matched, **trend_buckets_rebuild(topic_ids=[topic_id])}


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def maintain_trends():
    """Beat: revisit the recent hours (late rows, posts whose future date has come)."""
    now = timezone.now()
    start = now - dt.timedelta(hours=settings.EMOGRAPH_TREND_REFRESH_HOURS)
    return trend_buckets_refresh_window(start=start, end=now + dt.timedelta(hours=1), now=now)


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def detect_crises(now=None):
    """Beat, hourly: judge the hours completed since the last run."""
    return alerts_detect(now=dt.datetime.fromisoformat(now) if now else None)


@shared_task(bind=True, max_retries=None)
def send_notification(self, notification_id):
    try:
        return notification_deliver(notification_id=notification_id)
    except DeliveryError as error:
        delay = settings.EMOGRAPH_NOTIFY_BACKOFF * 2**self.request.retries
        raise self.retry(exc=error, countdown=delay) from None


@shared_task
def resend_notifications():
    """Beat: queue notifications that never reached a worker or were left half-sent."""
    return notifications_resend()
