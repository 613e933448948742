import datetime as dt

import numpy as np
import pytest

from emograph.emotions.services import prediction_record
from emograph.monitoring.alerts import alert_acknowledge, alert_resolve, alerts_detect
from emograph.monitoring.models import (
    Alert,
    DetectionCursor,
    Notification,
    Subscription,
    TrendBucket,
)
from emograph.social.models import PostTopic
from tests.factories import AuthorFactory, PostFactory, TopicFactory, UserFactory

from .webhook import signature_valid, webhook_server

pytestmark = pytest.mark.django_db(transaction=True)
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
ANGRY = [0.85, 0.05, 0.03, 0.02, 0.02, 0.02, 0.01]


def history(topic, *, days=15, n=40, angry=4, spike=None, rng=None):
    """Hourly buckets up to NOW - 1 h: `n` posts, ~`angry` anger; `spike` = {hour: angry}."""
    rng = rng or np.random.default_rng(0)
    rows = []
    for i in range(days * 24):
        start = NOW - (days * 24 - i) * HOUR
        k = (spike or {}).get(start, int(rng.binomial(n, angry / n)))
        rows.append(
            TrendBucket(
                topic=topic,
                stage="content",
                granularity="hour",
                start=start,
                n=n,
                n_anger=k,
                n_neutral=n - k,
                sum_anger=0.8 * k,
                sum_neutral=0.8 * (n - k) + 0.2 * n,
            )
        )
    TrendBucket.objects.bulk_create(rows)


def angry_posts(topic, hour, count):
    author = AuthorFactory()
    root = PostFactory(created_at=hour, author=author, text="The council closed the bridge.")
    PostTopic.objects.create(post=root, topic=topic, post_created_at=hour)
    prediction_record(
        post=root,
        stage="content",
        model_name="m",
        model_version="1",
        probabilities=[0.05, 0.05, 0.05, 0.1, 0.05, 0.1, 0.6],
    )
    for i in range(count):
        when = hour + dt.timedelta(minutes=i + 1)
        reply = PostFactory(
            created_at=when,
            parent=root,
            author=author if i % 2 else None,
            source=root.source,
            text=f"This is outrageous {i}",
        )
        PostTopic.objects.create(post=reply, topic=topic, post_created_at=when)
        prediction_record(
            post=reply, stage="content", model_name="m", model_version="1", probabilities=ANGRY
        )


def test_a_two_hour_spike_opens_one_alert_that_explains_itself_and_notifies_once(settings):
    settings.EMOGRAPH_BASE_URL = "https://emograph.example"
    topic = TopicFactory(slug="bridge", name="Bridge")
    spike = {NOW - 2 * HOUR: 16, NOW - HOUR: 18}
    history(topic, spike=spike)
    angry_posts(topic, NOW - 2 * HOUR, 6)
    with webhook_server() as (url, received):
        Subscription.objects.create(channel="webhook", target=url, secret="s3cret")
        DetectionCursor.objects.create(topic=topic, judged_until=NOW - 3 * HOUR)
        report = alerts_detect(now=NOW)
        again = alerts_detect(now=NOW + dt.timedelta(minutes=30))  # same hour: nothing new
    assert report["opened"] == 1
    assert report["hours"] == 2
    assert again["hours"] == 0
    alert = Alert.objects.get()
    assert alert.state == "open"
    assert alert.emotion in ("negative", "anger")
    assert alert.started_at == NOW - 2 * HOUR  # 16 angry of 40 against ~4: extreme at once
    assert alert.detected_at == NOW - 2 * HOUR
    assert alert.observed == pytest.approx(16 / 40)
    assert alert.expected == pytest.approx(0.1, abs=0.05)
    x = alert.explanation
    assert {s["name"] for s in x["series"]} == {"negative", "anger", "disgust", "fear", "sadness"}
    assert x["mix"]["change"]["anger"] > 0.1
    assert x["top_posts"][0]["text"].startswith("This is outrageous")
    assert x["threads"][0]["root"]["text"] == "The council closed the bridge."
    assert x["threads"][0]["replies"] == 6
    assert len(x["threads"][0]["drivers"]) == 5
    assert x["users"][0]["negative_posts"] == 3
    assert x["users"][0]["emotion"] == "anger"  # over the episode's user-reply graph
    # His own root (negative 0.20) and his 3 angry replies to it (0.95 each); self-replies tie
    # him to no one else, so his mix is his own mean and his influence the average, 1.0.
    assert x["users"][0]["negative_share"] == pytest.approx((0.20 + 3 * 0.95) / 4, abs=1e-3)
    assert x["users"][0]["influence"] == pytest.approx(1.0)
    assert x["link"].startswith("/topics/bridge/?stage=content&focus=")
    assert len(received) == 1  # one delivery, signed, with the explanation's numbers
    delivery = received[0]
    assert signature_valid(delivery, "s3cret")
    assert not signature_valid(delivery, "wrong")
    assert delivery["json"]["alert"]["id"] == alert.id
    assert delivery["json"]["alert"]["link"].startswith("https://emograph.example/topics/bridge/")
    assert Notification.objects.get().state == "sent"
    assert TrendBucket.objects.get(topic=topic, start=NOW - 2 * HOUR, granularity="hour").hot


def test_a_long_crisis_is_one_episode_that_resolves_itself_when_calm():
    topic = TopicFactory()
    spike = {NOW - h * HOUR: 20 for h in range(4, 10)}  # six angry hours, then three calm ones
    history(topic, spike=spike)
    DetectionCursor.objects.create(topic=topic, judged_until=NOW - 11 * HOUR)
    report = alerts_detect(now=NOW)
    assert report["opened"] == 1
    assert report["resolved"] == 1
    alert = Alert.objects.get()
    assert alert.state == "resolved"
    assert alert.resolved_by is None
    assert alert.ended_at == NOW - 3 * HOUR
    assert alert.peak_z >= alert.z


def test_quiet_topics_one_post_buckets_and_topics_without_posts_raise_nothing():
    quiet, tiny, _empty = TopicFactory(), TopicFactory(), TopicFactory()
    history(quiet)
    history(tiny, n=1, angry=0, spike={NOW - HOUR: 1, NOW - 2 * HOUR: 1})  # one angry post
    for topic in (quiet, tiny):
        DetectionCursor.objects.create(topic=topic, judged_until=NOW - 48 * HOUR)
    report = alerts_detect(now=NOW)
    assert report["topics"] == 2
    assert report["hours"] == 2 * 47
    assert not Alert.objects.exists()


def test_acknowledge_and_resolve_happen_once_with_who_and_when():
    topic = TopicFactory()
    history(topic, spike={NOW - 2 * HOUR: 16, NOW - HOUR: 18})
    alerts_detect(now=NOW - HOUR)
    alerts_detect(now=NOW)
    alert = Alert.objects.get()
    analyst = UserFactory()
    assert alert_acknowledge(alert=alert, user=analyst)
    assert not alert_acknowledge(alert=alert, user=analyst)
    assert alert_resolve(alert=alert, ended=None, user=analyst)
    assert not alert_resolve(alert=alert, ended=None, user=analyst)
    alert.refresh_from_db()
    assert (alert.state, alert.acknowledged_by, alert.resolved_by) == ("resolved", analyst, analyst)
    assert alert.acknowledged_at <= alert.resolved_at
