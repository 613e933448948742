"""Graph-stage inference: content probabilities in, propagated probabilities out.

On the GPU when there is one (a `gpu` queue worker), on the CPU otherwise, same code; float32
either way (the model is 7 -> 64 -> 7: precision costs nothing, and reruns compare rows to
1e-6). Full batch when the graph fits (`batch_nodes`); beyond that, mini-batches of whole threads.
With reply and thread edges only, every edge stays inside its thread, so a batch of whole
threads gives exactly the full-batch answer: nothing is sampled away. (PyG's NeighborLoader
would sample instead, and needs pyg-lib or torch-sparse, which have no build for this torch.)
A thread bigger than `batch_nodes` (a million-reply star) is a batch on its own.
"""

import numpy as np
import torch

from gnn.artefact import GraphModel

UNIFORM = 1.0 / 7


def model_edges(edge_index, edge_type, edge_types):
    keep = torch.isin(edge_type, torch.tensor(edge_types, dtype=edge_type.dtype))
    return edge_index[:, keep]


@torch.inference_mode()
def _forward(model, content, edge_index):
    return torch.softmax(model(None, content, edge_index), 1)


def thread_batches(thread, batch_nodes):
    """Batch id per node: threads in order of their root, packed while a batch holds fewer
    than `batch_nodes` nodes (so a batch ends with at most one thread too many)."""
    sizes = np.bincount(thread, minlength=len(thread))
    start = np.cumsum(sizes) - sizes  # nodes in all earlier threads
    return (start // batch_nodes)[thread]


def default_device():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def propagate(graph_model: GraphModel, data, content, *, batch_nodes=2_000_000, device=None):
    """Propagated probabilities [n, 7] (float32 numpy) for `data` from `gnn.graphs.post_graph`,
    computed on `device` (default: the GPU if there is one).

    `content` is [n, 7]; rows of posts without content evidence should be uniform (they then
    take their conversation's emotion; the caller decides whether to keep those rows).
    """
    device = torch.device(device) if device is not None else default_device()
    content = torch.as_tensor(np.asarray(content, np.float32))
    edges = model_edges(data.edge_index, data.edge_type, graph_model.edge_types)
    model = graph_model.model.to(device).eval()  # 12 KB: moving it costs nothing
    n = data.num_nodes
    if n <= batch_nodes:
        return _forward(model, content.to(device), edges.to(device)).cpu().numpy()

    batch = thread_batches(data.thread.numpy(), batch_nodes)
    order = np.argsort(batch, kind="stable")
    counts = np.bincount(batch)
    first = np.cumsum(counts) - counts
    local = np.empty(n, np.int64)
    local[order] = np.arange(n) - first[batch[order]]
    src, dst = edges.numpy()
    edge_order = np.argsort(batch[src], kind="stable")
    edge_first = np.searchsorted(batch[src][edge_order], np.arange(len(counts)))
    edge_last = np.append(edge_first[1:], len(src))
    out = np.empty((n, content.shape[1]), np.float32)
    for b in np.flatnonzero(counts):
        nodes = order[first[b] : first[b] + counts[b]]
        e = edge_order[edge_first[b] : edge_last[b]]
        local_edges = torch.from_numpy(np.stack([local[src[e]], local[dst[e]]]))
        out[nodes] = _forward(model, content[nodes].to(device), local_edges.to(device)).cpu()
    return out
