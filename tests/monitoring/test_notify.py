import datetime as dt

import pytest

from emograph.monitoring.models import Alert, Notification, Subscription
from emograph.monitoring.notify import (
    notification_deliver,
    notifications_queue,
    notifications_resend,
)
from emograph.monitoring.tasks import send_notification
from tests.factories import TopicFactory

from .webhook import webhook_server

pytestmark = pytest.mark.django_db(transaction=True)
T0 = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)


@pytest.fixture
def alert():
    return Alert.objects.create(
        topic=TopicFactory(name="Port strike"),
        stage="content",
        emotion="anger",
        severity="major",
        started_at=T0,
        detected_at=T0,
        last_hour=T0,
        observed=0.4,
        expected=0.1,
        z=6.0,
        peak_z=6.0,
        explanation={"posts": 40, "link": "/topics/x/", "top_posts": [{"text": "Outrage"}]},
    )


@pytest.fixture
def fast_retries(settings):
    settings.EMOGRAPH_NOTIFY_ATTEMPTS = 3
    settings.EMOGRAPH_NOTIFY_BACKOFF = 0
    settings.EMOGRAPH_WEBHOOK_TIMEOUT = 0.3


def retry_until_settled(notification):
    """Run the retries a worker would run after each backoff (eager Celery records a retry but
    does not run it)."""
    results = []
    while Notification.objects.get(pk=notification.pk).state == "pending":
        results.append(send_notification.apply(args=[notification.pk], throw=False))
    return results


@pytest.mark.parametrize(("status", "delay"), [(500, 0.0), (200, 1.0)])
def test_a_failing_or_hanging_webhook_is_retried_then_marked_failed(
    alert, fast_retries, status, delay
):
    with webhook_server(status=status, delay=delay) as (url, received):
        Subscription.objects.create(channel="webhook", target=url, secret="k")
        notifications_queue(alert=alert, event="opened")  # first attempt, then a retry is due
        notification = Notification.objects.get()
        assert (notification.state, notification.attempts) == ("pending", 1)
        results = retry_until_settled(notification)
    notification.refresh_from_db()
    assert results[-1].result == "failed"
    assert len(received) == 3
    assert (notification.state, notification.attempts) == ("failed", 3)
    assert ("HTTP 500" if status == 500 else "timed out") in notification.last_error
    assert {r["headers"]["x-emograph-delivery"] for r in received} == {str(notification.id)}


def test_a_mail_server_that_is_down_fails_the_email_not_the_webhook(alert, fast_retries, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    with webhook_server() as (url, received):
        email = Subscription.objects.create(channel="email", target="desk@example.org")
        Subscription.objects.create(channel="webhook", target=url, secret="k")
        notifications_queue(alert=alert, event="opened")
    states = dict(Notification.objects.values_list("subscription__channel", "state"))
    assert states == {"email": "pending", "webhook": "sent"}
    assert len(received) == 1
    retry_until_settled(Notification.objects.get(subscription=email))
    failed = Notification.objects.get(subscription=email)
    assert (failed.state, failed.attempts) == ("failed", 3)
    assert "desk@example.org" in failed.last_error


def test_each_event_goes_out_once_per_subscription(alert, mailoutbox, settings):
    Subscription.objects.create(channel="email", target="desk@example.org")
    Subscription.objects.create(channel="email", target="boss@example.org", min_severity="critical")
    notifications_queue(alert=alert, event="opened")
    notifications_queue(alert=alert, event="opened")  # a rerun of the detector
    notification = Notification.objects.get()  # the major alert is below boss's threshold
    assert notification_deliver(notification_id=notification.id) is None  # already sent
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["desk@example.org"]
    assert "anger rising in Port strike" in mailoutbox[0].subject
    assert "Outrage" in mailoutbox[0].body


def test_the_sweep_requeues_what_never_reached_a_worker_and_what_a_dead_worker_left(
    alert, mailoutbox
):
    subscription = Subscription.objects.create(channel="email", target="desk@example.org")
    lost = Notification.objects.create(alert=alert, subscription=subscription, event="opened")
    stuck = Notification.objects.create(
        alert=alert, subscription=subscription, event="resolved", state="sending", attempts=1
    )
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert notifications_resend(now=later) == 2
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}
    assert len(mailoutbox) == 2
    assert Notification.objects.get(pk=stuck.pk).attempts == 2
    assert notifications_resend(now=later) == 0
    assert lost.pk
