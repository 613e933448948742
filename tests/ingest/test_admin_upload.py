import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from emograph.social.models import Post
from ingest.admin import spreadsheet_safe
from ingest.models import ImportJob

from .helpers import csv_text, jsonl_text

pytestmark = pytest.mark.django_db
T = "2026-11-01T08:00:00Z"


def upload(client, name, content, **fields):
    return client.post(
        reverse("admin:ingest_importjob_add"),
        {"file": SimpleUploadedFile(name, content.encode()), "format": "", "source": "", **fields},
    )


def test_upload_runs_the_job_and_shows_progress_counts_and_errors(
    client, admin_user, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    content = csv_text(
        [
            ["1", "weibo", T, "good", "", "", "", ""],
            ["2", "weibo", "tomorrow", "bad date", "", "", "", ""],
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "posts.csv", content)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert (job.channel, job.format, job.status, job.original_name) == (
        "admin", "csv", "succeeded", "posts.csv",
    )  # fmt: skip
    assert (job.rows_created, job.rows_rejected) == (1, 1)
    page = client.get(reverse("admin:ingest_importjob_change", args=[job.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "100%" in text
    assert "is not an ISO 8601 date-time" in text
    assert "Download all 1 as CSV" in text
    assert Post.objects.get().text == "good"


def test_error_report_csv_escapes_formula_cells(
    client, admin_user, django_capture_on_commit_callbacks
):
    """File names and unknown JSONL keys are untrusted and reach the report's cells verbatim."""
    client.force_login(admin_user)
    content = jsonl_text(
        [
            {"id": "1", "source": "weibo", "created_at": T, "text": "x", "=HYPERLINK(1)": 1},
            {"id": "2", "source": "weibo", "created_at": T, "text": "x", "@SUM(A1)": 1},
            {"id": "3", "source": "weibo", "created_at": T, "text": "fine"},
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, "-report.jsonl", content)
    job = ImportJob.objects.get()
    assert (job.rows_created, job.rows_rejected) == (1, 2)
    response = client.get(reverse("admin:ingest_importjob_errors", args=[job.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row[:3] for row in rows] == [
        ["file", "line", "field"],
        ["'-report.jsonl", "1", "'=HYPERLINK(1)"],
        ["'-report.jsonl", "2", "'@SUM(A1)"],
    ]
    assert rows[1][3].startswith("unknown field; the fields are id, source")


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_spreadsheet_safe_prefixes_formula_starts(value):
    assert spreadsheet_safe(value) == "'" + value


def test_spreadsheet_safe_leaves_plain_text():
    assert spreadsheet_safe("line 3: bad date") == "line 3: bad date"
    assert spreadsheet_safe(42) == "42"


def test_upload_refuses_unknown_extension(client, admin_user):
    client.force_login(admin_user)
    response = upload(client, "posts.xlsx", "x")
    assert response.status_code == 200
    assert "Cannot tell the format of posts.xlsx; choose one." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_viewer_cannot_upload(client, user):
    from django.contrib.auth.models import Group

    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="viewer"))
    client.force_login(user)
    assert client.get(reverse("admin:ingest_importjob_add")).status_code == 403
    assert client.get(reverse("admin:ingest_importjob_changelist")).status_code == 200


def test_a_job_page_is_read_only(client, admin_user, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, "posts.csv", csv_text([["1", "weibo", T, "good", "", "", "", ""]]))
    page = client.get(reverse("admin:ingest_importjob_change", args=[ImportJob.objects.get().pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
