"""Training and evaluation runs for the content emotion heads (what the commands call).

Features are cached on disk per (file contents, encoder version, recipe): the encoder is the
slow part on a CPU (MiniLM ~150 texts/s, e5 ~30 texts/s on 2 cores), the head trains in
seconds, so tuning the head never re-embeds.
"""

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np

from .datasets import labelled_texts
from .encoders import text_encoder
from .heads import head_train
from .metrics import classification_metrics


def features_cached(encoder, data, cache_dir, log=print):
    key = hashlib.sha256()
    key.update(Path(data.path).read_bytes())
    key.update(f"{encoder.name}@{encoder.version}:{encoder.dim}".encode())
    key.update(json.dumps(getattr(encoder, "extra_layers", ())).encode())
    key.update(str(encoder.max_tokens).encode())
    key.update(str(getattr(encoder, "dtype", "")).encode())  # bf16 and fp32 features differ
    cache = Path(cache_dir) / f"{Path(data.path).stem}-{key.hexdigest()[:16]}.npy"
    if cache.is_file():
        return np.load(cache).astype(np.float32)
    log(f"embedding {len(data)} texts of {data.path} with {encoder.name} ...")
    start = dt.datetime.now()
    features = encoder.embed(data.texts).astype(np.float16)
    seconds = (dt.datetime.now() - start).total_seconds()
    log(f"  {len(data)} texts in {seconds:.0f} s ({len(data) / max(seconds, 1e-9):.0f}/s)")
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, features)
    # Heads always read float16-rounded features, as stored in the database.
    return features.astype(np.float32)


def recipe_for(spec, *, extra_layers=(), max_tokens=128):
    recipe = {"spec": spec, "extra_layers": list(extra_layers), "max_tokens": max_tokens}
    if spec == "minilm":
        recipe["name"] = "all-MiniLM-L6-v2"
    return recipe


def emotion_head_train(
    *,
    fmt,
    train,
    dev,
    test=None,
    encoder_spec,
    extra_layers=(),
    max_tokens=128,
    name,
    out,
    cache_dir,
    hidden=512,
    dropout=0.3,
    seed=0,
    command="",
    log=print,
):
    recipe = recipe_for(encoder_spec, extra_layers=extra_layers, max_tokens=max_tokens)
    encoder = text_encoder(encoder_spec, recipe)
    splits = {"train": train, "dev": dev, **({"test": test} if test else {})}
    data = {split: labelled_texts(path, fmt) for split, path in splits.items()}
    features = {split: features_cached(encoder, d, cache_dir, log) for split, d in data.items()}
    head, info = head_train(
        features["train"],
        data["train"].y,
        features["dev"],
        data["dev"].y,
        hidden=hidden,
        dropout=dropout,
        seed=seed,
        log=log,
    )
    metrics = {
        split: classification_metrics(data[split].y, head.probabilities(features[split]))
        for split in data
        if split != "train"
    }
    head.meta = {
        "name": name,
        "encoder": {
            **recipe,
            "name": encoder.name,
            "version": encoder.version,
            "dim": encoder.dim,
            "trained_dtype": str(getattr(encoder, "dtype", "float32")),
        },
        "data": {
            split: {"path": str(d.path), "format": fmt, "examples": len(d)}
            for split, d in data.items()
        },
        "training": {**info, "hidden": hidden, "dropout": dropout, "seed": seed},
        "metrics": {
            split: {k: m[k] for k in ("accuracy", "macro", "weighted", "cohen_kappa")}
            for split, m in metrics.items()
        },
        "command": command,
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    head.save(out)
    return head, metrics
