from django.db.models import Count

from emograph.emotions.models import EmotionPrediction
from emograph.emotions.taxonomy import EMOTIONS
from emograph.social.models import Author, Post, Source, Topic
from ingest.models import ImportJob


def overview_counts():
    """Headline numbers for the home page; cheap COUNTs over indexed tables."""
    by_stage = dict(
        EmotionPrediction.objects.values_list("stage").annotate(n=Count("id")).order_by()
    )
    return {
        "sources": Source.objects.count(),
        "authors": Author.objects.count(),
        "posts": Post.objects.count(),
        "topics": Topic.objects.count(),
        "predictions_by_stage": by_stage,
    }


def content_emotion_mix():
    """Posts per content-emotion label (the newest model's row per post is not singled out:
    with one model version in use, as in the demo, each post counts once)."""
    counts = dict(
        EmotionPrediction.objects.filter(stage="content")
        .values_list("label")
        .annotate(n=Count("id"))
        .order_by()
    )
    total = sum(counts.values())
    return [
        {"label": e, "n": counts.get(e, 0), "share": counts.get(e, 0) / total if total else 0}
        for e in EMOTIONS
    ]


def recent_import_jobs(*, limit=5):
    return list(ImportJob.objects.order_by("-created_at")[:limit])
