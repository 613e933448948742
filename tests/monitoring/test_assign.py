import datetime as dt

import pytest

from emograph.emotions.services import prediction_record
from emograph.monitoring.assign import post_topics_assign, watchlist_apply
from emograph.monitoring.models import TrendBucket, WatchlistRule
from emograph.monitoring.tasks import posts_scored
from emograph.social.models import PostTopic
from tests.factories import PostFactory, SourceFactory, TopicFactory

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)


def topics_of(post):
    return set(PostTopic.objects.filter(post=post).values_list("topic__slug", flat=True))


def test_posts_join_their_source_topic_and_matching_watchlists_idempotently():
    weibo = SourceFactory(slug="weibo", name="Weibo")
    flood = TopicFactory(slug="watch-flood", kind="watchlist")
    WatchlistRule.objects.create(topic=flood, kind="keyword", pattern="洪水")
    wet = PostFactory(source=weibo, text="郑州洪水最新情况", created_at=T0)
    dry = PostFactory(source=weibo, text="今天天气很好", created_at=T0)
    changed = post_topics_assign(post_ids=[wet.id, dry.id])
    assert topics_of(wet) == {"source-weibo", "watch-flood"}
    assert topics_of(dry) == {"source-weibo"}
    assert {t for t, _ in changed} == {flood.id, PostTopic.objects.get(post=dry).topic_id}
    assert post_topics_assign(post_ids=[wet.id, dry.id]) == set()  # nothing changes twice


def test_an_edited_post_leaves_the_watchlist_but_keeps_its_tags():
    flood = TopicFactory(slug="watch-flood", kind="watchlist")
    tag = TopicFactory(slug="weather", kind="tag")
    WatchlistRule.objects.create(topic=flood, kind="keyword", pattern="flood")
    post = PostFactory(text="Flood warning for the valley", created_at=T0)
    PostTopic.objects.create(post=post, topic=tag, post_created_at=T0)
    post_topics_assign(post_ids=[post.id])
    assert "watch-flood" in topics_of(post)
    post.text = "Sunny all week"
    post.save()
    changed = post_topics_assign(post_ids=[post.id])
    assert topics_of(post) == {"weather", f"source-{post.source.slug}"}
    assert (flood.id, T0) in changed


def test_a_new_rule_applies_to_past_posts_and_its_buckets_follow():
    posts = [PostFactory(text=t, created_at=T0) for t in ("地铁停运了", "停运通知", "好天气")]
    for post in posts:
        prediction_record(
            post=post,
            stage="content",
            model_name="m",
            model_version="1",
            probabilities=[0.7, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05],
        )
    watchlist = TopicFactory(slug="watch-metro", kind="watchlist")
    WatchlistRule.objects.create(topic=watchlist, kind="keyword", pattern="停运")
    assert watchlist_apply(topic_id=watchlist.id) == 2
    posts_scored(post_ids=[p.id for p in posts])  # what the scoring task hands on
    hour = TrendBucket.objects.get(topic=watchlist, granularity="hour")
    assert (hour.n, hour.n_anger) == (2, 2)
