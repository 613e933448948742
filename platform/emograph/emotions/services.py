"""Writes of emotion predictions."""

import math

from django.conf import settings

from .models import EmotionPrediction
from .taxonomy import EMOTIONS

# Stored probabilities must sum to 1 within this tolerance (float16 round trips lose ~1e-3).
SUM_TOLERANCE = 1e-2


def prediction_fields(*, probabilities):
    """Validate a 7-vector in taxonomy order and return the model fields for it."""
    values = [float(p) for p in probabilities]
    if len(values) != len(EMOTIONS):
        raise ValueError(f"expected {len(EMOTIONS)} probabilities {EMOTIONS}, got {len(values)}")
    if any(not math.isfinite(p) or p < 0.0 or p > 1.0 for p in values):
        raise ValueError(f"probabilities must be finite and within [0, 1], got {values}")
    total = sum(values)
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ValueError(f"probabilities must sum to 1, got {total:.4f}")
    best = max(range(len(values)), key=values.__getitem__)
    fields = {f"p_{e}": p for e, p in zip(EMOTIONS, values, strict=True)}
    return {**fields, "label": EMOTIONS[best], "confidence": values[best]}


def prediction_record(
    *, post, stage, model_name, model_version, probabilities, details=None, annotator=None
):
    """Store one prediction; the same post, stage and model version updates in place
    (a rerun of the same model is idempotent), a new version gets a new row."""
    prediction, _ = EmotionPrediction.objects.update_or_create(
        post=post,
        stage=stage,
        model_name=model_name,
        model_version=model_version,
        defaults={
            **prediction_fields(probabilities=probabilities),
            "details": details or {},
            "annotator": annotator,
        },
    )
    return prediction


# What a rerun of the same model version may change in its existing row.
PREDICTION_UPDATE_FIELDS = [*(f"p_{e}" for e in EMOTIONS), "label", "confidence", "details"]


def predictions_write(post_ids, probabilities, *, stage, model_name, model_version, details):
    """Bulk upsert of one model version's predictions at one stage; `details` per row."""
    rows = [
        EmotionPrediction(
            post_id=post_id,
            stage=stage,
            model_name=model_name,
            model_version=model_version,
            details=detail,
            **prediction_fields(probabilities=probs),
        )
        for post_id, probs, detail in zip(post_ids, probabilities, details, strict=True)
    ]
    EmotionPrediction.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["post", "stage", "model_name", "model_version"],
        update_fields=PREDICTION_UPDATE_FIELDS,
    )


def posts_queue_for_scoring(*, post_ids):
    """Every new or changed post passes through here after its import commits: queued for
    content scoring on the `gpu` queue in batches of EMOGRAPH_SCORE_BATCH ids (run in-process
    when Celery is eager, as in the demo). Returns how many posts were handed over."""
    if not settings.EMOGRAPH_SCORE_ON_IMPORT or not post_ids:
        return 0
    from .tasks import score_posts

    ids = sorted(post_ids)
    size = settings.EMOGRAPH_SCORE_BATCH
    for start in range(0, len(ids), size):
        score_posts.delay(ids[start : start + size])
    return len(ids)
