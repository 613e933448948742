"""Which topics a post belongs to beyond its own tags: its source, and the watchlists whose
rules match its text. Idempotent: rerunning for the same posts changes nothing."""

from django.db import transaction

from emograph.social.models import Post, PostTopic, Source, Topic

from .models import WatchlistRule
from .rules import Matcher

SCAN_CHUNK = 5_000


def source_topic_slug(source):
    return f"{Topic.SOURCE_PREFIX}{source.slug}"


def source_topics():
    """{source id: topic id}, creating the missing source topics."""
    sources = list(Source.objects.all())
    Topic.objects.bulk_create(
        [Topic(slug=source_topic_slug(s), name=s.name, kind=Topic.Kind.SOURCE) for s in sources],
        ignore_conflicts=True,
    )
    ids = dict(Topic.objects.filter(kind=Topic.Kind.SOURCE).values_list("slug", "id").order_by())
    return {s.id: ids[source_topic_slug(s)] for s in sources if source_topic_slug(s) in ids}


def watchlist_matcher(topic_ids=None):
    rules = WatchlistRule.objects.filter(topic__kind=Topic.Kind.WATCHLIST)
    if topic_ids is not None:
        rules = rules.filter(topic_id__in=topic_ids)
    return Matcher(rules.values_list("topic_id", "kind", "pattern"))


def _links(posts, matcher, by_source):
    for post_id, source_id, text, created in posts:
        if source_id in by_source:
            yield PostTopic(post_id=post_id, topic_id=by_source[source_id], post_created_at=created)
        for topic_id in matcher.topics(text):
            yield PostTopic(post_id=post_id, topic_id=topic_id, post_created_at=created)


def post_topics_assign(*, post_ids):
    """Link the posts to their source topic and to every matching watchlist (dropping the
    watchlist links a changed text no longer earns). Returns the (topic id, post time) pairs
    whose links changed in either direction, for the trend refresh."""
    matcher, by_source = watchlist_matcher(), source_topics()
    posts = list(
        Post.objects.filter(id__in=post_ids).values_list("id", "source_id", "text", "created_at")
    )
    wanted = list(_links(posts, matcher, by_source))
    derived = PostTopic.objects.filter(
        post_id__in=post_ids, topic__kind__in=[Topic.Kind.WATCHLIST, Topic.Kind.SOURCE]
    )
    with transaction.atomic():
        before = set(derived.values_list("post_id", "topic_id", "post_created_at"))
        after = {(link.post_id, link.topic_id, link.post_created_at) for link in wanted}
        gone = before - after
        for post_id, topic_id, _ in gone:
            derived.filter(post_id=post_id, topic_id=topic_id).delete()
        PostTopic.objects.bulk_create(
            [
                link
                for link in wanted
                if (link.post_id, link.topic_id, link.post_created_at) not in before
            ],
            ignore_conflicts=True,
            batch_size=2_000,
        )
    return {(topic_id, created) for _, topic_id, created in before ^ after}


def watchlist_apply(*, topic_id, log=lambda _: None):
    """Match one watchlist's rules against every stored post, replacing its links. Returns how
    many posts it now holds."""
    matcher = watchlist_matcher([topic_id])
    with transaction.atomic():
        PostTopic.objects.filter(topic_id=topic_id).delete()
        if not matcher:
            return 0
        matched, last_id = 0, 0
        posts = Post.objects.order_by("id").values_list("id", "text", "created_at")
        while chunk := list(posts.filter(id__gt=last_id)[:SCAN_CHUNK]):
            links = [
                PostTopic(post_id=post_id, topic_id=topic_id, post_created_at=created)
                for post_id, text, created in chunk
                if matcher.topics(text)
            ]
            PostTopic.objects.bulk_create(links, batch_size=2_000)
            matched += len(links)
            last_id = chunk[-1][0]
            log(f"scanned to post {last_id}: {matched} matches")
    return matched


def watchlist_changed(*, topic_id):
    """A rule was added, changed or removed: re-match the watchlist over every stored post
    (and rebuild its buckets) once the change commits."""
    from .tasks import apply_watchlist

    transaction.on_commit(lambda: apply_watchlist.delay(topic_id))
