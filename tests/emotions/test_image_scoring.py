"""Image posts: faces and text inside images join the text in the stored prediction."""

import hashlib
import io
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFont
from skimage import data

from emograph.emotions.models import EmotionPrediction, ImageAnalysis, PostEmbedding
from emograph.emotions.pipelines import text_pipelines
from emograph.emotions.scoring import posts_score
from emograph.social.models import PostImage

from ..factories import PostFactory

pytestmark = pytest.mark.django_db
FONT = str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")


def jpeg(image):
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def meme(text):
    image = Image.new("RGB", (900, 160), "white")
    ImageDraw.Draw(image).text((30, 50), text, font=ImageFont.truetype(FONT, 48), fill="black")
    return jpeg(image)


def attach(post, content, name, *, damage=False):
    width, height = Image.open(io.BytesIO(content)).size
    stored = default_storage.save(f"images/{name}", ContentFile(content))
    if damage:  # the file on disk broke after import (truncated by a failed copy, say)
        Path(default_storage.path(stored)).write_bytes(content[:300])
    return PostImage.objects.create(
        post=post,
        original_name=name,
        file=stored,
        sha256=hashlib.sha256(content).hexdigest(),
        width=width,
        height=height,
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_image_posts_are_scored_from_faces_and_text_in_the_image(media):
    smiling = PostFactory(text="", content_hash="a")
    attach(smiling, jpeg(Image.fromarray(data.astronaut())), "astronaut.jpg")
    captioned = PostFactory(text="", content_hash="b")
    attach(captioned, meme("I am so scared and terrified"), "meme.jpg")
    broken = PostFactory(text="What a lovely surprise, I'm delighted!", content_hash="c")
    attach(broken, jpeg(Image.fromarray(data.coffee())), "cut.jpg", damage=True)

    report = posts_score(post_ids=[smiling.id, captioned.id, broken.id], pipelines=text_pipelines())
    assert report.scored == 3
    rows = {r.post_id: r for r in EmotionPrediction.objects.all()}

    face = rows[smiling.id]
    assert face.details["modalities"] == {"faces": 1.0}
    assert face.details["face_count"] == 1
    assert face.label == "joy"

    ocr = rows[captioned.id]
    assert ocr.details["modalities"] == {"image_text": 1.0}
    assert "scared" in ocr.details["ocr_text"].lower()
    assert ocr.label == "fear"

    text_only = rows[broken.id]
    assert text_only.details["modalities"] == {"text": 1.0}
    assert "cut.jpg" in text_only.details["image_problems"][0]
    assert ImageAnalysis.objects.count() == 3
    assert PostEmbedding.objects.filter(modality="image").count() == 2  # the readable two


def test_text_and_face_share_the_prediction_and_rerun_reuses_the_analysis(media):
    post = PostFactory(text="Best day of my life!", content_hash="a")
    attach(post, jpeg(Image.fromarray(data.astronaut())), "astronaut.jpg")
    posts_score(post_ids=[post.id], pipelines=text_pipelines())
    row = EmotionPrediction.objects.get(post=post)
    shares = row.details["modalities"]
    assert set(shares) == {"text", "faces"}
    assert shares["text"] == pytest.approx(1 / 1.5, abs=1e-3)
    first = ImageAnalysis.objects.get()
    posts_score(post_ids=[post.id], pipelines=text_pipelines())
    assert ImageAnalysis.objects.get().pk == first.pk  # analysed once
    assert np.allclose(EmotionPrediction.objects.get(post=post).probabilities, row.probabilities)


def test_image_evidence_can_be_switched_off(media, settings):
    settings.EMOGRAPH_IMAGE_EVIDENCE = False
    post = PostFactory(text="", content_hash="a")
    attach(post, jpeg(Image.fromarray(data.astronaut())), "astronaut.jpg")
    posts_score(post_ids=[post.id], pipelines=text_pipelines())
    row = EmotionPrediction.objects.get(post=post)
    assert row.details["no_evidence"] is True
    assert ImageAnalysis.objects.count() == 0


def test_gated_fusion_with_the_shipped_gate(media, settings):
    settings.EMOGRAPH_FUSION = "gated"
    post = PostFactory(text="Best day of my life!", content_hash="a")
    attach(post, jpeg(Image.fromarray(data.astronaut())), "astronaut.jpg")
    posts_score(post_ids=[post.id], pipelines=text_pipelines())
    row = EmotionPrediction.objects.get(post=post)
    assert row.details["fusion"] == "gated"
    assert set(row.details["modalities"]) == {"text", "faces"}
    assert sum(row.details["modalities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert row.label == "joy"
