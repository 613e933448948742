"""Training and evaluating the graph model on labelled conversations (what the commands call).

Inputs are the same in both: the production content stage's probabilities (the shipped
English pipeline; its features cached on disk like `train_emotion`'s), the reply graph, and
gold labels. The GCN therefore learns to correct what scoring really produces, and reads
nothing encoder-specific: the same model serves MiniLM-scored English and e5-scored Chinese
graphs.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.metrics import f1_score

from emograph.emotions.datasets import labelled_texts
from emograph.emotions.metrics import classification_metrics
from emograph.emotions.models import EmotionPrediction, Stage
from emograph.emotions.pipelines import text_pipelines
from emograph.emotions.taxonomy import EMOTION_INDEX
from emograph.emotions.training import features_cached
from gnn.artefact import GraphModel
from gnn.graphs import EdgeType, post_graph
from gnn.model import ResidualGCN, gcn_train, label_propagation
from gnn.propagation import UNIFORM, model_edges, propagate

from .selectors import window_posts

REPLY_EDGES = (EdgeType.REPLY_TO_PARENT, EdgeType.REPLY_TO_CHILD)
THREAD_EDGES = (*REPLY_EDGES, EdgeType.THREAD_TO_ROOT, EdgeType.ROOT_TO_THREAD)
LP_ALPHAS = (0.1, 0.3, 0.5)
UNLABELLED = -1


@dataclass
class GraphInputs:
    data: object  # torch_geometric Data from post_graph
    content: np.ndarray  # [n, 7] float32
    y: np.ndarray  # gold class per node, UNLABELLED where none
    source: str


def weighted_f1(y, predicted):
    return f1_score(y, predicted, average="weighted", labels=range(7), zero_division=0)


def meld_inputs(path, *, cache_dir="var/features", pipelines=None) -> GraphInputs:
    """A MELD CSV as reply chains (one utterance answers the previous one), its content
    probabilities from the shipped English pipeline."""
    data = labelled_texts(path, "meld")
    if not len(data):
        raise ValueError(f"{path}: no labelled utterances")
    pipeline = (pipelines or text_pipelines())["english"]
    features = features_cached(pipeline.encoder, data, cache_dir, log=lambda *_: None)
    content = pipeline.head.probabilities(features).astype(np.float32)
    index = {post_id: node for node, post_id in enumerate(data.ids)}
    parents = [index.get(parent, -1) if parent else -1 for parent in data.parents]
    speakers = {name: n for n, name in enumerate(sorted(set(data.authors)))}
    graph = post_graph(
        np.arange(len(data)), parents, [speakers[a] for a in data.authors], np.zeros(len(data))
    )
    return GraphInputs(graph.data, content, data.y, str(path))


def platform_inputs(t0, t1, *, topic_id=None, confident=0.9) -> GraphInputs:
    """The platform's own posts in a window: human annotations as labels, plus content
    predictions at least `confident` sure as pseudo-labels where no human label exists."""
    posts = window_posts(t0, t1, topic_id)
    graph = post_graph(posts.post_id, posts.parent_id, posts.author_id, posts.time)
    has_content = posts.has_content
    content = np.where(has_content[:, None], posts.content, np.float32(UNIFORM))
    y = np.full(len(posts), UNLABELLED, np.int64)
    sure = has_content & (posts.content.max(1) >= confident)
    y[sure] = posts.content[sure].argmax(1)
    human = EmotionPrediction.objects.filter(
        stage=Stage.HUMAN, post_id__in=posts.post_id.tolist()
    ).values_list("post_id", "label")
    for post_id, label in human:
        y[np.searchsorted(posts.post_id, post_id)] = EMOTION_INDEX[label]
    return GraphInputs(graph.data, content, y, f"platform {t0:%Y-%m-%d}..{t1:%Y-%m-%d}")


def thread_split(data, labelled, fraction=0.1, seed=0):
    """Train / validation masks by whole threads (dialogues), so no conversation is in both."""
    thread = data.thread.numpy()
    roots = np.unique(thread[labelled])
    rng = np.random.default_rng(seed)
    held = rng.choice(roots, max(1, int(len(roots) * fraction)), replace=False)
    val = np.isin(thread, held) & labelled
    return labelled & ~val, val


def graph_model_train(inputs: GraphInputs, *, hidden=64, lr=1e-2, seed=0, name="graph-gcn",
                      command="", log=print):  # fmt: skip
    """Choose edge set and label-propagation alpha on held-out threads, train the GCN, and a
    control with the same recipe but no edges (what recalibrating the content stage alone
    gives), kept in the artefact so evaluation can show both."""
    labelled = inputs.y != UNLABELLED
    if labelled.sum() < 20:
        raise ValueError(f"{inputs.source}: {labelled.sum()} labelled posts; need at least 20")
    train, val = thread_split(inputs.data, labelled, seed=seed)
    content = torch.from_numpy(inputs.content)
    y = np.where(labelled, inputs.y, 0)
    train_t, val_t = torch.from_numpy(train), torch.from_numpy(val)

    def fit(edges):
        return gcn_train(None, content, edges, y, train_t, val_t, score=weighted_f1,
                         hidden=hidden, lr=lr, seed=seed)  # fmt: skip

    candidates = {}
    for label, types in (("reply", REPLY_EDGES), ("reply+thread", THREAD_EDGES)):
        edges = model_edges(inputs.data.edge_index, inputs.data.edge_type, types)
        model, score, epoch = fit(edges)
        candidates[label] = (score, epoch, model, types)
        log(f"GCN {label} edges: validation weighted-F1 {score:.4f} (epoch {epoch})")
    best = max(candidates, key=lambda k: candidates[k][0])
    score, epoch, model, types = candidates[best]
    control, control_score, _ = fit(torch.zeros(2, 0, dtype=torch.long))
    log(f"control, no edges: validation weighted-F1 {control_score:.4f}")

    edges = model_edges(inputs.data.edge_index, inputs.data.edge_type, types).numpy()
    lp = {a: weighted_f1(inputs.y[val], label_propagation(inputs.content, edges, a)[val].argmax(1))
          for a in LP_ALPHAS}  # fmt: skip
    alpha = max(lp, key=lp.get)
    log(f"label propagation alpha {alpha} (validation weighted-F1 {lp[alpha]:.4f})")
    content_only = weighted_f1(inputs.y[val], inputs.content[val].argmax(1))
    meta = {
        "name": name,
        "trained_on": inputs.source,
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command,
        "edges": best,
        "epoch": epoch,
        "hidden": hidden,
        "seed": seed,
        "train_posts": int(train.sum()),
        "validation_posts": int(val.sum()),
        "validation_weighted_f1": {
            "content_only": round(content_only, 4),
            "label_propagation": round(lp[alpha], 4),
            "gcn_no_edges": round(control_score, 4),
            **{f"gcn_{k}": round(v[0], 4) for k, v in candidates.items()},
        },
        "control_state": control.state_dict(),
    }
    return GraphModel(model=model, edge_types=types, lp_alpha=alpha, meta=meta)


def _row(y, probabilities):
    metrics = classification_metrics(y, probabilities)
    return {
        "weighted_f1": round(metrics["weighted"]["f1"], 4),
        "macro_f1": round(metrics["macro"]["f1"], 4),
        "accuracy": round(metrics["accuracy"], 4),
    }


def graph_rows(inputs: GraphInputs, graph_model: GraphModel):
    """Probabilities [n, 7] of every node per table row, all from the shipped artefacts."""
    edges = model_edges(inputs.data.edge_index, inputs.data.edge_type, graph_model.edge_types)
    rows = {
        "content_only": inputs.content,
        "label_propagation": label_propagation(inputs.content, edges.numpy(), graph_model.lp_alpha),
        "gcn": propagate(graph_model, inputs.data, inputs.content),
    }
    if "control_state" in graph_model.meta:
        control = ResidualGCN(graph_model.model.in_dim, hidden=graph_model.model.hidden)
        control.load_state_dict(graph_model.meta["control_state"])
        no_edges = graph_model.__class__(model=control.eval(), edge_types=())
        rows["gcn_no_edges_control"] = propagate(no_edges, inputs.data, inputs.content)
    return rows


def graph_evaluate(inputs: GraphInputs, graph_model: GraphModel, rows=None):
    """The table rows on labelled nodes, all from the shipped artefacts; nothing is trained."""
    labelled = inputs.y != UNLABELLED
    y = inputs.y[labelled]
    rows = rows or graph_rows(inputs, graph_model)
    return {
        "data": inputs.source,
        "posts": int(labelled.sum()),
        "graph_model": f"{graph_model.meta.get('name', 'graph-gcn')}@{graph_model.version}",
        "edges": graph_model.meta.get("edges"),
        "label_propagation_alpha": graph_model.lp_alpha,
        "rows": {name: _row(y, p[labelled]) for name, p in rows.items()},
    }
