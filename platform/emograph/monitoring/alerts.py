"""Crisis alerts: the hourly detector over the trend buckets, the explanation an alert carries,
and its lifecycle (open -> acknowledged -> resolved). The statistics live in `detection`."""

import datetime as dt
from functools import cached_property

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from emograph.emotions.models import EmotionPrediction
from emograph.emotions.taxonomy import EMOTIONS, NEGATIVE_EMOTIONS
from emograph.social.models import Post, Topic

from .detection import SERIES, DetectorSettings, bucket_score, calm, opens, series_counts, severity
from .models import BUCKET_COUNTS, BUCKET_SUMS, Alert, DetectionCursor, TrendBucket
from .trends import HOUR, hour_floor

DEFAULT_DETECTOR = DetectorSettings()
CATCH_UP_HOURS = 48  # a detector down longer than this judges only the last two days
TOP_POSTS = 5


class TopicHours:
    """One topic's hourly buckets on a dense clock from `first`: the detector's input."""

    def __init__(self, first, length):
        self.first = first
        self.n = np.zeros(length)
        self.labels = np.zeros((len(EMOTIONS), length))
        self.sums = np.zeros((len(EMOTIONS), length))
        self.hot = np.zeros(length, bool)

    def index(self, hour):
        return int((hour - self.first) / HOUR)

    @cached_property
    def counts(self):
        """Posts per watched series (5, T); read after `topic_hours` has filled the labels."""
        return series_counts(self.labels)


def hours_between(first, last):
    return int((last - first) / HOUR) + 1


def topic_hours(*, stage, first, last, topic_ids=None):
    """{topic id: TopicHours} for every topic with buckets in [first, last]."""
    length = hours_between(first, last)
    rows = TrendBucket.objects.filter(
        stage=stage, granularity="hour", start__gte=first, start__lte=last
    )
    if topic_ids is not None:
        rows = rows.filter(topic_id__in=topic_ids)
    by_topic = {}
    for topic_id, start, n, hot, *values in rows.values_list(
        "topic_id", "start", "n", "hot", *BUCKET_COUNTS, *BUCKET_SUMS
    ).iterator():
        hours = by_topic.setdefault(topic_id, TopicHours(first, length))
        i = hours.index(start)
        hours.n[i], hours.hot[i] = n, hot
        hours.labels[:, i] = values[: len(EMOTIONS)]
        hours.sums[:, i] = values[len(EMOTIONS) :]
    return by_topic


def alerts_detect(*, now=None, detector=DEFAULT_DETECTOR):
    """Judge every complete hour not judged yet (up to CATCH_UP_HOURS back) for every topic
    with recent buckets or an unresolved alert. Returns counts of what happened."""
    stage = settings.EMOGRAPH_ALERT_STAGE
    last = hour_floor(now or timezone.now()) - HOUR
    first = last - dt.timedelta(days=detector.history_days, hours=CATCH_UP_HOURS + 1)
    recent = TrendBucket.objects.filter(
        stage=stage,
        granularity="hour",
        start__gt=last - dt.timedelta(hours=CATCH_UP_HOURS),
        start__lte=last,
    )
    topic_ids = set(recent.values_list("topic_id", flat=True).distinct())
    topic_ids |= set(
        Alert.objects.exclude(state=Alert.State.RESOLVED).values_list("topic_id", flat=True)
    )
    hours = topic_hours(stage=stage, first=first, last=last, topic_ids=topic_ids)
    report = {"topics": len(topic_ids), "hours": 0, "opened": 0, "resolved": 0}
    for topic in Topic.objects.filter(id__in=topic_ids):
        data = hours.get(topic.id) or TopicHours(first, hours_between(first, last))
        outcome = topic_judge(topic=topic, stage=stage, data=data, last=last, detector=detector)
        for key in ("hours", "opened", "resolved"):
            report[key] += outcome[key]
    return report


def _excluded(data, topic):
    """Hours left out of baselines: the span of every past or open episode (as `replay`)."""
    excluded = np.zeros(len(data.n), bool)
    for started, ended in topic.alerts.values_list("started_at", "ended_at"):
        a = max(data.index(started), 0)
        b = data.index(ended) - 1 if ended else len(excluded) - 1
        excluded[a : b + 1] = True
    return excluded


def topic_judge(*, topic, stage, data, last, detector):
    cursor = DetectionCursor.objects.filter(topic=topic).first()
    begin = last if cursor is None else cursor.judged_until + HOUR
    begin = max(begin, last - dt.timedelta(hours=CATCH_UP_HOURS - 1))
    excluded = _excluded(data, topic)
    alert = topic.alerts.exclude(state=Alert.State.RESOLVED).first()
    outcome = {"hours": 0, "opened": 0, "resolved": 0}
    hour = begin
    t = data.index(hour)
    # An hour's score reads only hours a day or more before it, so the one carried over from
    # the previous iteration is still exact after that iteration's exclusions.
    previous = bucket_score(data.counts, data.n, excluded, t - 1, detector) if t else None
    while hour <= last:
        t = data.index(hour)
        score = bucket_score(data.counts, data.n, excluded, t, detector)
        _bucket_mark(topic, stage, hour, score)
        if alert is None and opens(previous, score, detector):
            started = hour - HOUR if previous is not None and previous.hot.any() else hour
            alert = alert_open(
                topic=topic, stage=stage, data=data, started=started, detected=hour, score=score
            )
            outcome["opened"] += alert is not None
            if alert is not None:
                excluded[data.index(started) : t + 1] = True
        elif alert is not None:
            excluded[t] = True
            quiet = all(
                calm(bucket_score(data.counts, data.n, excluded, i, detector), detector)
                for i in range(t - detector.calm_buckets + 1, t + 1)
            )
            if quiet:
                ended = hour - detector.calm_buckets * HOUR
                outcome["resolved"] += alert_resolve(alert=alert, ended=ended + HOUR)
                excluded[t - detector.calm_buckets + 1 : t + 1] = False  # calm: back in baselines
                alert = None
            else:
                _alert_extend(alert, hour, score)
        outcome["hours"] += 1
        previous = score
        hour += HOUR
    DetectionCursor.objects.update_or_create(topic=topic, defaults={"judged_until": last})
    return outcome


def _bucket_mark(topic, stage, hour, score):
    z = score.z[score.top]
    TrendBucket.objects.filter(topic=topic, stage=stage, granularity="hour", start=hour).update(
        z=float(z) if np.isfinite(z) else None, hot=bool(score.hot.any())
    )


def _alert_extend(alert, hour, score):
    z = score.z[score.top]
    fields = {"last_hour": hour}
    if np.isfinite(z) and z > alert.peak_z:
        fields.update(peak_z=float(z), severity=severity(float(z)))
    Alert.objects.filter(pk=alert.pk).update(**fields)


def alert_open(*, topic, stage, data, started, detected, score):
    """Create the alert for a new episode with its explanation and queue its notifications;
    None when another detector opened one for this topic first."""
    from .notify import notifications_queue

    top = score.top
    z = float(score.z[top])
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                topic=topic,
                stage=stage,
                emotion=SERIES[top],
                severity=severity(z),
                started_at=started,
                detected_at=detected,
                last_hour=detected,
                observed=float(score.observed[top]),
                expected=float(score.expected[top]),
                z=z,
                peak_z=z,
                explanation=alert_explanation(
                    topic=topic,
                    stage=stage,
                    data=data,
                    started=started,
                    detected=detected,
                    score=score,
                ),
            )
            notifications_queue(alert=alert, event="opened")
    except IntegrityError:
        return None
    return alert


def alert_resolve(*, alert, ended, user=None):
    """Resolve an open or acknowledged alert (once: a conditional update). True if it was."""
    from .notify import notifications_queue

    now = timezone.now()
    with transaction.atomic():
        changed = (
            Alert.objects.filter(pk=alert.pk)
            .exclude(state=Alert.State.RESOLVED)
            .update(
                state=Alert.State.RESOLVED, resolved_at=now, resolved_by=user, ended_at=ended or now
            )
        )
        if changed:
            alert.refresh_from_db()
            notifications_queue(alert=alert, event="resolved")
    return bool(changed)


def alert_acknowledge(*, alert, user):
    changed = Alert.objects.filter(pk=alert.pk, state=Alert.State.OPEN).update(
        state=Alert.State.ACKNOWLEDGED, acknowledged_by=user, acknowledged_at=timezone.now()
    )
    return bool(changed)


# --- explanation -------------------------------------------------------------------------


def _mix(data, hours):
    n = data.n[hours].sum()
    if not n:
        return dict.fromkeys(EMOTIONS, 0.0)
    return {e: float(data.sums[i, hours].sum() / n) for i, e in enumerate(EMOTIONS)}


def alert_explanation(*, topic, stage, data, started, detected, score):
    """What an analyst needs to judge an alert without running a query: expected against
    observed per series, how the emotion mix moved, the posts, threads and users behind it."""
    a, t = data.index(started), data.index(detected)
    episode = np.arange(a, t + 1)
    week = np.arange(max(t - 7 * 24, 0), a)
    week = week[~data.hot[week] & (data.n[week] > 0)]
    baseline, now_mix = _mix(data, week), _mix(data, episode)
    n = float(data.n[t])
    emotion = SERIES[score.top]
    t0, t1 = started, detected + HOUR
    return {
        "hour": detected.isoformat(),
        "posts": int(n),
        "series": [
            {
                "name": name,
                "observed": _num(score.observed[i]),
                "expected": _num(score.expected[i]),
                "z": _num(score.z[i]),
                "observed_posts": int(data.counts[i, t]),
                "expected_posts": _num(score.expected[i] * n),
            }
            for i, name in enumerate(SERIES)
        ],
        "mix": {
            "baseline": baseline,
            "episode": now_mix,
            "change": {e: now_mix[e] - baseline[e] for e in EMOTIONS},
        },
        **episode_drivers(topic=topic, stage=stage, t0=t0, t1=t1, emotion=emotion),
        "link": f"{reverse('dashboard:topic', args=[topic.slug])}?stage={stage}"
        f"&focus={detected:%Y-%m-%dT%H:00Z}",
    }


def _num(value):
    value = float(value)
    return round(value, 4) if np.isfinite(value) else None


def episode_drivers(*, topic, stage, t0, t1, emotion):
    """Top posts by the alert's emotion, the threads whose replies turned most negative and
    the users behind them (gnn.analytics.negative_drivers over the episode's reply forest),
    each user with their emotion over the episode's user-reply graph and their influence in it
    (PageRank relative to the average user: 1.0 is average)."""
    from gnn.analytics import negative_drivers
    from gnn.graphs import post_graph

    predictions = {
        p.post_id: p
        for p in EmotionPrediction.objects.filter(
            stage=stage,
            post__posttopic__topic=topic,
            post__posttopic__post_created_at__gte=t0,
            post__posttopic__post_created_at__lt=t1,
        ).order_by("post_id", "created_at", "id")  # the newest per post wins below
    }
    posts = list(
        Post.objects.filter(Q(id__in=predictions) | Q(replies__id__in=predictions))
        .distinct()
        .select_related("author")
    )
    if not posts:
        return {"top_posts": [], "threads": [], "users": []}
    by_id = {p.id: p for p in posts}
    columns = ("anger", "disgust", "fear", "sadness") if emotion == "negative" else (emotion,)

    def strength(prediction):
        return sum(getattr(prediction, f"p_{e}") for e in columns)

    ranked = sorted(predictions.values(), key=lambda p: (-strength(p), p.post_id))[:TOP_POSTS]
    top_posts = [_post_row(by_id[p.post_id], p, strength(p)) for p in ranked]

    ids = np.array(sorted(by_id))
    parents = np.array([by_id[i].parent_id or -1 for i in ids])
    authors = np.array([by_id[i].author_id or -1 for i in ids])
    graph = post_graph(ids, parents, authors, [by_id[i].created_at.timestamp() for i in ids])
    negative = [
        sum(getattr(predictions[i], f"p_{e}") for e in NEGATIVE_EMOTIONS)
        if i in predictions
        else np.nan
        for i in graph.data.post_id.tolist()
    ]
    shifts = [s for s in negative_drivers(graph.data, negative) if s.shift > 0][:TOP_POSTS]
    threads = [
        {
            "root": _post_row(by_id[s.root_post_id], predictions.get(s.root_post_id), None),
            "shift": round(s.shift, 4),
            "replies": s.n_replies,
            "drivers": [d.post_id for d in s.drivers],
        }
        for s in shifts
    ]
    users = {}
    for prediction in predictions.values():
        post = by_id[prediction.post_id]
        if post.author_id and prediction.label in NEGATIVE_EMOTIONS:
            row = users.setdefault(
                post.author_id,
                {
                    "author_id": post.author_id,
                    "handle": str(post.author),
                    "negative_posts": 0,
                    "drives_threads": 0,
                },
            )
            row["negative_posts"] += 1
    for s in shifts:
        for d in s.drivers:
            if d.author_id in users:
                users[d.author_id]["drives_threads"] += 1
    ranked_users = sorted(
        users.values(), key=lambda u: (-u["drives_threads"], -u["negative_posts"], u["author_id"])
    )[:TOP_POSTS]
    _users_describe(ranked_users, ids, parents, authors, predictions)
    return {"top_posts": top_posts, "threads": threads, "users": ranked_users}


def _users_describe(rows, ids, parents, authors, predictions):
    """Add each listed user's emotion over the episode's user-reply graph and influence."""
    from gnn.analytics import pagerank_fast, user_emotions
    from gnn.graphs import user_graph

    unscored = [np.nan] * len(EMOTIONS)
    probabilities = np.array(
        [predictions[i].probabilities if i in predictions else unscored for i in ids.tolist()]
    )
    users = user_graph(ids, parents, authors)
    found = user_emotions(users, authors, probabilities)
    influence = pagerank_fast(users) * users.num_users
    index = {u: i for i, u in enumerate(found.user_id.tolist())}
    negative = [EMOTIONS.index(e) for e in NEGATIVE_EMOTIONS]
    for row in rows:
        i = index[row["author_id"]]
        mix = found.probabilities[i]
        row["emotion"] = EMOTIONS[int(np.argmax(mix))]
        row["negative_share"] = round(float(mix[negative].sum()), 3)
        row["influence"] = round(float(influence[i]), 2)


def _post_row(post, prediction, strength):
    return {
        "id": post.id,
        "text": post.text[:280],
        "author": str(post.author) if post.author_id else "",
        "created_at": post.created_at.isoformat(),
        "label": prediction.label if prediction else None,
        "strength": round(strength, 4) if strength is not None else None,
    }
