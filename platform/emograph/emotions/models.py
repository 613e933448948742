"""Emotion predictions: a full probability vector per post, with where it came from."""

from django.conf import settings
from django.db import models

from .taxonomy import EMOTIONS


class Stage(models.TextChoices):
    CONTENT = "content", "Content (text + image)"
    GRAPH = "graph", "Graph (after propagation)"
    HUMAN = "human", "Human annotation"


# Member ANGER, value "anger", label "Anger": the stored value is the taxonomy name.
Emotion = models.TextChoices(
    "Emotion", [(name.upper(), (name, name.capitalize())) for name in EMOTIONS]
)


class EmotionPrediction(models.Model):
    """One model version's (or one annotator's) emotion for one post at one stage.

    Probabilities are one column per class rather than a JSON blob so trend aggregates are
    plain SQL AVG/SUM. A new model version writes a new row; rows are never overwritten by a
    different model (unique on post, stage, model name, model version).
    """

    post = models.ForeignKey(  # indexed through the unique constraint, which starts with it
        "social.Post", on_delete=models.CASCADE, related_name="emotion_predictions", db_index=False
    )
    stage = models.CharField(max_length=8, choices=Stage.choices)
    model_name = models.CharField(max_length=100, help_text="Model, or 'annotator' for humans.")
    model_version = models.CharField(max_length=64, help_text="Version tag or weights hash.")
    p_anger = models.FloatField()
    p_disgust = models.FloatField()
    p_fear = models.FloatField()
    p_joy = models.FloatField()
    p_sadness = models.FloatField()
    p_surprise = models.FloatField()
    p_neutral = models.FloatField()
    label = models.CharField(max_length=8, choices=Emotion.choices, help_text="Most likely class.")
    confidence = models.FloatField(help_text="Probability of the label.")
    details = models.JSONField(
        default=dict, blank=True, help_text="Per-modality contributions and other explanations."
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,  # partial index below: machine rows (nearly all) have none
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "stage", "model_name", "model_version"],
                name="prediction_unique_per_model_version",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    *(models.Q(**{f"p_{e}__gte": 0.0, f"p_{e}__lte": 1.0}) for e in EMOTIONS)
                ),
                name="prediction_probabilities_in_unit_range",
            ),
        ]
        indexes = [
            models.Index(fields=["post", "stage", "-created_at"], name="prediction_post_latest"),
            models.Index(fields=["stage", "model_name", "model_version"], name="prediction_model"),
            models.Index(
                fields=["annotator"],
                name="prediction_annotator",
                condition=models.Q(annotator__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.post_id} {self.stage} {self.label} ({self.confidence:.2f})"

    @property
    def probabilities(self):
        return [getattr(self, f"p_{e}") for e in EMOTIONS]


class Modality(models.TextChoices):
    TEXT = "text", "Text"
    IMAGE = "image", "Image"


class PostEmbedding(models.Model):
    """Encoder features of one post's text (or pooled images), as float16 bytes.

    Keyed by encoder name and version, so a new encoder embeds everything again while a new
    head over the same encoder re-scores from these rows without touching the encoder.
    `content_hash` is the post's at embedding time: an updated post's row is stale and
    re-embedded, an unchanged one never is.
    """

    post = models.ForeignKey("social.Post", on_delete=models.CASCADE, related_name="embeddings")
    modality = models.CharField(max_length=8, choices=Modality.choices)
    model_name = models.CharField(max_length=100)
    model_version = models.CharField(max_length=64)
    content_hash = models.CharField(max_length=64)
    dim = models.PositiveIntegerField()
    vector = models.BinaryField(help_text="float16, little-endian, `dim` values.")
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "modality", "model_name", "model_version"],
                name="embedding_unique_per_encoder_version",
            ),
        ]

    def __str__(self):
        return f"{self.post_id} {self.modality} {self.model_name}@{self.model_version}"


class ImageAnalysis(models.Model):
    """What the image models saw in one stored image, computed once per set of model versions.

    The embedding (EfficientNet-Lite0, float16) feeds the graph model and future fusion heads;
    the faces' expression mix (FER2013) and the text read inside the image (OCR) are the
    image's direct emotion evidence. `problem` records an image that could not be read: its
    post is then scored from its text, and the reason is kept here and in the prediction.
    """

    image = models.ForeignKey("social.PostImage", on_delete=models.CASCADE, related_name="analyses")
    models_version = models.CharField(
        max_length=200, help_text="name@version of the embedding, face and OCR models."
    )
    dim = models.PositiveIntegerField(default=0)
    embedding = models.BinaryField(blank=True, help_text="float16, little-endian; empty if unread.")
    faces = models.PositiveSmallIntegerField(default=0)
    face_probabilities = models.JSONField(
        null=True, blank=True, help_text="Area-weighted expression mix, taxonomy order."
    )
    ocr_text = models.TextField(blank=True)
    problem = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["image", "models_version"], name="image_analysis_unique_per_models"
            ),
        ]

    def __str__(self):
        return f"image {self.image_id}: {self.faces} faces, {len(self.ocr_text)} chars of text"
