"""Import jobs: one code path for the admin upload, the CLI and the REST API.

A job streams its input in batches. Each batch is one transaction: its posts, its rejected rows
and the job's counters and resume point commit together, so a worker killed mid-import leaves a
consistent job that a rerun continues (rows up to `resume_after_line` are skipped; the upsert is
idempotent anyway, so even a full rerun ends in the same state).
"""

import hashlib
import io
import itertools
import queue
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Now
from django.utils import timezone

from emograph.emotions.services import posts_queue_for_scoring
from emograph.social.models import PostImage

from . import formats
from .archive import ArchiveRejected, ImportArchive
from .images import ImageRejected, prepare_image, sha256_of
from .models import ImportJob, ImportRowError
from .records import FileRejected, RawRow, RowError, validate_row
from .upsert import ParentCycle, StoredImage, batch_write, record_keys

BATCH_SIZE = 10_000


def import_job_create(*, channel, format, path="", uploaded_file=None, source="", user=None):
    if format not in formats.ALL:
        raise FileRejected(f"unknown format {format!r}; known formats: {', '.join(formats.ALL)}")
    job = ImportJob(channel=channel, format=format, source=source, created_by=user)
    if uploaded_file is not None:
        job.original_name = Path(uploaded_file.name).name[:255]
        job.file.save(job.original_name, uploaded_file, save=False)
    else:
        job.original_name = str(path)[-255:]
    job.save()
    return job


def import_job_enqueue(*, job):
    from .tasks import import_job_run_task

    transaction.on_commit(lambda: import_job_run_task.delay(job.pk))


def import_job_run(*, job_id, path=None, progress=None):
    """Run (or resume) a job to the end. `path` is for CLI jobs whose file is not in storage;
    `progress(job)` is called after every batch."""
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(status=ImportJob.Status.RUNNING, started_at=Coalesce(F("started_at"), Now()))
    job = ImportJob.objects.get(pk=job_id)
    if not claimed:
        return job  # finished already: reruns of a delivered task are no-ops
    try:
        with open_input(job, path=path) as data:
            ImportJob.objects.filter(pk=job.pk).update(bytes_total=data.bytes_total)
            rows_import(job, data, progress=progress)
    except (FileRejected, ArchiveRejected) as error:
        return job_finish(job, status=ImportJob.Status.FAILED, error=str(error))
    except Exception as error:
        job_finish(job, status=ImportJob.Status.FAILED, error=f"internal error: {error!r}")
        raise
    return job_finish(job, status=ImportJob.Status.SUCCEEDED)


def job_finish(job, *, status, error=""):
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, error=error[:5000], finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


@dataclass
class ImportInput:
    rows: object  # iterator of RawRow | RowError
    file_name: str
    load_image: object  # callable(name) -> bytes, or None when the format carries no files
    bytes_total: int
    bytes_read: object  # callable() -> bytes of the input read so far, for progress


class CountingReader(io.RawIOBase):
    """Counts bytes read, for progress, without buffering anything itself."""

    def __init__(self, raw):
        self.raw = raw
        self.count = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = self.raw.readinto(buffer)
        self.count += n or 0
        return n


@contextmanager
def open_input(job, *, path=None):
    file_name = Path(job.original_name).name
    if path is None and not job.file:
        raise FileRejected(f"{file_name}: the import file is missing")
    location = Path(path) if path is not None else Path(job.file.path)
    if not location.exists():
        raise FileRejected(f"{file_name}: no such file")
    if job.format in formats.PUBLIC:
        reader = formats.PUBLIC[job.format]
        try:
            rows = reader(location, **({"source": job.source} if job.source else {}))
        except ValueError as error:
            raise FileRejected(str(error)) from None
        yield ImportInput(rows, file_name, None, 0, lambda: 0)
        return
    if job.format == "zip":
        with ImportArchive(location, name=file_name) as archive, archive.open_data() as raw:
            counter = CountingReader(raw)
            reader = formats.GENERIC[archive.data_format]
            rows = reader(
                io.BufferedReader(counter), file_name=archive.data_name, source=job.source
            )
            total = archive.data_size
            yield ImportInput(
                rows, archive.data_name, archive.read_image, total, lambda: counter.count
            )
        return
    with location.open("rb") as raw:
        counter = CountingReader(raw)
        reader = formats.GENERIC[job.format]
        rows = reader(io.BufferedReader(counter), file_name=file_name, source=job.source)
        loader = folder_image_loader(location.parent) if path is not None else None
        yield ImportInput(rows, file_name, loader, location.stat().st_size, lambda: counter.count)


def folder_image_loader(folder):
    """Images named by a CSV/JSONL on disk live beside it; names may not leave that folder."""
    root = folder.resolve()

    def load(name):
        target = (root / name).resolve()
        if not target.is_relative_to(root):
            raise ImageRejected(f"{name}: the image path leaves the import folder")
        if not target.is_file():
            raise LookupError(name)
        return target.read_bytes()

    return load


def rows_import(job, data, *, progress=None, results=None):
    """The batch loop. `results`, when given (API), collects line -> (status, message).

    Reading and validating the next batch (pure Python, no database) runs in a thread while
    this one waits for PostgreSQL to write the current batch: on two cores that overlap is
    most of the import's speed."""
    gold_model = f"gold:{job.format}"
    batches = checked_batches(data, resume_after=job.resume_after_line)
    for records, errors, last_line, bytes_read, keys in read_ahead(batches):
        images = {}
        for record in [r for r in records if r.images]:
            stored = images_store(record, data)
            if isinstance(stored, RowError):
                errors.append(stored)
                records.remove(record)
            else:
                images[record.line] = stored
        outcome = batch_commit(
            job, records, errors, images, keys, gold_model, last_line, bytes_read, data
        )
        if results is not None:
            batch_results(results, records, errors, outcome)
        if progress:
            job.refresh_from_db()
            progress(job)


def checked_batches(data, *, resume_after):
    """(records, errors, last line, bytes read, RecordKeys by line) per batch of the input,
    validated and with in-file duplicate ids rejected; batches an earlier run committed are
    skipped."""
    seen = set()  # 8-byte hashes of (source, id): duplicate ids within one file
    for batch in batched(data.rows, BATCH_SIZE):
        records, errors = [], []
        for item in batch:
            outcome = item if isinstance(item, RowError) else check_row(item, data, seen)
            if isinstance(outcome, RowError):
                if outcome.line > resume_after:
                    errors.append(outcome)
            elif outcome.line > resume_after:
                records.append(outcome)
        last_line = max(item.line for item in batch)
        if last_line > resume_after:
            keys = {r.line: record_keys(r) for r in records}
            yield records, errors, last_line, data.bytes_read(), keys


# While the reader thread runs, this thread hands the GIL over after each database round
# trip and must win it back: at Python's default 5 ms switch interval it waits up to 5 ms each
# time, a dozen times a batch. 0.5 ms made whole imports 12-15 % faster (bench/ingest_bulk.py).
READ_AHEAD_SWITCH_INTERVAL = 0.0005


def read_ahead(iterable, depth=2):
    """Iterate `iterable` in a background thread, up to `depth` items ahead. Exceptions raised
    there (a file rejected half-way) are re-raised here, in order."""
    items = queue.Queue(maxsize=depth)
    done, stop = object(), threading.Event()

    def hand_over(entry):
        while not stop.is_set():  # the consumer may have given up: don't block forever
            try:
                items.put(entry, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in iterable:
                if not hand_over((item, None)):
                    return
        except BaseException as error:  # noqa: BLE001 - handed over to the consumer
            hand_over((None, error))
        else:
            hand_over((done, None))

    thread = threading.Thread(target=produce, name="import-reader", daemon=True)
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(min(switch_interval, READ_AHEAD_SWITCH_INTERVAL))
    thread.start()
    try:
        while True:
            item, error = items.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)
        sys.setswitchinterval(switch_interval)


def batched(iterable, size):
    # itertools.batched arrives in Python 3.12; the project runs on 3.11.
    iterator = iter(iterable)
    while batch := tuple(itertools.islice(iterator, size)):
        yield batch


def check_row(raw, data, seen):
    record = validate_row(raw, file_name=data.file_name)
    if isinstance(record, RowError):
        return record
    key = hashlib.blake2b(f"{record.source}\x00{record.external_id}".encode(), digest_size=8)
    key = int.from_bytes(key.digest())
    if key in seen:
        return RowError(
            data.file_name,
            record.line,
            "id",
            f"duplicate id {record.external_id!r}: it appears earlier in this file",
        )
    seen.add(key)
    return record


def batch_commit(job, records, errors, images, keys, gold_model, last_line, bytes_read, data):
    """Write one batch atomically; a row that closes a parent cycle is rejected and the batch
    retried without it (cycles are rare, so is the retry)."""
    while True:
        try:
            with transaction.atomic():
                outcome = batch_write(
                    records, job=job, images=images, keys=keys, gold_model=gold_model
                )
                ImportRowError.objects.bulk_create(
                    [
                        ImportRowError(
                            job=job,
                            file=e.file[:255],
                            line=e.line,
                            field=e.field[:64],
                            message=e.message,
                        )
                        for e in errors
                    ]
                )
                ImportJob.objects.filter(pk=job.pk).update(
                    rows_total=F("rows_total") + len(records) + len(errors),
                    rows_created=F("rows_created") + len(outcome.created),
                    rows_updated=F("rows_updated") + len(outcome.updated),
                    rows_unchanged=F("rows_unchanged") + outcome.unchanged,
                    rows_rejected=F("rows_rejected") + len(errors),
                    resume_after_line=last_line,
                    bytes_done=bytes_read,
                )
                written = outcome.created + outcome.updated
                transaction.on_commit(lambda ids=written: posts_queue_for_scoring(post_ids=ids))
                return outcome
        except ParentCycle as cycle:
            culprit = cycle_culprit(records, cycle)
            records.remove(culprit)
            errors.append(
                RowError(
                    data.file_name,
                    culprit.line,
                    "parent_id",
                    f"parent cycle: post {culprit.external_id!r} answers {culprit.parent_id!r}, "
                    f"whose chain of parents leads back to {culprit.external_id!r}",
                )
            )


def cycle_culprit(records, cycle):
    """The last row (by line) of this batch among the posts on the cycle: the one closing it.
    (The database was acyclic before the batch, so every cycle runs through the batch.)"""
    members = [r for r in records if r.line in cycle.lines]
    if not members:
        raise RuntimeError(f"parent cycle outside the current batch: {cycle}")
    return max(members, key=lambda r: r.line)


def batch_results(results, records, errors, outcome):
    for error in errors:
        results[error.line] = ("rejected", str(error))
    created, updated = set(outcome.created), set(outcome.updated)
    for record in records:
        post_id = outcome.post_ids.get(record.line)
        status = "created" if post_id in created else "updated" if post_id in updated else None
        results[record.line] = (status or "unchanged", "")


def images_store(record, data):
    """Clean and store every image of a record (content-addressed: a picture already stored is
    reused without decoding). A bad image rejects the whole row."""
    if data.load_image is None:
        message = "names images, but a plain CSV/JSONL upload carries none: upload a ZIP"
        return RowError(data.file_name, record.line, "images", message)
    stored = []
    for name in record.images:
        try:
            content = data.load_image(name)
        except ImageRejected as error:
            return RowError(data.file_name, record.line, "images", str(error))
        except LookupError:
            return RowError(
                data.file_name, record.line, "images", f"image {name!r} is not in the import"
            )
        sha = sha256_of(content)
        known = PostImage.objects.filter(sha256=sha).exclude(file="").first()
        if known is not None:
            stored.append(
                StoredImage(
                    sha, known.file.name, known.thumbnail.name, known.width, known.height, name
                )
            )
            continue
        try:
            prepared = prepare_image(content, name=name)
        except ImageRejected as error:
            return RowError(data.file_name, record.line, "images", str(error))
        path = storage_put(f"images/{sha[:2]}/{sha}{prepared.extension}", prepared.content)
        thumb = storage_put(f"thumbs/{sha[:2]}/{sha}.jpg", prepared.thumbnail)
        stored.append(StoredImage(sha, path, thumb, prepared.width, prepared.height, name))
    return stored


def storage_put(path, content):
    # Content-addressed: an existing file at this path already has these bytes.
    if default_storage.exists(path):
        return path
    return default_storage.save(path, ContentFile(content))


def raw_rows_from_api(items, *, source=""):
    """REST batch items -> RawRows numbered from 1 (the item's index + 1)."""
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            yield RowError("request", index, "", "each item must be a JSON object")
            continue
        fields = dict(item)
        if source and not fields.get("source"):
            fields["source"] = source
        yield RawRow(index, fields)


def posts_import_batch(*, items, source="", user=None):
    """A REST batch: the same validation and upsert as a file, with a result per item."""
    job = ImportJob.objects.create(
        channel=ImportJob.Channel.API,
        format="jsonl",
        source=source,
        created_by=user,
        original_name=f"API batch of {len(items)}",
        status=ImportJob.Status.RUNNING,
        started_at=timezone.now(),
    )
    data = ImportInput(raw_rows_from_api(items, source=source), "request", None, 0, lambda: 0)
    results = {}
    rows_import(job, data, results=results)
    job = job_finish(job, status=ImportJob.Status.SUCCEEDED)
    return job, [
        {
            "index": index - 1,
            "id": item.get("id") if isinstance(item, dict) else None,
            "status": results[index][0],
            **({"error": results[index][1]} if results[index][1] else {}),
        }
        for index, item in enumerate(items, start=1)
    ]
