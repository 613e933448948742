"""A real worker process on a real broker executes tasks and writes to the database."""

import os
import time

import pytest

from emograph.ops.models import WorkerHeartbeat
from emograph.ops.tasks import worker_heartbeat

from ..test_layout import is_stdlib_platform

pytestmark = pytest.mark.worker


def wait_for(query, *, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if query.exists():
            return query.get()
        time.sleep(0.2)
    pytest.fail(f"no {what} within {timeout}s: is the worker consuming the queue?")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("queue", ["default", "gpu"])
def test_worker_consumes_queue_and_writes_to_the_database(celery_worker, queue):
    worker_heartbeat.apply_async(queue=queue)
    heartbeat = wait_for(
        WorkerHeartbeat.objects.filter(hostname=celery_worker, queue=queue),
        what=f"heartbeat row from {celery_worker} on {queue!r}",
    )
    # The row came from the worker process: its pid is not ours, its `platform` is the stdlib's.
    assert heartbeat.pid != os.getpid()
    assert is_stdlib_platform(heartbeat.platform_module)
