"""An import on a real worker survives the worker process being killed half-way."""

import os
import signal
import time

import pytest
from django.core.files.base import ContentFile

from emograph.social.models import Post
from ingest.models import ImportJob
from ingest.services import import_job_enqueue

from ..conftest import running_worker
from ..ingest.helpers import csv_text

pytestmark = pytest.mark.worker
ROWS = 30_000


def wait_until(check, *, what, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ImportJob.objects.get()
        if check(job):
            return job
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}: {ImportJob.objects.values().get()}")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_killed_worker_import_resumes_without_duplicates(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    rows = [
        [f"p{i}", "weibo", "2026-11-01T08:00:00Z", f"post number {i}", f"u{i % 97}", "",
         f"p{i // 3}" if i else "", "t"]
        for i in range(ROWS)
    ]  # fmt: skip
    job = ImportJob(channel="admin", format="csv", original_name="big.csv")
    job.file.save("big.csv", ContentFile(csv_text(rows).encode()), save=True)

    with running_worker(
        tmp_path, pool="prefork", env={"MEDIA_ROOT": str(tmp_path / "media")}
    ) as worker:
        import_job_enqueue(job=job)  # autocommit: on_commit runs at once
        wait_until(lambda j: j.rows_created > 0, what="the first committed batch")
        [child] = worker.pool_children()
        os.kill(child, signal.SIGKILL)  # like the OOM killer: no cleanup runs in the child
        killed_at = ImportJob.objects.get().resume_after_line
        assert killed_at < ROWS + 1, "the import finished before the kill; make the file bigger"
        done = wait_until(lambda j: j.status == "succeeded", what="the redelivered import")

    assert "WorkerLostError" in worker.log.read_text()  # the kill really happened mid-task
    assert (done.rows_total, done.rows_created, done.rows_rejected) == (ROWS, ROWS, 0)
    assert Post.objects.count() == ROWS
    assert Post.objects.filter(parent__isnull=True).count() == 1  # every reply linked
