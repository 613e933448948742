from django.db import models


class WorkerHeartbeat(models.Model):
    """Last sign of life of a Celery worker on a queue, written by the worker itself.

    It also records what the worker process really imported as `platform`, which must be the
    standard library module (our source root is a folder named platform/)."""

    hostname = models.CharField(max_length=255)
    queue = models.CharField(max_length=64)
    pid = models.PositiveIntegerField()
    python_version = models.CharField(max_length=32)
    platform_module = models.CharField(max_length=500, help_text="File of the imported `platform`.")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hostname", "queue"], name="heartbeat_unique_worker_queue"
            )
        ]
        ordering = ["queue", "hostname"]

    def __str__(self):
        return f"{self.hostname} on {self.queue}"
