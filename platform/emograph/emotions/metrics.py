"""Classification metrics for 7-class probability outputs, as one JSON-ready dict.

Macro averages run over the classes the gold data has (SMP2020 has no disgust: a disgust
prediction there is an error for the true class, not a class of its own to average over).
"""

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    cohen_kappa_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)

from .taxonomy import EMOTIONS


def classification_metrics(y_true, probabilities):
    y_true = np.asarray(y_true)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    y_pred = probabilities.argmax(1)
    present = sorted(set(y_true.tolist()))
    names = [EMOTIONS[i] for i in present]
    result = {"examples": len(y_true), "classes": names, "accuracy": accuracy_score(y_true, y_pred)}
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=present, average=average, zero_division=0
        )
        result[average] = {"precision": p, "recall": r, "f1": f}
    result["per_class"] = classification_report(
        y_true, y_pred, labels=present, target_names=names, output_dict=True, zero_division=0
    )
    aucs = {
        EMOTIONS[c]: roc_auc_score(y_true == c, probabilities[:, c])
        for c in present
        if 0 < (y_true == c).sum() < len(y_true)
    }
    result["roc_auc_ovr"] = {"macro": float(np.mean(list(aucs.values()))) if aucs else None, **aucs}
    result["cohen_kappa"] = cohen_kappa_score(y_true, y_pred)
    all_classes = list(range(len(EMOTIONS)))
    result["confusion_matrix"] = {
        "labels": list(EMOTIONS),
        "rows_are": "true class",
        "matrix": confusion_matrix(y_true, y_pred, labels=all_classes).tolist(),
    }
    return _plain(result)


def _plain(value):
    """numpy scalars -> floats rounded to 4 places, recursively (for JSON)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return round(float(value), 4)
    return value


def confusion_text(metrics):
    labels = metrics["confusion_matrix"]["labels"]
    matrix = metrics["confusion_matrix"]["matrix"]
    width = max(len(x) for x in labels) + 1
    lines = ["true \\ predicted".ljust(width + 2) + "".join(x[:7].rjust(8) for x in labels)]
    for name, row in zip(labels, matrix, strict=True):
        lines.append(name.ljust(width + 2) + "".join(str(v).rjust(8) for v in row))
    return "\n".join(lines)


def confusion_png(metrics, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = metrics["confusion_matrix"]["labels"]
    matrix = np.asarray(metrics["confusion_matrix"]["matrix"], dtype=np.float64)
    share = matrix / np.maximum(matrix.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.4, 5.6), dpi=120)
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                colour = "white" if share[i, j] > 0.5 else "black"
                ax.text(j, i, int(matrix[i, j]), ha="center", va="center", fontsize=7, color=colour)
    fig.colorbar(image, ax=ax, label="share of the true class")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
