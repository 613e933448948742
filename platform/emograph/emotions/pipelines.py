"""The text pipelines a worker scores with: an encoder plus the head trained on its features.

Two, chosen per post by language (emotions/languages.py): `english` (MiniLM + a head trained on
GoEmotions-Ekman) and `multilingual` (e5-small + a head trained on Chinese SMP2020-EWECT). Each
is configured by two settings, the encoder (see encoders/__init__.py) and the head artefact; the
head names the feature recipe and encoder version it was trained on, and loading refuses a
mismatch instead of scoring with features the head never saw.

Loaded once per process (`text_pipelines()` is cached). `pipelines_check()` is the cheap form
a worker runs at start (paths, head files, encoder versions; no model built), so a bad setting
stops the worker with a clear message instead of failing every task.
"""

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .encoders import EncoderMissing, text_encoder, text_encoder_identity
from .encoders.common import file_version
from .heads import EmotionHead

PIPELINES = ("english", "multilingual")
FUSIONS = ("late", "gated")


@dataclass(frozen=True)
class TextPipeline:
    key: str
    encoder: object
    head: EmotionHead
    model_name: str
    model_version: str


def head_load(key, head_path):
    head_path = Path(head_path)
    if not head_path.is_file():
        raise ImproperlyConfigured(
            f"{key} emotion head {head_path}: no such file; train one with "
            "`python manage.py train_emotion` or point the setting at a shipped artefact"
        )
    return EmotionHead.load(head_path)


def identity_check(key, head, head_path, encoder_spec, identity, dim=None):
    recipe = head.meta.get("encoder", {})
    trained = (recipe.get("name"), recipe.get("version"))
    if trained != tuple(identity) or (dim is not None and head.in_dim != dim):
        raise ImproperlyConfigured(
            f"{key} emotion head {Path(head_path).name} was trained on {trained[0]}@{trained[1]} "
            f"features ({head.in_dim} wide); the configured encoder {encoder_spec!r} is "
            f"{identity[0]}@{identity[1]}. Train a head for this encoder with "
            "`python manage.py train_emotion --encoder ...`"
        )


def pipeline_load(key, *, encoder_spec, head_path, device=None):
    head = head_load(key, head_path)
    try:
        encoder = text_encoder(encoder_spec, head.meta.get("encoder", {}), device=device)
    except (EncoderMissing, OSError) as exc:
        raise ImproperlyConfigured(f"{key} text encoder: {exc}") from exc
    identity_check(
        key, head, head_path, encoder_spec, (encoder.name, encoder.version), dim=encoder.dim
    )
    return TextPipeline(
        key=key,
        encoder=encoder,
        head=head,
        model_name=head.meta.get("name", Path(head_path).stem),
        model_version=file_version(head_path),
    )


def routed_probabilities(texts, keys, pipelines):
    """Head probabilities [n, 7] for loose texts, each through the pipeline its key names: one
    encoder call per pipeline, features rounded to float16 as stored ones are. Also returns
    pipeline key -> the rows it took."""
    routes = {}
    for row, key in enumerate(keys):
        routes.setdefault(key, []).append(row)
    out = np.zeros((len(texts), 7))
    for key, rows in routes.items():
        pipeline = pipelines[key]
        features = pipeline.encoder.embed([texts[r] for r in rows]).astype(np.float16)
        out[rows] = pipeline.head.probabilities(features.astype(np.float32))
    return out, routes


@functools.cache
def text_pipelines():
    return {
        key: pipeline_load(
            key,
            encoder_spec=settings.EMOGRAPH_TEXT_ENCODERS[key],
            head_path=settings.EMOGRAPH_EMOTION_HEADS[key],
        )
        for key in PIPELINES
    }


def pipelines_check():
    """Every configured head exists and matches its configured encoder, and the fusion setting
    names a strategy (and, for "gated", a gate file); no model is built."""
    if settings.EMOGRAPH_FUSION not in FUSIONS:
        raise ImproperlyConfigured(
            f"EMOGRAPH_FUSION={settings.EMOGRAPH_FUSION!r}: choose one of {', '.join(FUSIONS)}"
        )
    gate = Path(settings.EMOGRAPH_FUSION_GATE)
    if settings.EMOGRAPH_FUSION == "gated" and not gate.is_file():
        raise ImproperlyConfigured(
            f"EMOGRAPH_FUSION_GATE {gate}: no such file; train one with "
            "`python manage.py evaluate_fusion --save-gate FILE`"
        )
    for key in PIPELINES:
        spec = settings.EMOGRAPH_TEXT_ENCODERS[key]
        head_path = settings.EMOGRAPH_EMOTION_HEADS[key]
        head = head_load(key, head_path)
        try:
            identity = text_encoder_identity(spec, head.meta.get("encoder", {}))
        except (EncoderMissing, OSError) as exc:
            raise ImproperlyConfigured(f"{key} text encoder: {exc}") from exc
        identity_check(key, head, head_path, spec, identity)
