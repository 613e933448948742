import datetime as dt

import pytest
from django.db.models import Sum

from emograph.emotions.services import prediction_record
from emograph.monitoring.models import TrendBucket
from emograph.monitoring.trends import (
    post_hours,
    trend_buckets_rebuild,
    trend_buckets_refresh,
    trend_buckets_refresh_window,
)
from emograph.social.models import PostTopic
from tests.factories import PostFactory, TopicFactory

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)  # a Monday
ANGRY = [0.8, 0.05, 0.05, 0.02, 0.04, 0.02, 0.02]
CALM = [0.02, 0.02, 0.02, 0.1, 0.02, 0.02, 0.8]


def scored(topic, when, probabilities, *, version="1"):
    post = PostFactory(created_at=when)
    PostTopic.objects.create(post=post, topic=topic, post_created_at=when)
    prediction_record(
        post=post,
        stage="content",
        model_name="m",
        model_version=version,
        probabilities=probabilities,
    )
    return post


def bucket(topic, granularity, start, stage="content"):
    return TrendBucket.objects.get(topic=topic, stage=stage, granularity=granularity, start=start)


def test_refresh_builds_hour_day_and_week_buckets_from_the_touched_posts():
    topic = TopicFactory()
    posts = [scored(topic, T0 + dt.timedelta(minutes=m), ANGRY) for m in (1, 20)]
    posts.append(scored(topic, T0 + dt.timedelta(hours=1, minutes=5), CALM))
    report = trend_buckets_refresh(
        hours=post_hours([p.id for p in posts]), now=T0 + dt.timedelta(days=1)
    )
    assert report == {"hours": 2, "future_hours": 0}
    first = bucket(topic, "hour", T0)
    assert (first.n, first.n_anger, first.n_neutral) == (2, 2, 0)
    assert first.sum_anger == pytest.approx(1.6)
    assert first.negative_share == 1.0
    day = bucket(topic, "day", T0.replace(hour=0))
    assert (day.n, day.n_anger, day.n_neutral) == (3, 2, 1)
    assert day.mean_probabilities["neutral"] == pytest.approx((0.02 * 2 + 0.8) / 3)
    assert bucket(topic, "week", T0.replace(hour=0)).n == 3
    assert not TrendBucket.objects.filter(stage="graph").exists()  # nothing propagated yet


def test_refresh_is_idempotent_and_follows_a_rescore_and_a_new_model_version():
    topic = TopicFactory()
    post = scored(topic, T0, ANGRY)
    hours = post_hours([post.id])
    trend_buckets_refresh(hours=hours, now=T0 + dt.timedelta(hours=2))
    trend_buckets_refresh(hours=hours, now=T0 + dt.timedelta(hours=2))
    assert bucket(topic, "hour", T0).n == 1
    prediction_record(
        post=post, stage="content", model_name="m", model_version="2", probabilities=CALM
    )
    trend_buckets_refresh(hours=hours, now=T0 + dt.timedelta(hours=2))
    hour = bucket(topic, "hour", T0)
    assert (hour.n, hour.n_anger, hour.n_neutral) == (1, 0, 1)  # newest prediction only
    assert bucket(topic, "day", T0.replace(hour=0)).n_neutral == 1


def test_a_bucket_that_loses_its_posts_is_deleted():
    topic = TopicFactory()
    post = scored(topic, T0, ANGRY)
    hours = post_hours([post.id])
    trend_buckets_refresh(hours=hours, now=T0 + dt.timedelta(hours=2))
    PostTopic.objects.filter(post=post).delete()
    trend_buckets_refresh(hours=hours, now=T0 + dt.timedelta(hours=2))
    assert not TrendBucket.objects.filter(topic=topic).exists()


def test_posts_dated_in_the_future_wait_until_their_hour_comes():
    topic = TopicFactory()
    now = T0
    scored(topic, now + dt.timedelta(minutes=10), ANGRY)  # this hour: counted
    ahead = scored(topic, now + dt.timedelta(days=2), ANGRY)  # a skewed clock
    report = trend_buckets_refresh_window(start=now, end=now + dt.timedelta(days=3), now=now)
    assert report == {"hours": 1, "future_hours": 1}
    assert not TrendBucket.objects.filter(start__gte=ahead.created_at.replace(minute=0)).exists()
    later = ahead.created_at + dt.timedelta(minutes=30)
    trend_buckets_refresh_window(start=now, end=later, now=later)
    assert bucket(topic, "hour", ahead.created_at.replace(minute=0, second=0, microsecond=0)).n == 1


def test_a_single_post_bucket_and_a_topic_without_posts():
    lonely, empty = TopicFactory(), TopicFactory()
    scored(lonely, T0, ANGRY)
    trend_buckets_rebuild(now=T0 + dt.timedelta(days=1))
    assert bucket(lonely, "hour", T0).negative_share == 1.0
    assert not TrendBucket.objects.filter(topic=empty).exists()
    assert trend_buckets_rebuild(topic_ids=[empty.id]) == {
        "hours": 0,
        "future_hours": 0,
        "stale_deleted": 0,
    }


def test_rebuild_equals_the_incremental_result():
    topics = [TopicFactory(), TopicFactory()]
    posts = [
        scored(topics[i % 2], T0 + dt.timedelta(hours=i * 7, minutes=i), ANGRY if i % 3 else CALM)
        for i in range(40)
    ]
    now = T0 + dt.timedelta(days=30)
    for post in posts:
        trend_buckets_refresh(hours=post_hours([post.id]), now=now)
    incremental = sorted(
        TrendBucket.objects.values_list("topic", "granularity", "start", "n", "n_anger", "sum_joy")
    )
    trend_buckets_rebuild(now=now)
    rebuilt = sorted(
        TrendBucket.objects.values_list("topic", "granularity", "start", "n", "n_anger", "sum_joy")
    )
    assert [r[:5] for r in rebuilt] == [r[:5] for r in incremental]
    assert [r[5] for r in rebuilt] == pytest.approx([r[5] for r in incremental])
    weeks = TrendBucket.objects.filter(granularity="week").aggregate(n=Sum("n"))["n"]
    assert weeks == 40


def test_rebuild_keeps_the_detectors_marks_and_drops_buckets_no_post_backs():
    topic = TopicFactory()
    kept, dropped = scored(topic, T0, ANGRY), scored(topic, T0 + dt.timedelta(hours=3), CALM)
    now = T0 + dt.timedelta(days=1)
    trend_buckets_refresh(hours=post_hours([kept.id, dropped.id]), now=now)
    TrendBucket.objects.filter(start=T0, granularity="hour").update(hot=True, z=4.2)
    PostTopic.objects.filter(post=dropped).delete()  # e.g. a watchlist rule was narrowed
    report = trend_buckets_rebuild(topic_ids=[topic.id], now=now)
    assert report["stale_deleted"] == 1  # its hour; its day and week still hold a post
    hour = bucket(topic, "hour", T0)
    assert (hour.hot, hour.z, hour.n) == (True, 4.2, 1)
    assert not TrendBucket.objects.filter(start=T0 + dt.timedelta(hours=3)).exists()
