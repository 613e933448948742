"""Evaluation of the configured (shipped) content pipelines on labelled data."""

import json
from pathlib import Path

from .datasets import labelled_texts
from .languages import pipeline_for
from .metrics import classification_metrics, confusion_png, confusion_text
from .pipelines import routed_probabilities, text_pipelines


def emotion_evaluate(*, path, fmt, pipeline="auto", out_dir=None, pipelines=None):
    data = labelled_texts(path, fmt)
    if not len(data):
        raise ValueError(f"{path}: no single-label examples to evaluate")
    pipelines = pipelines or text_pipelines()
    keys = [
        pipeline_for(text, language) if pipeline == "auto" else pipeline
        for text, language in zip(data.texts, data.languages, strict=True)
    ]
    probabilities, routes = routed_probabilities(data.texts, keys, pipelines)
    used = {}
    for key, rows in routes.items():
        p = pipelines[key]
        used[key] = {
            "examples": len(rows),
            "model": f"{p.model_name}@{p.model_version}",
            "encoder": f"{p.encoder.name}@{p.encoder.version}",
        }
    metrics = classification_metrics(data.y, probabilities)
    result = {
        "data": str(path),
        "format": fmt,
        "pipelines": used,
        "skipped_unlabelled": data.skipped_unlabelled,
        "rejected_rows": len(data.rejected),
        **metrics,
    }
    if out_dir:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "metrics.json").write_text(json.dumps(result, indent=1))
        (out_dir / "confusion.txt").write_text(confusion_text(metrics) + "\n")
        title = f"{Path(path).name}: macro-F1 {metrics['macro']['f1']:.3f}"
        confusion_png(metrics, out_dir / "confusion.png", title)
    return result
