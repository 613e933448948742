import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from emograph.social.models import Post, PostTopic, Topic

from ..factories import AuthorFactory, PostFactory, SourceFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_external_ids_are_unique_per_source_not_globally():
    weibo, twitter = SourceFactory(slug="weibo"), SourceFactory(slug="twitter")
    PostFactory(source=weibo, external_id="42")
    PostFactory(source=twitter, external_id="42")  # same id, other platform: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        PostFactory(source=weibo, external_id="42")


def test_author_external_id_unique_per_source():
    source = SourceFactory()
    AuthorFactory(source=source, external_id="u1")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuthorFactory(source=source, external_id="u1")


def test_a_post_cannot_reply_to_itself():
    post = PostFactory()
    post.parent = post
    with pytest.raises(IntegrityError), transaction.atomic():
        post.save()


def test_reply_keeps_parent_reference_until_the_parent_arrives():
    source = SourceFactory()
    reply = PostFactory(source=source, parent_external_id="root-1")
    assert reply.is_reply
    assert reply.parent is None
    root = PostFactory(source=source, external_id="root-1")
    waiting = Post.objects.filter(
        source=source, parent__isnull=True, parent_external_id=root.external_id
    )
    assert list(waiting) == [reply]


def test_topic_time_range_query_uses_denormalised_time():
    topic = TopicFactory()
    early, late = PostFactory(), PostFactory()
    for post in (early, late):
        PostTopic.objects.create(post=post, topic=topic, post_created_at=post.created_at)
    in_range = PostTopic.objects.filter(topic=topic, post_created_at__gt=early.created_at)
    assert [pt.post for pt in in_range] == [late]


def test_each_topic_kind_owns_its_slug_prefix():
    with pytest.raises(ValidationError, match="must start with 'watch-'"):
        Topic(slug="flood", name="Flood", kind="watchlist").full_clean()
    for slug, kind in [("flood", "watchlist"), ("watch-flood", "tag"), ("weibo", "source")]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Topic.objects.create(slug=slug, name=slug, kind=kind)
    Topic.objects.create(slug="watch-flood", name="Flood", kind="watchlist")
    Topic.objects.create(slug="flood", name="flood", kind="tag")  # no clash any more
