"""Reads for dashboards and the API: always from the trend buckets, never the raw predictions."""

import datetime as dt

from django.db.models import F, Q, Sum

from emograph.emotions.taxonomy import EMOTIONS, NEGATIVE_EMOTIONS
from emograph.social.models import Topic

from .models import BUCKET_VALUES, Alert, TrendBucket
from .trends import day_floor, hour_floor

NEGATIVE_COUNT = sum((F(f"n_{e}") for e in NEGATIVE_EMOTIONS[1:]), F(f"n_{NEGATIVE_EMOTIONS[0]}"))
STEP = {"hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1), "week": dt.timedelta(days=7)}


def topic_series(*, topic_id, start, end, stage="content", granularity="hour"):
    """One row per bucket in [start, end), oldest first: posts, share of posts labelled
    negative, and the mean probability of each emotion. Empty buckets are left out."""
    rows = (
        TrendBucket.objects.filter(
            topic_id=topic_id, stage=stage, granularity=granularity, start__gte=start, start__lt=end
        )
        .order_by("start")
        .values_list("start", *BUCKET_VALUES)
    )
    series = []
    for start_, n, *values in rows:
        sums, counts = values[: len(EMOTIONS)], values[len(EMOTIONS) :]
        negative = sum(c for e, c in zip(EMOTIONS, counts, strict=True) if e in NEGATIVE_EMOTIONS)
        series.append(
            {
                "start": start_,
                "n": n,
                "negative_share": negative / n if n else 0.0,
                "mean": {e: s / n if n else 0.0 for e, s in zip(EMOTIONS, sums, strict=True)},
                "labels": dict(zip(EMOTIONS, counts, strict=True)),
            }
        )
    return series


def topic_latest_bucket(*, topic_id, stage="content", granularity="hour"):
    """Start of the topic's newest bucket, or None: charts of quiet topics end there, not at
    an empty 'now'."""
    return (
        TrendBucket.objects.filter(topic_id=topic_id, stage=stage, granularity=granularity)
        .order_by("-start")
        .values_list("start", flat=True)
        .first()
    )


def topics_negative_shift(
    *, now, stage="content", recent_hours=24, baseline_days=7, min_posts=20, limit=10
):
    """Topics whose share of negative posts rose most: the last `recent_hours` hours against the
    `baseline_days` whole days before them. Topics with fewer than `min_posts` posts in either
    window are left out (a share of three posts means nothing)."""
    recent_start = hour_floor(now) - dt.timedelta(hours=recent_hours)
    baseline_end = day_floor(recent_start)
    recent = Q(granularity="hour", start__gte=recent_start, start__lt=hour_floor(now))
    baseline = Q(
        granularity="day",
        start__gte=baseline_end - dt.timedelta(days=baseline_days),
        start__lt=baseline_end,
    )
    rows = (
        TrendBucket.objects.filter(recent | baseline, stage=stage)
        .values("topic")
        .annotate(
            recent_n=Sum("n", filter=recent),
            recent_negative=Sum(NEGATIVE_COUNT, filter=recent),
            baseline_n=Sum("n", filter=baseline),
            baseline_negative=Sum(NEGATIVE_COUNT, filter=baseline),
        )
        .filter(recent_n__gte=min_posts, baseline_n__gte=min_posts)
        .order_by()
    )
    shifts = [
        {
            "topic_id": r["topic"],
            "recent_posts": r["recent_n"],
            "recent_share": r["recent_negative"] / r["recent_n"],
            "baseline_posts": r["baseline_n"],
            "baseline_share": r["baseline_negative"] / r["baseline_n"],
        }
        for r in rows
    ]
    for row in shifts:
        row["shift"] = row["recent_share"] - row["baseline_share"]
    shifts.sort(key=lambda r: (-r["shift"], r["topic_id"]))
    shifts = shifts[:limit]
    names = Topic.objects.in_bulk([r["topic_id"] for r in shifts])
    for row in shifts:
        row["topic"] = names[row["topic_id"]]
    return shifts


def alerts_for_list(*, state=None, topic_id=None):
    alerts = Alert.objects.select_related("topic", "acknowledged_by", "resolved_by")
    if state:
        alerts = alerts.filter(state=state)
    if topic_id:
        alerts = alerts.filter(topic_id=topic_id)
    return alerts


def topics_for_list(*, kind=None, query=""):
    topics = Topic.objects.all()
    if kind:
        topics = topics.filter(kind=kind)
    if query:
        topics = topics.filter(Q(name__icontains=query) | Q(slug__icontains=query))
    return topics.order_by("kind", "slug")
