"""Graph propagation on a real worker: imported reply trees, scored, then propagated."""

import datetime as dt

import pytest

from emograph.emotions.models import EmotionPrediction
from emograph.propagation.models import PropagationRun
from emograph.propagation.services import propagation_run_create
from emograph.social.models import Post
from ingest.models import ImportJob
from ingest.services import import_job_create, import_job_run

from ..conftest import REPO_DIR, running_worker

pytestmark = pytest.mark.worker
SAMPLE = REPO_DIR / "ingest" / "sample" / "emograph-sample.zip"


@pytest.mark.django_db(transaction=True)
def test_worker_propagates_over_imported_reply_trees(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMOGRAPH_SCORE_ON_IMPORT = True
    env = {"MEDIA_ROOT": str(tmp_path / "media"), "EMOGRAPH_SCORE_ON_IMPORT": "1"}
    with running_worker(tmp_path, env=env) as worker:
        job = import_job_create(channel=ImportJob.Channel.CLI, format="zip", path=SAMPLE)
        import_job_run(job_id=job.pk, path=SAMPLE)
        total = Post.objects.count()
        content = EmotionPrediction.objects.filter(stage="content")
        worker.wait_until(lambda: content.count() >= total, "not every post was scored")

        first, last = Post.objects.earliest("created_at"), Post.objects.latest("created_at")
        window = (first.created_at, last.created_at + dt.timedelta(seconds=1))
        run = propagation_run_create(window_start=window[0], window_end=window[1])
        finished = (PropagationRun.Status.DONE, PropagationRun.Status.FAILED)
        worker.wait_until(lambda: PropagationRun.objects.get(pk=run.pk).status in finished,
                          "the propagation run did not finish")  # fmt: skip
        run.refresh_from_db()
        assert run.status == PropagationRun.Status.DONE, run.error
        graph = EmotionPrediction.objects.filter(stage="graph")
        rows_first = sorted(graph.values_list("post_id", "p_anger"))

        again = propagation_run_create(window_start=window[0], window_end=window[1])
        worker.wait_until(lambda: PropagationRun.objects.get(pk=again.pk).status in finished,
                          "the second run did not finish")  # fmt: skip
        log = worker.log.read_text()

    replies = Post.objects.filter(parent__isnull=False).count()
    assert replies >= 50  # the sample's reply trees (RumourEval threads, MELD dialogues)
    assert run.posts == total
    assert run.written == total
    assert run.skipped == 0
    assert graph.count() == total  # one graph row per post, none duplicated by the rerun
    assert graph.values("model_version").distinct().count() == 1
    assert sorted(graph.values_list("post_id", "p_anger")) == rows_first
    again.refresh_from_db()
    assert (again.written, again.report["unchanged"]) == (0, total)  # the rerun wrote nothing
    assert run.report["label_changed"] >= 0
    assert run.report["seconds"]["infer"] >= 0
    assert "emograph.propagation.tasks.propagate_emotions" in log
