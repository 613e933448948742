"""Short replies on real Twitter reply trees: content-only against the graph stage, judged by
hand labels.

    .venv/bin/python bench/short_replies.py [--labels FILE] [--data RUMOUREVAL_SPLIT_FOLDER]

The reply trees are RumourEval 2017 test (1,049 tweets in 28 threads, ../shared/data). The
labels file holds 80 replies of at most 6 words (not counting @mentions and links), drawn at
random (seed 2026) from the 269 such replies, each labelled by one developer with one of the 7
classes while reading the reply, its parent and its thread's root, before any model output
was looked at (GoEmotions-Ekman grouping: annoyance and disapproval are anger, curiosity and
confusion surprise, amusement, gratitude and approval joy). One annotator, 80 posts: read the
differences as counts, not as significant figures. A second file, 60 replies of traindev
(seed 7, same rules), is for development: `--data ../shared/data/rumoureval2017/traindev
--labels bench/labels/rumoureval2017_traindev_short_replies.tsv`.

Every tweet is scored by the shipped English content pipeline; the shipped graph artefacts
(label propagation and the residual GCN) then run over the whole reply forest, and each row is
scored on the labelled replies only (`emograph.propagation.training.graph_evaluate`, nothing is
trained). Then, for content-only against each graph row, how many labelled replies only one of
the two gets right. Prints a table, the replies the GCN relabelled, and one JSON line.
"""

import argparse
import csv
import datetime as dt
import json
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "rumoureval2017" / "test"
LABELS = REPO / "bench" / "labels" / "rumoureval2017_test_short_replies.tsv"
sys.path[:0] = [str(REPO / "platform"), str(REPO)]


def django_setup():
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def rumoureval_forest(folder):
    """Ids, parent node indexes, times and texts of a RumourEval split, as imported."""
    from ingest.formats.public import read_rumoureval

    rows = [row.fields for row in read_rumoureval(folder) if hasattr(row, "fields")]
    node = {fields["id"]: i for i, fields in enumerate(rows)}
    parents = np.array([node.get(fields.get("parent_id") or "", -1) for fields in rows])
    times = np.array(
        [dt.datetime.fromisoformat(fields["created_at"]).timestamp() for fields in rows]
    )
    return [fields["id"] for fields in rows], parents, times, [fields["text"] for fields in rows]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    django_setup()
    from emograph.emotions.pipelines import text_pipelines
    from emograph.emotions.taxonomy import EMOTION_INDEX, EMOTIONS
    from emograph.propagation.services import graph_model
    from emograph.propagation.training import UNLABELLED, GraphInputs, graph_evaluate, graph_rows
    from gnn.graphs import post_graph

    ids, parents, times, texts = rumoureval_forest(args.data)
    with args.labels.open(encoding="utf-8") as handle:
        hand = csv.DictReader(handle, delimiter="\t")
        gold = {row["id"]: EMOTION_INDEX[row["emotion"]] for row in hand}
    missing = sorted(set(gold) - set(ids))
    if missing:
        raise SystemExit(f"{args.labels}: ids not in {args.data}: {', '.join(missing[:5])}")

    pipeline = text_pipelines()["english"]
    features = pipeline.encoder.embed(texts).astype(np.float16)  # rounded as stored ones are
    content = pipeline.head.probabilities(features.astype(np.float32)).astype(np.float32)
    graph = post_graph(np.arange(len(ids)), parents, np.full(len(ids), -1), times)
    y = np.array([gold.get(i, UNLABELLED) for i in ids])
    inputs, model = GraphInputs(graph.data, content, y, str(args.data)), graph_model()
    rows = graph_rows(inputs, model)
    result = graph_evaluate(inputs, model, rows)

    labelled = np.flatnonzero(y != UNLABELLED)
    truth = y[labelled]
    predicted = {name: p[labelled].argmax(1) for name, p in rows.items()}
    base = predicted["content_only"] == truth
    for name in predicted.keys() - {"content_only"}:
        right = predicted[name] == truth
        result["rows"][name]["only_this_right"] = int((right & ~base).sum())
        result["rows"][name]["only_content_right"] = int((base & ~right).sum())
        moved = predicted[name] != predicted["content_only"]
        result["rows"][name]["relabelled"] = int(moved.sum())

    print(f"{len(labelled)} hand-labelled short replies of {len(ids):,} tweets in {args.data}")
    print(f"{'row':<22}{'accuracy':>9}{'macro-F1':>9}{'weighted-F1':>12}{'relabelled':>11}"
          f"{'only it right':>14}{'only content right':>19}")  # fmt: skip
    for name, row in result["rows"].items():
        extra = (f"{row.get('relabelled', ''):>11}{row.get('only_this_right', ''):>14}"
                 f"{row.get('only_content_right', ''):>19}")  # fmt: skip
        print(f"{name:<22}{row['accuracy']:>9.3f}{row['macro_f1']:>9.3f}"
              f"{row['weighted_f1']:>12.3f}{extra}")  # fmt: skip
    print("\nreplies the GCN relabelled (hand label, content -> graph):")
    for k in np.flatnonzero(predicted["gcn"] != predicted["content_only"]):
        i = labelled[k]
        mark = {(True, False): "+", (False, True): "-"}.get(
            (predicted["gcn"][k] == truth[k], predicted["content_only"][k] == truth[k]), " "
        )
        print(f" {mark} {EMOTIONS[truth[k]]:<9}{EMOTIONS[predicted['content_only'][k]]:>9} -> "
              f"{EMOTIONS[predicted['gcn'][k]]:<9}{' '.join(texts[i].split())[:70]}")  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
