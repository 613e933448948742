"""One run of graph propagation over a time window (and optionally one topic)."""

from django.conf import settings
from django.db import models


class PropagationRun(models.Model):
    """What was propagated, by which graph model, and what was skipped or repaired on the way.

    The graph predictions themselves are EmotionPrediction rows (stage `graph`), unique per
    post and model version: rerunning a window updates only the rows whose probabilities moved.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    topic = models.ForeignKey(
        "social.Topic", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    model_name = models.CharField(max_length=100, blank=True)
    model_version = models.CharField(max_length=64, blank=True)
    posts = models.PositiveIntegerField(default=0, help_text="Posts in the window (graph nodes).")
    written = models.PositiveIntegerField(default=0, help_text="Graph predictions written.")
    skipped = models.PositiveIntegerField(
        default=0, help_text="Posts without a content prediction yet: in the graph, not written."
    )
    report = models.JSONField(default=dict, blank=True, help_text="Repairs, skips and timings.")
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_start__lt=models.F("window_end")),
                name="propagation_window_not_empty",
            )
        ]

    def __str__(self):
        topic = f" {self.topic.slug}" if self.topic_id else ""
        start = f"{self.window_start:%Y-%m-%d %H:%M}"
        end = f"{self.window_end:%Y-%m-%d %H:%M}"
        return f"propagation {start} to {end}{topic}"
