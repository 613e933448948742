"""Content scoring: posts -> embeddings (only those missing or stale) -> head -> predictions.

One batch of post ids per call, every step batched: one query for the posts, one for the
embeddings they already have, one encoder call per pipeline, one upsert for the new
embeddings and one for the predictions. Rerunning a batch changes nothing (same rows, same
values: heads read the float16 features as stored, fresh or not).
"""

from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import transaction

from emograph.social.models import Post, PostImage

from .fusion import MIN_OCR_CHARS, gate_load, gated_fusion, late_fusion
from .languages import pipeline_for
from .models import Modality, PostEmbedding, Stage
from .pipelines import routed_probabilities, text_pipelines
from .services import predictions_write
from .vectors import vector_pack, vector_unpack


@dataclass
class ScoreReport:
    scored: int = 0
    embedded: int = 0
    missing: list = field(default_factory=list)
    by_pipeline: dict = field(default_factory=dict)

    def as_dict(self):
        return {
            "scored": self.scored,
            "embedded": self.embedded,
            "missing": self.missing,
            "by_pipeline": self.by_pipeline,
        }


def posts_route(posts):
    """Pipeline key -> posts, by language tag or script."""
    routes = {}
    for post in posts:
        key = pipeline_for(post.text, post.language)
        routes.setdefault(key, []).append(post)
    return routes


def embeddings_ensure(posts, encoder):
    """float16 features for `posts` in order: stored ones reused, missing or stale ones embedded
    in one encoder call and upserted. Returns (features float32 [n, dim], newly embedded)."""
    stored = {
        e.post_id: e
        for e in PostEmbedding.objects.filter(
            post__in=[p.id for p in posts],
            modality=Modality.TEXT,
            model_name=encoder.name,
            model_version=encoder.version,
        ).only("post_id", "content_hash", "dim", "vector")
    }
    features = np.zeros((len(posts), encoder.dim), dtype=np.float16)
    todo = []
    for row, post in enumerate(posts):
        have = stored.get(post.id)
        if have and have.content_hash == post.content_hash and have.dim == encoder.dim:
            features[row] = vector_unpack(have.vector, have.dim)
        else:
            todo.append(row)
    if todo:
        fresh = encoder.embed([posts[row].text for row in todo]).astype(np.float16)
        features[todo] = fresh
        PostEmbedding.objects.bulk_create(
            [
                PostEmbedding(
                    post_id=posts[row].id,
                    modality=Modality.TEXT,
                    model_name=encoder.name,
                    model_version=encoder.version,
                    content_hash=posts[row].content_hash,
                    dim=encoder.dim,
                    vector=vector_pack(vec),
                )
                for row, vec in zip(todo, fresh, strict=True)
            ],
            update_conflicts=True,
            unique_fields=["post", "modality", "model_name", "model_version"],
            update_fields=["content_hash", "dim", "vector", "created_at"],
        )
    return features.astype(np.float32), len(todo)


def posts_score(*, post_ids, pipelines=None, images=None):
    """Score the posts with these ids (unknown ids are reported, not an error: a post may have
    been deleted between queueing and scoring). `images`: the image models, loaded on first
    need when EMOGRAPH_IMAGE_EVIDENCE is on; pass False to score from text alone."""
    if pipelines is None:
        pipelines = text_pipelines()
    posts = list(
        Post.objects.filter(id__in=post_ids).only("id", "text", "language", "content_hash")
    )
    report = ScoreReport(missing=sorted(set(post_ids) - {p.id for p in posts}))
    routes = posts_route(posts)
    with transaction.atomic():
        text = {}
        for key, group in routes.items():
            pipeline = pipelines[key]
            features, embedded = embeddings_ensure(group, pipeline.encoder)
            for post, probs in zip(group, pipeline.head.probabilities(features), strict=True):
                text[post.id] = probs
            report.embedded += embedded
            report.by_pipeline[key] = len(group)
        evidence = images_evidence(posts, pipelines, images)
        for key, group in routes.items():
            pipeline = pipelines[key]
            probabilities, details = [], []
            for post in group:
                fused, detail = post_fuse(post, text[post.id], evidence.get(post.id))
                probabilities.append(fused)
                details.append(
                    {
                        "pipeline": key,
                        "encoder": f"{pipeline.encoder.name}@{pipeline.encoder.version}",
                        **detail,
                    }
                )
            predictions_write(
                [post.id for post in group],
                probabilities,
                stage=Stage.CONTENT,
                model_name=pipeline.model_name,
                model_version=pipeline.model_version,
                details=details,
            )
            report.scored += len(group)
    return report


def post_fuse(post, text_probs, evidence):
    has_text = bool(post.text.strip())
    sources = {"text": text_probs if has_text else None}
    detail = {}
    if evidence:
        sources["image_text"] = evidence.get("image_text")
        sources["faces"] = evidence.get("faces")
        detail = {k: v for k, v in evidence.items() if k not in {"image_text", "faces"}}
    if not any(p is not None for p in sources.values()):
        sources = {"text": text_probs}  # nothing to go on: the head's reading of empty text
        detail["no_evidence"] = True
    fused, shares = fuse(sources)
    if not has_text:
        detail["empty_text"] = True
    return fused, {"modalities": shares, "fusion": settings.EMOGRAPH_FUSION, **detail}


def fuse(sources):
    if settings.EMOGRAPH_FUSION == "gated":
        return gated_fusion(sources, gate_load(str(settings.EMOGRAPH_FUSION_GATE)))
    return late_fusion(sources)


def images_evidence(posts, pipelines, images):
    """post id -> {"faces": probs, "image_text": probs, "face_count", "ocr_text", ...} for
    the posts that have images; image embeddings are stored as `image` PostEmbeddings."""
    from .image_evidence import analyses_ensure, face_mix, image_models, pooled_embedding

    if images is False or (images is None and not settings.EMOGRAPH_IMAGE_EVIDENCE):
        return {}
    by_id = {p.id: p for p in posts}
    with_images = set(PostImage.objects.filter(post_id__in=by_id).values_list("post_id", flat=True))
    if not with_images:
        return {}
    models = images or image_models()
    analyses = analyses_ensure(sorted(with_images), models)
    evidence = {}
    ocr_posts, ocr_texts, pooled_rows = [], [], []
    for post_id, rows in analyses.items():
        faces, count = face_mix(rows)
        item = {"faces": faces, "face_count": count, "image_models": models.version}
        problems = [a.problem for a in rows if a.problem]
        if problems:
            item["image_problems"] = problems
        ocr = " ".join(a.ocr_text for a in rows if a.ocr_text).strip()
        if len(ocr.replace(" ", "")) >= MIN_OCR_CHARS:
            item["ocr_text"] = ocr[:500]
            ocr_posts.append(post_id)
            ocr_texts.append(ocr)
        evidence[post_id] = item
        pooled = pooled_embedding(rows)
        if pooled is not None:
            pooled_rows.append(
                PostEmbedding(
                    post_id=post_id,
                    modality=Modality.IMAGE,
                    model_name=models.encoder.name,
                    model_version=models.encoder.version,
                    content_hash=by_id[post_id].content_hash,
                    dim=pooled.shape[0],
                    vector=vector_pack(pooled),
                )
            )
    PostEmbedding.objects.bulk_create(
        pooled_rows,
        update_conflicts=True,
        unique_fields=["post", "modality", "model_name", "model_version"],
        update_fields=["content_hash", "dim", "vector", "created_at"],
    )
    for post_id, probs in zip(ocr_posts, texts_probabilities(ocr_texts, pipelines), strict=True):
        evidence[post_id]["image_text"] = probs
    return evidence


def texts_probabilities(texts, pipelines):
    """Text-head probabilities for loose texts (OCR output), routed by script like posts."""
    keys = [pipeline_for(text) for text in texts]
    return routed_probabilities(texts, keys, pipelines)[0]
