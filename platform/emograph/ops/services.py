import os
import platform

from django.utils import timezone

from .models import WorkerHeartbeat


def heartbeat_record(*, hostname, queue):
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname,
        queue=queue,
        defaults={
            "pid": os.getpid(),
            "python_version": platform.python_version(),
            "platform_module": platform.__file__,
            "seen_at": timezone.now(),
        },
    )
    return heartbeat
