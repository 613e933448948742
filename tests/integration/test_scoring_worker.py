"""Content scoring on a real worker: imported posts (text and image posts) get predictions."""

import subprocess
import sys
from pathlib import Path

import pytest

from emograph.emotions.models import EmotionPrediction, PostEmbedding
from emograph.social.models import Post
from ingest.models import ImportJob
from ingest.services import import_job_create, import_job_run

from ..conftest import REPO_DIR, running_worker, subprocess_env, worker_database_url

pytestmark = pytest.mark.worker
SAMPLE = REPO_DIR / "ingest" / "sample" / "emograph-sample.zip"


@pytest.mark.django_db(transaction=True)
def test_worker_scores_imported_posts_end_to_end(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMOGRAPH_SCORE_ON_IMPORT = True
    settings.EMOGRAPH_SCORE_BATCH = 64  # several tasks, as a big import would send
    env = {"MEDIA_ROOT": str(tmp_path / "media"), "EMOGRAPH_SCORE_ON_IMPORT": "1"}
    with running_worker(tmp_path, env=env) as worker:
        job = import_job_create(channel=ImportJob.Channel.CLI, format="zip", path=SAMPLE)
        import_job_run(
            job_id=job.pk, path=SAMPLE
        )  # this process imports; its commits queue scoring on Redis
        total = Post.objects.count()
        scored = EmotionPrediction.objects.filter(stage="content")
        worker.wait_until(lambda: scored.count() >= total, "not every post was scored")

    image_posts = Post.objects.filter(images__isnull=False).distinct()
    assert image_posts.count() >= 4  # the sample's posts with photos
    assert scored.filter(post__in=image_posts).count() == image_posts.count()
    assert scored.values("post").distinct().count() == total  # one row per post, no duplicates
    assert PostEmbedding.objects.filter(modality="text").count() == total
    assert PostEmbedding.objects.filter(modality="image").count() == image_posts.count()
    with_faces = scored.filter(details__face_count__gt=0)
    assert with_faces.exists(), "the sample's astronaut photo has a face"
    memes = scored.filter(details__modalities__has_key="image_text")
    assert set(memes.values_list("post__external_id", flat=True)) == {"demo-7", "demo-8"}
    assert "emograph.emotions.tasks.score_posts" in worker.log.read_text()


def test_worker_with_a_missing_head_refuses_to_start(tmp_path, db):
    env = subprocess_env(
        DATABASE_URL=worker_database_url(), EMOGRAPH_ENGLISH_HEAD=str(tmp_path / "gone.pt")
    )
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "gpu",
               "--pool", "solo", "-n", "refuse@localhost", "--without-gossip",
               "--without-mingle"]  # fmt: skip
    result = subprocess.run(
        command, cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert f"english emotion head {Path(tmp_path / 'gone.pt')}: no such file" in (
        result.stdout + result.stderr
    )
