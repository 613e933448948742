import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from emograph.monitoring.models import Alert, TrendBucket
from tests.factories import TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def crisis():
    topic = TopicFactory(slug="watch-地铁", name="地铁 <b>metro</b>", kind="watchlist")
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for h in range(1, 30):
        TrendBucket.objects.create(
            topic=topic,
            stage="content",
            granularity="hour",
            start=now - dt.timedelta(hours=h),
            n=30,
            n_anger=3 + (h < 3) * 9,
            n_neutral=27 - (h < 3) * 9,
            sum_anger=3.0,
            sum_neutral=24.0,
        )
    alert = Alert.objects.create(
        topic=topic,
        stage="content",
        emotion="anger",
        severity="major",
        started_at=now - dt.timedelta(hours=2),
        detected_at=now - dt.timedelta(hours=1),
        last_hour=now - dt.timedelta(hours=1),
        observed=0.4,
        expected=0.1,
        z=6.0,
        peak_z=6.0,
        explanation={
            "posts": 30,
            "link": f"/topics/{topic.slug}/",
            "series": [],
            "mix": {"change": {"anger": 0.3}},
            "top_posts": [
                {
                    "text": "<script>alert(1)</script>",
                    "author": "a",
                    "label": "anger",
                    "strength": 0.9,
                }
            ],
            "threads": [],
            "users": [
                {
                    "author_id": 1,
                    "handle": "loud",
                    "negative_posts": 3,
                    "drives_threads": 1,
                    "emotion": "anger",
                    "negative_share": 0.762,
                    "influence": 2.5,
                },
                {"author_id": 2, "handle": "older", "negative_posts": 1, "drives_threads": 0},
            ],  # fmt: skip  (the second as stored before users carried an emotion)
        },
    )
    return topic, alert


def role_user(role):
    user = UserFactory()
    user.groups.add(Group.objects.get(name=role))
    return user


def test_the_monitoring_pages_render_escaped_with_a_chart(client, crisis):
    topic, alert = crisis
    client.force_login(role_user("viewer"))
    page = client.get(reverse("dashboard:topic", args=[topic.slug]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body
    assert "polyline" in body
    assert "&lt;b&gt;metro" in body
    assert (
        client.get(reverse("dashboard:topic", args=[topic.slug]), {"by": "day"}).status_code == 200
    )
    alert_page = client.get(reverse("dashboard:alert", args=[alert.pk])).content.decode()
    assert "&lt;script&gt;" in alert_page
    assert "<script>alert" not in alert_page
    assert "Acknowledge" not in alert_page  # a viewer cannot change alerts
    assert "<td>anger (0.76)</td><td>2.5</td>" in alert_page
    assert "<td>older</td><td>1</td><td>0</td><td>\u2013</td><td>\u2013</td>" in alert_page
    listing = client.get(reverse("dashboard:alerts"), {"state": "open"}).content.decode()
    assert f'href="/alerts/{alert.pk}/"' in listing
    topics = client.get(reverse("dashboard:topics"), {"q": "metro"}).content.decode()
    assert reverse("dashboard:topic", args=[topic.slug]) in topics
    assert client.get(reverse("dashboard:topic", args=["missing"])).status_code == 404


def test_only_analysts_and_admins_acknowledge_and_resolve(client, crisis):
    _, alert = crisis
    client.force_login(role_user("viewer"))
    assert client.post(reverse("dashboard:alert-acknowledge", args=[alert.pk])).status_code == 403
    analyst = role_user("analyst")
    client.force_login(analyst)
    assert "Acknowledge" in client.get(reverse("dashboard:alert", args=[alert.pk])).content.decode()
    client.post(reverse("dashboard:alert-acknowledge", args=[alert.pk]))
    client.post(reverse("dashboard:alert-resolve", args=[alert.pk]))
    again = client.post(reverse("dashboard:alert-resolve", args=[alert.pk]), follow=True)
    assert "already Resolved" in again.content.decode()
    alert.refresh_from_db()
    assert (alert.state, alert.acknowledged_by, alert.resolved_by) == ("resolved", analyst, analyst)
    assert client.get(reverse("dashboard:alert-resolve", args=[alert.pk])).status_code == 405


def test_an_empty_topic_page_says_so(client):
    client.force_login(role_user("viewer"))
    topic = TopicFactory()
    body = client.get(reverse("dashboard:topic", args=[topic.slug])).content.decode()
    assert "No scored posts in this range" in body
    assert "No alerts for this topic" in body


def test_a_quiet_topics_chart_ends_at_its_newest_data(client):
    client.force_login(role_user("viewer"))
    topic = TopicFactory()
    start = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
    TrendBucket.objects.create(
        topic=topic, stage="content", granularity="day", start=start, n=5, n_anger=5, sum_anger=5.0
    )
    body = client.get(reverse("dashboard:topic", args=[topic.slug]), {"by": "day"}).content
    assert b"polyline" in body
    assert b"2019-01-01 00:00" in body
