"""The admin upload, the CLI and the REST API end in the same database state on the same data,
and importing it again through any of them changes nothing."""

import json

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from emograph.social.models import Author, Post, Source, Topic

from ..factories import UserFactory
from .helpers import cli_import, jsonl_text, snapshot, write

pytestmark = pytest.mark.django_db
T = "2026-11-01T08:00:00+08:00"
POSTS = [
    {"id": "r1", "created_at": T, "text": "Dam breached upstream", "author": "u1",
     "author_name": "alice", "topics": ["flood"], "language": "en", "label": "fear"},
    {"id": "c1", "created_at": T, "text": "Is this confirmed?", "author": "u2",
     "author_name": "bob", "parent_id": "r1", "topics": ["flood", "#rumour"]},
    {"id": "c2", "created_at": T, "text": "我们这里也停电了", "author": "u3", "parent_id": "c1",
     "language": "zh"},
    {"id": "bad", "created_at": "2026-11-01 08:00", "text": "no zone"},
    {"id": "c3", "created_at": T, "text": "waiting for a parent", "parent_id": "later"},
]  # fmt: skip


def reset():
    Post.objects.all().delete()
    Author.objects.all().delete()
    Topic.objects.all().delete()
    Source.objects.all().delete()


def via_cli(tmp_path):
    return cli_import(write(tmp_path, "posts.jsonl", jsonl_text(POSTS)), "--source", "weibo")


def via_admin(client, capture):
    with capture(execute=True):
        response = client.post(
            reverse("admin:ingest_importjob_add"),
            {
                "file": SimpleUploadedFile("posts.jsonl", jsonl_text(POSTS).encode()),
                "format": "",
                "source": "weibo",
            },
        )
    assert response.status_code == 302


def via_api(api):
    response = api.post("/api/v1/posts?source=weibo", json.loads(json.dumps(POSTS)), format="json")
    assert response.status_code == 200
    return response.json()


def test_three_ways_in_end_in_the_same_state(
    tmp_path, client, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(admin)
    analyst = UserFactory(username="ana")
    analyst.groups.add(Group.objects.get(name="analyst"))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=analyst).key}")

    job = via_cli(tmp_path)
    assert (job.rows_created, job.rows_rejected) == (4, 1)
    from_cli = snapshot()
    assert any(row[1] == "c2" and row[6] == "c1" for row in from_cli)  # linked

    reset()
    via_admin(client, django_capture_on_commit_callbacks)
    assert snapshot() == from_cli

    reset()
    body = via_api(api)
    assert body["counts"] == {"created": 4, "updated": 0, "unchanged": 0, "rejected": 1}
    assert snapshot() == from_cli

    # Again, through each way: nothing changes.
    assert via_cli(tmp_path).rows_unchanged == 4
    via_admin(client, django_capture_on_commit_callbacks)
    assert [r["status"] for r in via_api(api)["results"]] == [
        "unchanged", "unchanged", "unchanged", "rejected", "unchanged",
    ]  # fmt: skip
    assert snapshot() == from_cli
