"""Trend buckets: kept up to date incrementally, one touched hour at a time.

When posts are scored (or propagated, or join a watchlist) only the (topic, hour) buckets they
fall in are recomputed, from the raw predictions of that topic-hour alone (an index range scan
on PostTopic), then the days and weeks holding those hours are re-added from the hourly rows.
Recomputing a touched bucket rather than adding deltas keeps it exact when a post is rescored,
changes topic or gets a new model version, and makes every refresh idempotent. Concurrent
refreshes of one topic serialise on a PostgreSQL advisory lock taken before reading, so the
last writer always read the newest rows. `trend_buckets_rebuild` redoes everything (repair).

Hours that start in the future (posts dated ahead by a skewed clock) are left out until their
time comes: the beat task refreshes the recent hours and picks them up then.
"""

import datetime as dt
import operator
from collections import defaultdict
from functools import reduce

from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDay, TruncHour, TruncWeek
from django.utils import timezone

from emograph.emotions.models import EmotionPrediction
from emograph.emotions.taxonomy import EMOTIONS
from emograph.social.models import Post, PostTopic

from .models import BUCKET_VALUES, TrendBucket

UTC = dt.UTC
HOUR = dt.timedelta(hours=1)
STAGES = ("content", "graph")
LOCK_NAMESPACE = 7_261  # pg_advisory_xact_lock(namespace, topic id)


def hour_floor(moment):
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def day_floor(moment):
    return hour_floor(moment).replace(hour=0)


def week_floor(moment):
    day = day_floor(moment)
    return day - dt.timedelta(days=day.weekday())


# Roll-up granularity -> (SQL truncation, length, the same truncation in Python).
ROLLUPS = {
    "day": (TruncDay, dt.timedelta(days=1), day_floor),
    "week": (TruncWeek, dt.timedelta(days=7), week_floor),
}


def _prediction_sums():
    return {
        "n": Count("id"),
        **{f"sum_{e}": Sum(f"p_{e}") for e in EMOTIONS},
        **{f"n_{e}": Count("id", filter=Q(label=e)) for e in EMOTIONS},
    }


def _bucket_sums():
    return {field: Sum(field) for field in BUCKET_VALUES}


def _hourly_from_predictions(stage, spans):
    """{(topic id, hour): values} from the newest prediction per post at `stage`, for the
    posts of each topic inside its [first, last] touched hours."""
    newest = (
        EmotionPrediction.objects.filter(post=OuterRef("post_id"), stage=stage)
        .order_by("-created_at", "-id")
        .values("id")[:1]
    )
    where = _span_q(spans, "post__posttopic__topic_id", "post__posttopic__post_created_at", HOUR)
    rows = (
        EmotionPrediction.objects.filter(where, stage=stage)
        .filter(id=Subquery(newest))
        .values(
            topic=F("post__posttopic__topic_id"),
            start=TruncHour("post__posttopic__post_created_at", tzinfo=UTC),
        )
        .annotate(**_prediction_sums())
        .order_by()
    )
    return {(r.pop("topic"), r.pop("start")): r for r in rows}


def _rollup_from_hours(stage, granularity, spans):
    trunc, length, _floor = ROLLUPS[granularity]
    where = _span_q(spans, "topic_id", "start", length)
    rows = (
        TrendBucket.objects.filter(where, stage=stage, granularity="hour")
        .values("topic", period=trunc("start", tzinfo=UTC))
        .annotate(**_bucket_sums())
        .order_by()
    )
    return {(r.pop("topic"), r.pop("period")): r for r in rows}


def _write(stage, granularity, keys, values):
    """Upsert the buckets in `values`; delete the touched `keys` that no longer hold posts."""
    now = timezone.now()
    TrendBucket.objects.bulk_create(
        [
            TrendBucket(
                topic_id=topic_id,
                stage=stage,
                granularity=granularity,
                start=start,
                updated_at=now,
                **row,
            )
            for (topic_id, start), row in values.items()
        ],
        update_conflicts=True,
        unique_fields=["topic", "stage", "granularity", "start"],
        update_fields=[*BUCKET_VALUES, "updated_at"],
        batch_size=2_000,
    )
    gone = set(keys) - set(values)
    if not gone:
        return
    existing = TrendBucket.objects.filter(
        _span_q(_spans(gone), "topic_id", "start", HOUR), stage=stage, granularity=granularity
    ).values_list("id", "topic_id", "start")
    stale = [pk for pk, topic_id, start in existing if (topic_id, start) in gone]
    for i in range(0, len(stale), 10_000):
        TrendBucket.objects.filter(id__in=stale[i : i + 10_000]).delete()


def _span_q(spans, topic_field, time_field, length):
    """One Q term per distinct [first, last] span (a batch's topics mostly share one): a few
    OR terms instead of one per topic. Still exact: every bucket inside is recomputed."""
    by_span = defaultdict(list)
    for topic_id, span in spans.items():
        by_span[span].append(topic_id)
    return reduce(
        operator.or_,
        (
            Q(
                **{
                    f"{topic_field}__in": sorted(ids),
                    f"{time_field}__gte": first,
                    f"{time_field}__lt": last + length,
                }
            )
            for (first, last), ids in by_span.items()
        ),
    )


def _spans(keys):
    spans = {}
    for topic_id, start in keys:
        first, last = spans.get(topic_id, (start, start))
        spans[topic_id] = (min(first, start), max(last, start))
    return spans


def _lock(topic_ids):
    if connection.vendor == "postgresql" and topic_ids:
        with connection.cursor() as cursor:  # one sorted order everywhere: no deadlock
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(%s, t::int)) FROM unnest(%s::bigint[]) AS t",
                [LOCK_NAMESPACE, sorted(topic_ids)],
            )


def trend_buckets_refresh(*, hours, stages=STAGES, now=None):
    """Recompute the hourly buckets of the given (topic id, hour start) pairs, then their days
    and weeks. Returns how many hourly buckets were touched and how many were left for later
    because they lie in the future."""
    limit = hour_floor(now or timezone.now())
    keys = {(topic_id, hour_floor(start)) for topic_id, start in hours}
    future = {key for key in keys if key[1] > limit}
    keys -= future
    if not keys:
        return {"hours": 0, "future_hours": len(future)}
    spans = _spans(keys)
    periods = {
        granularity: {(topic_id, floor(start)) for topic_id, start in keys}
        for granularity, (_trunc, _length, floor) in ROLLUPS.items()
    }
    with transaction.atomic():
        _lock(spans)
        for stage in stages:
            _write(stage, "hour", keys, _hourly_from_predictions(stage, spans))
            for granularity, touched in periods.items():
                rolled = _rollup_from_hours(stage, granularity, _spans(touched))
                _write(stage, granularity, touched, rolled)
    return {"hours": len(keys), "future_hours": len(future)}


def post_hours(post_ids):
    """The (topic, hour) pairs the given posts fall in."""
    rows = PostTopic.objects.filter(post_id__in=post_ids).values_list("topic_id", "post_created_at")
    return {(topic_id, hour_floor(created)) for topic_id, created in rows}


def trend_buckets_refresh_window(*, start, end, topic_ids=None, stages=STAGES, now=None):
    """Refresh every bucket with posts created in [start, end) (a propagation window, the
    recent hours the beat task revisits)."""
    links = PostTopic.objects.filter(
        post_id__in=Post.objects.filter(created_at__gte=start, created_at__lt=end).values("id")
    )
    if topic_ids is not None:
        links = links.filter(topic_id__in=topic_ids)
    hours = {
        (topic_id, hour_floor(created))
        for topic_id, created in links.values_list("topic_id", "post_created_at").distinct()
    }
    return trend_buckets_refresh(hours=hours, stages=stages, now=now)


def trend_buckets_rebuild(*, topic_ids=None, chunk_days=7, now=None, log=lambda _: None):
    """Recompute every bucket from the raw rows, a week of posts at a time (repair, or after a
    watchlist's rules changed), then delete the buckets no post backs any more. Buckets are
    rewritten in place, so dashboards never see them empty and the detector keeps its hot
    flags."""
    started = timezone.now()
    links = PostTopic.objects.all()
    buckets = TrendBucket.objects.all()
    if topic_ids is not None:
        links, buckets = (
            links.filter(topic_id__in=topic_ids),
            buckets.filter(topic_id__in=topic_ids),
        )
    times = links.order_by().values_list("post_created_at", flat=True)
    first, last = (
        times.order_by("post_created_at").first(),
        times.order_by("-post_created_at").first(),
    )
    total = {"hours": 0, "future_hours": 0}
    start = week_floor(first) if first else None
    while start is not None and start <= last:
        end = start + dt.timedelta(days=chunk_days)
        report = trend_buckets_refresh_window(start=start, end=end, topic_ids=topic_ids, now=now)
        total = {key: total[key] + report[key] for key in total}
        log(f"{start:%Y-%m-%d}: {report['hours']} topic-hours")
        start = end
    stale, _ = buckets.filter(updated_at__lt=started).delete()
    return {**total, "stale_deleted": stale}
