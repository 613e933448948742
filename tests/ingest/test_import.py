"""Importing files end to end: good rows land, bad rows are named, reruns change nothing."""

import pytest
from django.core.management import CommandError

from emograph.emotions.models import EmotionPrediction
from emograph.social.models import Author, Post, PostTopic, Topic
from emograph.social.services import pseudonymise
from ingest import services, upsert_copy, upsert_orm
from ingest.models import ImportJob
from ingest.records import RawRow, validate_row
from ingest.upsert import record_hash

from .helpers import cli_import, csv_text, errors_of, ids, jsonl_text, snapshot, write

pytestmark = pytest.mark.django_db

T = "2026-11-01T08:00:00+00:00"
THREAD = [
    ["r1", "weibo", T, "Flooding downtown, stay safe", "u1", "alice", "", "flood|雨"],
    ["c1", "weibo", T, "So scared right now", "u2", "bob", "r1", "flood"],
    ["c2", "weibo", T, "lol", "u3", "carol", "c1", ""],
]


@pytest.fixture(params=["copy", "orm"])
def upsert_path(request, monkeypatch):
    """Every import test runs through both bulk paths (this suite runs on PostgreSQL)."""
    if request.param == "orm":
        monkeypatch.setattr(upsert_copy, "batch_write_copy", upsert_orm.batch_write_orm)
    return request.param


def test_thread_lands_linked_with_authors_and_topics(tmp_path, upsert_path):
    job = cli_import(write(tmp_path, "t.csv", csv_text(THREAD)))
    assert (job.status, job.rows_created, job.rows_rejected) == ("succeeded", 3, 0)
    c2 = Post.objects.get(external_id="c2")
    assert c2.parent.external_id == "c1"
    assert c2.parent.parent.external_id == "r1"
    assert c2.author.handle == "carol"
    assert sorted(Post.objects.get(external_id="r1").topics.values_list("slug", flat=True)) == [
        "flood",
        "雨",
    ]
    link = PostTopic.objects.filter(post__external_id="c1").get()
    assert link.post_created_at == c2.created_at
    assert c2.import_job == job


def test_tags_never_land_in_a_watchlist_or_source_topic(tmp_path, upsert_path):
    watchlist = Topic.objects.create(slug="watch-flood", name="Flood", kind="watchlist")
    rows = [["p1", "weibo", T, "Flood again", "u1", "", "", "flood|watch-flood|source-weibo"]]
    cli_import(write(tmp_path, "t.csv", csv_text(rows)))
    topics = Post.objects.get(external_id="p1").topics.all()
    assert {(t.slug, t.kind) for t in topics} == {
        ("flood", "tag"),
        ("tag-watch-flood", "tag"),
        ("tag-source-weibo", "tag"),
    }
    assert not watchlist.posts.exists()


def test_second_import_changes_nothing_and_a_changed_post_is_updated(tmp_path, upsert_path):
    path = write(tmp_path, "t.csv", csv_text(THREAD))
    cli_import(path)
    before = snapshot()
    again = cli_import(path)
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, 3)
    assert snapshot() == before
    edited = [row[:] for row in THREAD]
    edited[2][3] = "lol, no"
    edited[1][7] = ""  # c1 loses its topic
    third = cli_import(write(tmp_path, "t2.csv", csv_text(edited)))
    assert (third.rows_created, third.rows_updated, third.rows_unchanged) == (0, 2, 1)
    assert Post.objects.get(external_id="c2").text == "lol, no"
    assert not Post.objects.get(external_id="c1").topics.exists()
    assert Post.objects.get(external_id="c2").parent.external_id == "c1"  # links survive


def test_reply_arriving_before_its_parent_is_linked_when_the_parent_arrives(tmp_path, upsert_path):
    cli_import(write(tmp_path, "replies.csv", csv_text(THREAD[1:])))
    c1 = Post.objects.get(external_id="c1")
    assert c1.parent is None
    assert c1.parent_external_id == "r1"
    cli_import(write(tmp_path, "roots.csv", csv_text(THREAD[:1])))
    c1.refresh_from_db()
    assert c1.parent.external_id == "r1"


def test_reply_and_parent_in_different_batches_of_one_file(tmp_path, monkeypatch, upsert_path):
    monkeypatch.setattr(services, "BATCH_SIZE", 1)
    cli_import(write(tmp_path, "t.csv", csv_text(list(reversed(THREAD)))))
    assert Post.objects.get(external_id="c2").parent.parent.external_id == "r1"


def test_parent_cycle_rejects_the_row_that_closes_it(tmp_path, upsert_path):
    rows = [
        ["a", "weibo", T, "first", "", "", "c", ""],
        ["b", "weibo", T, "second", "", "", "a", ""],
        ["c", "weibo", T, "closes the loop", "", "", "b", ""],
        ["d", "weibo", T, "innocent", "", "", "", ""],
    ]
    job = cli_import(write(tmp_path, "cycle.csv", csv_text(rows)))
    assert errors_of(job) == [
        (
            4,
            "parent_id",
            "parent cycle: post 'c' answers 'b', whose chain of parents leads back to 'c'",
        )
    ]
    assert ids() == ["a", "b", "d"]
    assert Post.objects.get(external_id="b").parent.external_id == "a"


def test_self_reply_and_duplicate_and_missing_ids(tmp_path, upsert_path):
    rows = [
        ["x", "weibo", T, "me answering me", "", "", "x", ""],
        ["y", "weibo", T, "first y", "", "", "", ""],
        ["y", "weibo", T, "second y", "", "", "", ""],
        ["", "weibo", T, "no id", "", "", "", ""],
    ]
    job = cli_import(write(tmp_path, "bad.csv", csv_text(rows)))
    assert errors_of(job) == [
        (2, "parent_id", "post 'x' replies to itself"),
        (4, "id", "duplicate id 'y': it appears earlier in this file"),
        (5, "id", "missing"),
    ]
    assert ids() == ["y"]
    assert Post.objects.get().text == "first y"


def test_dates_text_and_utf8_errors_leave_good_rows(tmp_path, upsert_path):
    content = (
        csv_text(
            [
                ["1", "weibo", "2026-11-01 08:00", "no zone", "", "", "", ""],
                ["2", "weibo", "31/12/2026", "unparseable", "", "", "", ""],
                ["3", "weibo", T, "x" * 20_001, "", "", "", ""],
                ["4", "weibo", T, "good", "", "", "", ""],
            ]
        ).encode()
        + b"5,weibo,2026-11-01T08:00:00Z,caf\xe9,,,,\n"
    )
    job = cli_import(write(tmp_path, "mixed.csv", content))
    assert [(line, field) for line, field, _ in errors_of(job)] == [
        (2, "created_at"),
        (3, "created_at"),
        (4, "text"),
        (6, "text"),
    ]
    messages = [m for _, _, m in errors_of(job)]
    assert "has no time zone" in messages[0]
    assert "is not an ISO 8601 date-time" in messages[1]
    assert "20001 characters, more than the 20000 allowed" in messages[2]
    assert messages[3] == "is not valid UTF-8 text"
    assert ids() == ["4"]
    assert (job.rows_total, job.rows_created, job.rows_rejected) == (5, 1, 4)


def test_malformed_csv_quoting(tmp_path, upsert_path):
    content = (
        'id,source,created_at,text\n1,weibo,2026-11-01T08:00:00Z,"fine"\n'
        '2,weibo,2026-11-01T08:00:00Z,"broken"quote\n3,weibo,2026-11-01T08:00:00Z,ok\n'
    )
    job = cli_import(write(tmp_path, "q.csv", content))
    [(line, field, message)] = errors_of(job)
    assert (line, field) == (3, "")
    assert message.startswith("malformed CSV (")
    assert message.endswith("check the quoting")
    assert ids() == ["1", "3"]


def test_empty_file_and_unknown_format(tmp_path):
    with pytest.raises(CommandError, match=r"empty\.csv: the file is empty"):
        cli_import(write(tmp_path, "empty.csv", ""))
    assert ImportJob.objects.get().status == "failed"
    with pytest.raises(CommandError, match="cannot tell the format from the extension"):
        cli_import(write(tmp_path, "posts.xlsx", "x"))
    with pytest.raises(CommandError, match="invalid choice: 'xlsx'"):
        cli_import(write(tmp_path, "posts.txt", "x"), "--format", "xlsx")
    assert not Post.objects.exists()


def test_unknown_format_is_refused_by_the_service():
    with pytest.raises(services.FileRejected, match=r"unknown format 'xlsx'; known formats: csv"):
        services.import_job_create(channel="cli", format="xlsx", path="x")


def test_jsonl_with_lists_and_gold_labels(tmp_path, upsert_path):
    content = jsonl_text(
        [
            {"id": 1, "source": "reddit", "created_at": T, "text": "I hate this", "label": "anger",
             "topics": ["news", "#News"]},
            {"id": 2, "source": "reddit", "created_at": T, "text": "meh", "parent_id": 1},
        ]
    )  # fmt: skip
    job = cli_import(write(tmp_path, "p.jsonl", content))
    assert job.rows_created == 2
    gold = EmotionPrediction.objects.get()
    assert (gold.post.external_id, gold.stage, gold.label, gold.confidence) == (
        "1", "human", "anger", 1.0,
    )  # fmt: skip
    assert gold.model_name == "gold:jsonl"
    assert Post.objects.get(external_id="2").parent.external_id == "1"
    assert list(Post.objects.get(external_id="1").topics.values_list("slug", flat=True)) == ["news"]


def test_pseudonymised_authors_never_store_raw_handles(tmp_path, settings, upsert_path):
    settings.EMOGRAPH_PSEUDONYMISE_AUTHORS = True
    settings.EMOGRAPH_PSEUDONYM_KEY = "k"
    cli_import(write(tmp_path, "t.csv", csv_text(THREAD)))
    stored = set(Author.objects.values_list("external_id", "handle"))
    assert ("u1", "alice") not in stored
    assert (
        pseudonymise("u1", key="k", scope="weibo"),
        pseudonymise("alice", key="k", scope="weibo"),
    ) in stored
    assert not Author.objects.filter(handle__in=["alice", "bob", "carol"]).exists()


def test_new_and_changed_posts_are_queued_for_scoring(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(
        services, "posts_queue_for_scoring", lambda *, post_ids: queued.extend(post_ids)
    )
    path = write(tmp_path, "t.csv", csv_text(THREAD))
    with django_capture_on_commit_callbacks(execute=True):
        cli_import(path)
    assert sorted(queued) == sorted(Post.objects.values_list("id", flat=True))
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cli_import(path)
    assert queued == []


class WorkerKilled(BaseException):
    """Not an Exception: like SIGKILL, nothing in the import gets to handle it."""


def test_killed_import_resumes_to_the_same_end_state(tmp_path, monkeypatch, upsert_path):
    rows = [[f"p{i}", "weibo", T, f"post {i}", f"u{i % 3}", "", f"p{i - 1}" if i else "", "t"]
            for i in range(10)]  # fmt: skip
    rows.insert(5, ["", "weibo", T, "bad row", "", "", "", ""])
    path = write(tmp_path, "big.csv", csv_text(rows))
    monkeypatch.setattr(services, "BATCH_SIZE", 3)

    def die_after_two_batches(job):
        if job.resume_after_line >= 7:
            raise WorkerKilled

    job = services.import_job_create(channel="cli", format="csv", path=path)
    with pytest.raises(WorkerKilled):
        services.import_job_run(job_id=job.pk, path=path, progress=die_after_two_batches)
    job.refresh_from_db()
    assert job.status == "running"
    assert (job.rows_created, job.resume_after_line) == (5, 7)
    job = services.import_job_run(job_id=job.pk, path=path)  # the redelivered task
    assert (job.status, job.rows_total, job.rows_created, job.rows_rejected) == (
        "succeeded", 11, 10, 1,
    )  # fmt: skip
    assert job.row_errors.count() == 1
    resumed = snapshot()
    Post.objects.all().delete()
    clean = cli_import(path)
    assert (clean.rows_created, clean.rows_rejected) == (10, 1)
    assert snapshot() == resumed
    assert services.import_job_run(job_id=job.pk, path=path).rows_created == 10  # finished: no-op


def test_content_hash_is_keyed_so_it_cannot_confirm_a_guessed_handle(settings):
    record = validate_row(
        RawRow(2, {"id": "1", "source": "weibo", "created_at": T, "text": "hi", "author": "u1",
                   "author_name": "alice"}),
        file_name="f",
    )  # fmt: skip
    settings.EMOGRAPH_PSEUDONYM_KEY = "key-one"
    first = record_hash(record)
    settings.EMOGRAPH_PSEUDONYM_KEY = "key-two"
    assert record_hash(record) != first
