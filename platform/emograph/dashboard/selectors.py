from django.db.models import Count

from emograph.emotions.models import EmotionPrediction
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


def recent_import_jobs(*, limit=5):
    return list(ImportJob.objects.order_by("-created_at")[:limit])
