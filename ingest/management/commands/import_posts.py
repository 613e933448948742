"""python manage.py import_posts PATH [--format F] [--source S]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ingest import formats
from ingest.models import ImportJob
from ingest.records import FileRejected
from ingest.services import import_job_create, import_job_run

SHOW_ERRORS = 20


class Command(BaseCommand):
    help = "Import posts from a file (CSV, JSONL, ZIP with images, or a known public data set)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--format",
            choices=formats.ALL,
            help="Defaults from the extension (.csv, .jsonl, .zip); public data sets need it.",
        )
        parser.add_argument("--source", default="", help="Source slug for rows that name none.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *, path, format, source, no_progress, **options):
        format = format or formats.EXTENSIONS.get(path.suffix.lower())
        if format is None:
            raise CommandError(f"{path}: cannot tell the format from the extension; use --format")
        if not path.exists():
            raise CommandError(f"{path}: no such file or directory")
        try:
            job = import_job_create(
                channel=ImportJob.Channel.CLI, format=format, path=path, source=source
            )
        except FileRejected as error:
            raise CommandError(str(error)) from None
        with tqdm(
            total=None, unit="B", unit_scale=True, disable=no_progress, desc=path.name
        ) as bar:

            def progress(job):
                bar.total = job.bytes_total or None
                bar.n = job.bytes_done if job.bytes_total else job.rows_total
                bar.unit = "B" if job.bytes_total else " rows"
                bar.set_postfix(created=job.rows_created, rejected=job.rows_rejected)

            job = import_job_run(job_id=job.pk, path=path, progress=progress)
        self.report(job)

    def report(self, job):
        for error in job.row_errors.all()[:SHOW_ERRORS]:
            self.stderr.write(
                f"  rejected: {error.file}, line {error.line}"
                + (f", field '{error.field}'" if error.field else "")
                + f": {error.message}"
            )
        if job.rows_rejected > SHOW_ERRORS:
            self.stderr.write(f"  ... and {job.rows_rejected - SHOW_ERRORS} more (see the admin)")
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(f"import #{job.pk} failed: {job.error}")
        self.stdout.write(
            self.style.SUCCESS(
                f"import #{job.pk}: {job.rows_total} rows, {job.rows_created} created, "
                f"{job.rows_updated} updated, {job.rows_unchanged} unchanged, "
                f"{job.rows_rejected} rejected"
            )
        )
