from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    """One import of one file (or API batch): the provenance every imported post points to."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Channel(models.TextChoices):
        ADMIN = "admin", "Admin upload"
        CLI = "cli", "Command line"
        API = "api", "REST API"

    channel = models.CharField(max_length=8, choices=Channel.choices)
    format = models.CharField(max_length=32)
    original_name = models.CharField(max_length=255, blank=True)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="importjob_status_time")]

    def __str__(self):
        return f"#{self.pk} {self.format} {self.original_name} ({self.status})"
