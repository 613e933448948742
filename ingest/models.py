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
    source = models.CharField(
        max_length=64, blank=True, help_text="Source slug for formats whose rows don't name one."
    )
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    resume_after_line = models.PositiveIntegerField(
        default=0, help_text="Rows up to this line are committed; a rerun continues after it."
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

    @property
    def progress_percent(self):
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.bytes_total:
            return 0
        return min(99, int(100 * self.bytes_done / self.bytes_total))

    @property
    def is_finished(self):
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class ImportRowError(models.Model):
    """A rejected row: where it was and why. Good rows of the same file still land."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    file = models.CharField(max_length=255)
    line = models.PositiveIntegerField()
    field = models.CharField(max_length=64, blank=True)
    message = models.TextField()

    class Meta:
        ordering = ["job", "line", "id"]
        indexes = [models.Index(fields=["job", "line"], name="importrowerror_job_line")]

    def __str__(self):
        return f"{self.file}:{self.line} {self.field} {self.message}"
