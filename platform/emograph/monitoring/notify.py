"""Alert notifications: email through Django's mail settings and signed webhooks.

Each (alert, subscription, event) is one Notification row, created once (unique), sent by its
own task: a slow or failing endpoint never holds up detection. A send is claimed with a
conditional UPDATE (pending -> sending), so two workers never deliver the same row; a failure
goes back to pending and is retried with exponential backoff, then marked failed.

Webhook requests carry `X-EmoGraph-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>" under the subscription's secret>` and `X-EmoGraph-Delivery: <notification id>`,
so a receiver can check the sender, reject replays and drop a duplicate delivery.
"""

import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import Alert, Notification, Subscription

SEVERITY_RANK = {s: i for i, s in enumerate(Alert.Severity.values)}


class DeliveryError(Exception):
    """The endpoint or mail server did not take the notification; worth retrying."""


def notifications_queue(*, alert, event):
    """Create the notifications of one alert event for every matching subscription and send
    each after the surrounding transaction commits."""
    from .tasks import send_notification

    subscriptions = Subscription.objects.filter(active=True).filter(
        Q(topic__isnull=True) | Q(topic_id=alert.topic_id)
    )
    wanted = [
        Notification(alert=alert, subscription=s, event=event)
        for s in subscriptions
        if SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[s.min_severity]
    ]
    Notification.objects.bulk_create(wanted, ignore_conflicts=True)
    ids = list(
        Notification.objects.filter(
            alert=alert, event=event, state=Notification.State.PENDING
        ).values_list("id", flat=True)
    )
    for notification_id in ids:
        # robust: a broker hiccup is logged and swept up later by notifications_resend
        transaction.on_commit(_sender(send_notification, notification_id), robust=True)
    return len(ids)


def _sender(task, notification_id):
    def send_after_commit():
        task.delay(notification_id)

    return send_after_commit


def notifications_resend(
    *, now=None, pending_after=dt.timedelta(minutes=10), stuck_after=dt.timedelta(minutes=30)
):
    """Beat sweep: queue again what was never handed to a worker (pending long after its last
    change) and what a dead worker left half-sent. Returns how many were queued."""
    from .tasks import send_notification

    now = now or timezone.now()
    stuck = Notification.objects.filter(
        state=Notification.State.SENDING, updated_at__lt=now - stuck_after
    )
    stuck_ids = list(stuck.values_list("id", flat=True))
    stuck.filter(id__in=stuck_ids).update(state=Notification.State.PENDING, updated_at=now)
    lost = Notification.objects.filter(
        state=Notification.State.PENDING, updated_at__lt=now - pending_after
    )
    ids = sorted({*lost.values_list("id", flat=True), *stuck_ids})
    for notification_id in ids:
        send_notification.delay(notification_id)
    return len(ids)


def signature(secret, timestamp, body: bytes):
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def payload(notification):
    alert = notification.alert
    base = settings.EMOGRAPH_BASE_URL.rstrip("/")
    explanation = alert.explanation or {}
    return {
        "event": f"alert.{notification.event}",
        "delivery": notification.id,
        "alert": {
            "id": alert.id,
            "topic": alert.topic.slug,
            "topic_name": alert.topic.name,
            "state": alert.state,
            "severity": alert.severity,
            "emotion": alert.emotion,
            "stage": alert.stage,
            "started_at": alert.started_at.isoformat(),
            "detected_at": alert.detected_at.isoformat(),
            "ended_at": alert.ended_at.isoformat() if alert.ended_at else None,
            "observed": alert.observed,
            "expected": alert.expected,
            "z": alert.z,
            "posts": explanation.get("posts"),
            "top_posts": explanation.get("top_posts", [])[:3],
            "link": base + explanation.get("link", ""),
        },
    }


def _webhook(notification, body):
    subscription = notification.subscription
    if not subscription.target.startswith(("http://", "https://")):
        raise DeliveryError(f"{subscription.target}: only http(s) webhooks are sent")
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        subscription.target,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "EmoGraph-Webhook/1",
            "X-EmoGraph-Event": f"alert.{notification.event}",
            "X-EmoGraph-Delivery": str(notification.id),
            "X-EmoGraph-Signature": signature(subscription.secret, timestamp, body),
        },
    )
    try:
        timeout = settings.EMOGRAPH_WEBHOOK_TIMEOUT
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310
            reply.read(1024)
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"{subscription.target} answered HTTP {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DeliveryError(f"{subscription.target}: {getattr(error, 'reason', error)}") from None


def _email(notification, data):
    alert = data["alert"]
    subject = (
        f"[EmoGraph {alert['severity']}] {alert['emotion']} rising in {alert['topic_name']}"
        if notification.event == "opened"
        else f"[EmoGraph] resolved: {alert['topic_name']}"
    )
    lines = [
        f"Topic: {alert['topic_name']} ({alert['topic']})",
        f"Event: {notification.event}; severity {alert['severity']}; stage {alert['stage']}",
        f"Hour: {alert['detected_at']}; posts: {alert['posts']}",
        f"{alert['emotion']} share {alert['observed']:.1%}, expected {alert['expected']:.1%} "
        f"(z = {alert['z']:.1f})",
        "",
        *(f"- {p['text'][:200]}" for p in alert["top_posts"]),
        "",
        f"Dashboard: {alert['link']}",
    ]
    try:
        send_mail(subject, "\n".join(lines), None, [notification.subscription.target])
    except OSError as error:  # smtplib.SMTPException is an OSError, as is a refused connection
        raise DeliveryError(f"mail to {notification.subscription.target}: {error}") from None


def notification_deliver(*, notification_id):
    """Send one notification if it is still pending. Returns its new state; raises
    DeliveryError after recording the failure when another attempt is due."""
    claimed = Notification.objects.filter(
        pk=notification_id, state=Notification.State.PENDING
    ).update(
        state=Notification.State.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    if claimed != 1:
        return None  # sent, failed or being sent by someone else
    notification = Notification.objects.select_related("alert__topic", "subscription").get(
        pk=notification_id
    )
    data = payload(notification)
    try:
        if notification.subscription.channel == Subscription.Channel.WEBHOOK:
            _webhook(notification, json.dumps(data, sort_keys=True).encode())
        else:
            _email(notification, data)
    except DeliveryError as error:
        final = notification.attempts >= settings.EMOGRAPH_NOTIFY_ATTEMPTS
        state = Notification.State.FAILED if final else Notification.State.PENDING
        Notification.objects.filter(pk=notification_id).update(
            state=state, last_error=str(error), updated_at=timezone.now()
        )
        if final:
            return state
        raise
    Notification.objects.filter(pk=notification_id).update(
        state=Notification.State.SENT,
        sent_at=timezone.now(),
        last_error="",
        updated_at=timezone.now(),
    )
    return Notification.State.SENT
