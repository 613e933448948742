"""Content scoring on the shipped pipelines (real MiniLM, real e5, the trained heads)."""

import numpy as np
import pytest

from emograph.emotions.encoders.text import TransformerTextEncoder
from emograph.emotions.heads import EmotionHead, EmotionMLP
from emograph.emotions.models import EmotionPrediction, PostEmbedding
from emograph.emotions.pipelines import TextPipeline, text_pipelines
from emograph.emotions.scoring import posts_score
from emograph.emotions.taxonomy import EMOTIONS
from emograph.emotions.vectors import vector_unpack

from ..factories import PostFactory

pytestmark = pytest.mark.django_db

POSTS = [
    ("I am furious, this makes me so angry!", "en"),
    ("这个消息太让人难过了", ""),
    ("", ""),
    ("😂😂😂", ""),
    ("this is fine " * 8000, "en"),  # ~100 KB
    ("疫情快点结束吧 so tired of this", ""),
]


@pytest.fixture(scope="module")
def pipelines():
    return text_pipelines()


@pytest.fixture
def posts():
    return [
        PostFactory(text=text, language=language, content_hash=f"h{i}")
        for i, (text, language) in enumerate(POSTS)
    ]


def test_scores_every_post_once_per_model_version(pipelines, posts):
    report = posts_score(post_ids=[p.id for p in posts], pipelines=pipelines)
    assert report.scored == report.embedded == len(POSTS)
    assert report.by_pipeline == {"english": 4, "multilingual": 2}
    rows = {r.post_id: r for r in EmotionPrediction.objects.filter(stage="content")}
    assert len(rows) == len(POSTS)
    for post in posts:
        row = rows[post.id]
        assert sum(row.probabilities) == pytest.approx(1.0, abs=1e-3)
        assert row.label in EMOTIONS
        assert row.details["modalities"] == {"text": 1.0}
    assert rows[posts[1].id].details["pipeline"] == "multilingual"
    assert rows[posts[2].id].details["empty_text"] is True
    anger = rows[posts[0].id]
    assert anger.label == "anger", anger.probabilities


def test_rerun_changes_nothing_and_a_changed_post_is_re_embedded_alone(pipelines, posts):
    ids = [p.id for p in posts]
    posts_score(post_ids=ids, pipelines=pipelines)
    before = {r.post_id: r.probabilities for r in EmotionPrediction.objects.all()}
    again = posts_score(post_ids=ids, pipelines=pipelines)
    assert again.embedded == 0
    assert again.scored == len(POSTS)
    after = {r.post_id: r.probabilities for r in EmotionPrediction.objects.all()}
    assert after == before
    assert PostEmbedding.objects.count() == len(POSTS)

    changed = posts[0]
    changed.text, changed.content_hash = "What a wonderful, happy day!", "h-new"
    changed.save()
    third = posts_score(post_ids=ids, pipelines=pipelines)
    assert third.embedded == 1
    assert EmotionPrediction.objects.get(post=changed).label == "joy"
    assert PostEmbedding.objects.count() == len(POSTS)


def test_stored_vectors_are_float16_of_the_encoder_width(pipelines, posts):
    posts_score(post_ids=[posts[0].id], pipelines=pipelines)
    row = PostEmbedding.objects.get(post=posts[0])
    encoder = pipelines["english"].encoder
    assert (row.model_name, row.model_version, row.dim) == (
        encoder.name,
        encoder.version,
        encoder.dim,
    )
    assert len(bytes(row.vector)) == 2 * encoder.dim
    assert np.allclose(
        vector_unpack(row.vector, row.dim), encoder.embed([posts[0].text])[0], atol=2e-3
    )


def test_unknown_ids_are_reported_not_fatal(pipelines, posts):
    report = posts_score(post_ids=[posts[0].id, 987654321], pipelines=pipelines)
    assert report.scored == 1
    assert report.missing == [987654321]


def test_a_new_encoder_version_embeds_again_and_keeps_the_old_rows(tiny_bert, posts):
    encoder = TransformerTextEncoder(tiny_bert)
    head = EmotionHead(
        model=EmotionMLP(encoder.dim, hidden=8).eval(),
        mean=np.zeros(encoder.dim, np.float32),
        std=np.ones(encoder.dim, np.float32),
        offsets=np.zeros(7, np.float32),
    )
    english = [p for p in posts if p.language == "en"]
    tiny = {"english": TextPipeline("english", encoder, head, "tiny", "v1")}
    assert posts_score(post_ids=[p.id for p in english], pipelines=tiny).embedded == 2
    encoder.version = "retrained"
    assert posts_score(post_ids=[p.id for p in english], pipelines=tiny).embedded == 2
    assert PostEmbedding.objects.filter(model_name=encoder.name).count() == 4


def test_an_import_queues_its_posts_and_eager_celery_scores_them(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    from ..ingest.helpers import cli_import, csv_text, write

    settings.EMOGRAPH_SCORE_ON_IMPORT = True
    settings.EMOGRAPH_SCORE_BATCH = 2  # three posts: two scoring tasks
    rows = [
        [
            "a1",
            "weibo",
            "2026-11-01T08:00:00Z",
            "I'm terrified of what comes next",
            "u1",
            "",
            "",
            "",
        ],
        ["a2", "weibo", "2026-11-01T08:01:00Z", "大家加油 一定会好起来的", "u2", "", "a1", ""],
        ["a3", "weibo", "2026-11-01T08:02:00Z", "lol", "u3", "", "a1", ""],
    ]
    path = write(tmp_path, "posts.csv", csv_text(rows))
    with django_capture_on_commit_callbacks(execute=True):
        cli_import(path)
    labels = dict(
        EmotionPrediction.objects.filter(stage="content").values_list(
            "post__external_id", "details__pipeline"
        )
    )
    assert labels == {"a1": "english", "a2": "multilingual", "a3": "english"}
