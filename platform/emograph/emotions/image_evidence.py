"""Image evidence for scoring: each stored image analysed once (embedding, faces, OCR text).

The three image models load once per process, and only when a batch has image posts. Each
image is read from storage once, as bytes, and all three models use those bytes. A missing or
corrupt file does not fail the batch: its analysis records the problem, and the post is scored
from its text.
"""

import functools
from dataclasses import dataclass

import numpy as np
from django.core.files.storage import default_storage

from emograph.social.models import PostImage

from .models import ImageAnalysis
from .vectors import vector_pack, vector_unpack


@dataclass(frozen=True)
class ImageModels:
    encoder: object
    faces: object
    ocr: object

    @property
    def version(self):
        return "|".join(f"{m.name}@{m.version}" for m in (self.encoder, self.faces, self.ocr))[:200]


@functools.cache
def image_models():
    from django.conf import settings

    from .encoders import image_encoder
    from .encoders.faces import FaceExpressions
    from .encoders.ocr import ImageText

    encoder = image_encoder(settings.EMOGRAPH_IMAGE_ENCODER)
    return ImageModels(encoder=encoder, faces=FaceExpressions(), ocr=ImageText())


def image_bytes(image):
    try:
        with default_storage.open(image.file.name, "rb") as handle:
            return handle.read(), ""
    except (OSError, ValueError) as exc:
        return None, f"{image.original_name or image.file.name}: cannot read the file ({exc})"


def analyses_ensure(post_ids, models):
    """post id -> [ImageAnalysis] for the posts' images, analysing the ones not done yet."""
    images = list(PostImage.objects.filter(post_id__in=post_ids).order_by("post_id", "position"))
    if not images:
        return {}
    done = {
        a.image_id: a
        for a in ImageAnalysis.objects.filter(image__in=images, models_version=models.version)
    }
    todo = [image for image in images if image.id not in done]
    if todo:
        for analysis in _analyse(todo, models):
            done[analysis.image_id] = analysis
    by_post = {}
    for image in images:
        by_post.setdefault(image.post_id, []).append(done[image.id])
    return by_post


def _analyse(images, models):
    blobs, problems = zip(*(image_bytes(image) for image in images), strict=True)
    readable = [i for i, blob in enumerate(blobs) if blob is not None]
    items = [blobs[i] for i in readable]
    features, embed_errors = models.encoder.embed_with_errors(items)
    faces, _ = models.faces.detect_with_errors(items)
    texts, _ = models.ocr.read_with_errors(items)
    analyses = []
    for image, problem in zip(images, problems, strict=True):
        analyses.append(ImageAnalysis(image=image, models_version=models.version, problem=problem))
    for row, index in enumerate(readable):
        analysis = analyses[index]
        if row in embed_errors:
            name = images[index].original_name or images[index].file.name
            analysis.problem = f"{name}: {embed_errors[row]}"
            continue
        analysis.dim = features.shape[1]
        analysis.embedding = vector_pack(features[row])
        analysis.faces = faces[row].faces
        if faces[row].probs is not None:
            analysis.face_probabilities = [round(float(p), 5) for p in faces[row].probs]
        analysis.ocr_text = texts[row]
    return ImageAnalysis.objects.bulk_create(
        analyses,
        update_conflicts=True,
        unique_fields=["image", "models_version"],
        update_fields=["dim", "embedding", "faces", "face_probabilities", "ocr_text", "problem"],
    )


def pooled_embedding(analyses):
    """Mean of a post's readable image embeddings (None if none was readable)."""
    rows = [vector_unpack(a.embedding, a.dim).astype(np.float32) for a in analyses if a.dim]
    return np.mean(rows, axis=0) if rows else None


def face_mix(analyses):
    """Face-count-weighted expression mix over a post's images, and the number of faces."""
    total = sum(a.faces for a in analyses if a.face_probabilities)
    if not total:
        return None, 0
    mix = sum(np.asarray(a.face_probabilities) * a.faces for a in analyses if a.face_probabilities)
    return mix / mix.sum(), total
