import csv
import io
import json

from django.core.management import call_command

from emograph.social.models import Post
from ingest.models import ImportJob

HEADER = ["id", "source", "created_at", "text", "author", "author_name", "parent_id", "topics"]


def csv_text(rows, header=HEADER):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def jsonl_text(objects):
    return "".join(json.dumps(obj, ensure_ascii=False) + "\n" for obj in objects)


def cli_import(path, *args):
    call_command(
        "import_posts",
        str(path),
        "--no-progress",
        *args,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    return ImportJob.objects.latest("id")


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def errors_of(job):
    return [(e.line, e.field, e.message) for e in job.row_errors.order_by("line")]


def ids():
    return sorted(Post.objects.values_list("external_id", flat=True))


def snapshot():
    """Everything an import decides, in a comparable form."""
    return sorted(
        (
            p.source.slug,
            p.external_id,
            p.text,
            p.language,
            p.created_at.isoformat(),
            p.parent_external_id,
            p.parent.external_id if p.parent else None,
            p.author.external_id if p.author else None,
            p.author.handle if p.author else None,
            tuple(sorted(p.topics.values_list("slug", flat=True))),
            tuple(p.images.values_list("sha256", flat=True)),
            tuple(p.emotion_predictions.values_list("stage", "label")),
        )
        for p in Post.objects.select_related("source", "author", "parent")
    )
