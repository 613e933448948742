import datetime as dt
from unittest import mock

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from emograph.emotions.models import EmotionPrediction
from emograph.emotions.services import prediction_record
from emograph.propagation import selectors
from emograph.propagation.models import PropagationRun
from emograph.propagation.services import (
    graph_model,
    graph_model_name,
    predictions_write_graph,
    propagation_run_create,
    window_propagate,
)
from emograph.social.models import Post
from tests.factories import PostFactory, SourceFactory, TopicFactory

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
ANGRY = [0.9, 0.02, 0.02, 0.02, 0.02, 0.01, 0.01]
WEAK = [1 / 7] * 7


def content(post, probabilities):
    prediction_record(post=post, stage="content", model_name="test", model_version="1",
                      probabilities=probabilities)  # fmt: skip


def conversation():
    """An angry root with three weak replies, a reply to a post outside the window, one post
    with no content prediction yet, and one post alone."""
    source = SourceFactory()
    root = PostFactory(source=source, created_at=T0)
    replies = [PostFactory(source=source, parent=root, created_at=T0 + dt.timedelta(minutes=i))
               for i in range(1, 4)]  # fmt: skip
    early = PostFactory(source=source, created_at=T0 - dt.timedelta(days=2))
    orphan = PostFactory(source=source, parent=early, created_at=T0 + dt.timedelta(minutes=9))
    unscored = PostFactory(source=source, parent=root, created_at=T0 + dt.timedelta(minutes=5))
    alone = PostFactory(source=source, created_at=T0 + dt.timedelta(minutes=7))
    content(root, ANGRY)
    for post in (*replies, orphan, alone, early):
        content(post, WEAK)
    return root, replies, orphan, unscored, alone


def test_window_propagation_writes_graph_predictions_and_reports_what_it_skipped():
    root, replies, orphan, unscored, alone = conversation()
    result = window_propagate(T0, T0 + dt.timedelta(hours=1))
    graph = EmotionPrediction.objects.filter(stage="graph")
    assert result["posts"] == 7
    assert result["written"] == 6
    assert result["skipped"] == 1
    assert result["skipped_examples"] == [unscored.pk]
    assert result["repairs"]["missing_parent"] == 1
    assert result["missing_parent_examples"] == [orphan.pk]
    assert result["repairs"]["single_post_threads"] == 2  # the orphan and the lone post
    assert set(graph.values_list("post_id", flat=True)) == {
        root.pk,
        *(r.pk for r in replies),
        orphan.pk,
        alone.pk,
    }
    row = graph.get(post=replies[0])
    assert row.details == {"run": None}  # a run's rows name it; the run holds the window
    assert abs(sum(row.probabilities) - 1) < 1e-5
    assert row.model_version == graph_model().version


def graph_rows():
    return list(EmotionPrediction.objects.filter(stage="graph").order_by("post_id")
                .values_list("id", "post_id", "p_anger", "label"))  # fmt: skip


def test_rerunning_an_unchanged_window_writes_nothing_and_keeps_the_rows():
    conversation()
    window_propagate(T0, T0 + dt.timedelta(hours=1))
    first = graph_rows()
    result = window_propagate(T0, T0 + dt.timedelta(hours=1))
    assert (result["written"], result["unchanged"], result["skipped"]) == (0, 6, 1)
    assert graph_rows() == first


def test_a_rerun_rewrites_only_the_thread_whose_content_moved():
    root, replies, orphan, _unscored, alone = conversation()
    window_propagate(T0, T0 + dt.timedelta(hours=1))
    before = {post_id: p_anger for _, post_id, p_anger, _ in graph_rows()}
    content(root, [0.02, 0.02, 0.02, 0.9, 0.02, 0.01, 0.01])  # rescored: joy, not anger
    result = window_propagate(T0, T0 + dt.timedelta(hours=1))
    assert (result["written"], result["unchanged"]) == (4, 2)  # root + 3 replies; 2 alone
    after = {post_id: p_anger for _, post_id, p_anger, _ in graph_rows()}
    assert after[orphan.pk] == before[orphan.pk]
    assert after[alone.pk] == before[alone.pk]
    for post in (root, *replies):
        assert after[post.pk] != before[post.pk]


def test_a_parent_cycle_in_the_database_is_cut_and_reported():
    source = SourceFactory()
    a = PostFactory(source=source, created_at=T0)
    b = PostFactory(source=source, parent=a, created_at=T0 + dt.timedelta(minutes=1))
    Post.objects.filter(pk=a.pk).update(parent=b)
    for post in (a, b):
        content(post, ANGRY)
    result = window_propagate(T0, T0 + dt.timedelta(hours=1))
    assert result["cycles"] == [[a.pk, b.pk]]
    assert result["written"] == 2


def test_a_window_with_no_posts_writes_nothing():
    result = window_propagate(T0, T0 + dt.timedelta(hours=1))
    assert result["posts"] == 0
    assert result["written"] == 0


def test_a_window_where_nothing_is_scored_yet_skips_everything_without_crashing():
    PostFactory(created_at=T0)
    result = window_propagate(T0, T0 + dt.timedelta(hours=1))
    assert result["written"] == 0
    assert result["skipped"] == 1


def test_topic_windows_only_take_the_topics_posts():
    root, _replies, *_ = conversation()
    topic = TopicFactory()
    root.topics.add(topic, through_defaults={"post_created_at": root.created_at})
    result = window_propagate(T0, T0 + dt.timedelta(hours=1), topic_id=topic.pk)
    assert result["posts"] == 1
    assert EmotionPrediction.objects.filter(stage="graph").get().post_id == root.pk


def test_a_run_records_its_counts_and_model(django_capture_on_commit_callbacks):
    conversation()
    with django_capture_on_commit_callbacks(execute=True):
        run = propagation_run_create(window_start=T0, window_end=T0 + dt.timedelta(hours=1))
    run.refresh_from_db()
    assert run.status == PropagationRun.Status.DONE
    assert (run.posts, run.written, run.skipped) == (7, 6, 1)
    assert run.model_version == graph_model().version
    assert set(run.report["seconds"]) == {"read", "build", "infer", "write"}


def test_graph_buckets_are_refreshed_after_a_run_only_when_it_wrote_rows():
    from emograph.propagation.tasks import propagate_emotions

    conversation()
    window = {"window_start": T0, "window_end": T0 + dt.timedelta(hours=1)}
    with mock.patch("emograph.monitoring.tasks.window_refreshed.delay") as refresh:
        propagate_emotions(PropagationRun.objects.create(**window).pk)
        assert refresh.call_count == 1
        propagate_emotions(PropagationRun.objects.create(**window).pk)  # nothing moved
        assert refresh.call_count == 1


def test_an_empty_window_is_refused():
    with pytest.raises(ValueError, match="empty window"):
        propagation_run_create(window_start=T0, window_end=T0)


def test_a_missing_graph_model_fails_the_run_with_the_path(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EMOGRAPH_GRAPH_MODEL = tmp_path / "gone.pt"
    with (
        pytest.raises(ImproperlyConfigured, match=r"gone\.pt: no such file"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        propagation_run_create(window_start=T0, window_end=T0 + dt.timedelta(hours=1))
    run = PropagationRun.objects.get()
    assert run.status == PropagationRun.Status.FAILED
    assert "gone.pt" in run.error


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY paths are PostgreSQL's")
def test_copy_and_orm_paths_read_and_write_the_same():
    conversation()
    t1 = T0 + dt.timedelta(hours=1)
    window_propagate(T0, t1)  # stored graph rows to read back
    stored = (graph_model_name(graph_model()), graph_model().version)
    fast, orm = (
        selectors._window_posts_copy(T0, t1, None, *stored),
        selectors._window_posts_orm(T0, t1, None, *stored),
    )
    for field in ("post_id", "parent_id", "author_id", "time", "content", "stored_graph"):
        np.testing.assert_allclose(getattr(fast, field), getattr(orm, field), rtol=1e-6)
    assert fast.has_stored_graph.sum() == 6
    ids = fast.post_id[fast.has_content]
    probabilities = np.random.default_rng(0).dirichlet(np.ones(7), len(ids)).astype(np.float32)
    predictions_write_graph(ids, probabilities, model_name="copy", model_version="1", details={})
    from emograph.propagation import services

    services._write_orm(ids, probabilities, "orm", "1", {})
    rows = {name: list(EmotionPrediction.objects.filter(model_name=name).order_by("post_id")
                       .values_list("post_id", "p_joy", "label", "confidence"))
            for name in ("copy", "orm")}  # fmt: skip
    assert len(rows["copy"]) == len(ids)
    for a, b in zip(rows["copy"], rows["orm"], strict=True):
        assert a[0] == b[0]
        assert a[2] == b[2]
        assert a[1] == pytest.approx(b[1], rel=1e-6)
        assert a[3] == pytest.approx(b[3], rel=1e-6)
