"""Post and user graphs built from plain per-post arrays in O(n log n) time with O(n) edges.

Every step is a numpy array operation (sort, searchsorted, pointer jumping, bincount): a Python
loop over a million posts costs seconds, and linking every pair in a thread costs 10^12 edges on
a million-reply star, so each post links to its thread root instead.

Nodes are posts in ascending post id; `np.searchsorted(data.post_id.numpy(), ids)` finds them.

Why one `Data` with an `edge_type` vector rather than `HeteroData`: there is a single node type
(posts) with four relations over it. `RGCNConv`-style layers take `edge_type` as it is, and
`data.to_heterogeneous(node_type_names=["post"], edge_type_names=EDGE_TYPE_NAMES)` gives the
HeteroData form on demand.
"""

from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

import networkx as nx
import numpy as np
import torch
from torch_geometric.data import Data

NO_PARENT = -1  # parent id of a post that replies to nothing
UNKNOWN_AUTHOR = -1


class EdgeType(IntEnum):
    """Reply and thread relations each in both directions, so a model can tell them apart."""

    REPLY_TO_PARENT = 0  # reply -> the post it answers
    REPLY_TO_CHILD = 1  # post -> a reply to it
    THREAD_TO_ROOT = 2  # post -> its thread's root
    ROOT_TO_THREAD = 3  # root -> a post of its thread


EDGE_TYPE_NAMES = [
    ("post", "replies_to", "post"),
    ("post", "replied_by", "post"),
    ("post", "in_thread_of", "post"),
    ("post", "thread_has", "post"),
]


@dataclass(frozen=True)
class GraphReport:
    """What `post_graph` repaired or skipped, by post id (ascending), for the caller to surface."""

    duplicate_rows: np.ndarray  # ids with more than one row: the first row is kept
    conflicting_rows: np.ndarray  # those of them whose rows disagree on parent or author
    missing_parent: np.ndarray  # replies whose parent is not in the input: made thread roots
    self_replies: np.ndarray  # posts given as their own parent: made thread roots
    cycles: tuple[np.ndarray, ...]  # members of each parent cycle; its smallest id made a root
    single_post_threads: np.ndarray  # roots without replies: kept as isolated nodes
    skipped_features: np.ndarray  # posts without usable features: zero `x` row

    def counts(self) -> dict[str, int]:
        return {name: len(value) for name, value in vars(self).items()}


class PostGraph(NamedTuple):
    data: Data
    report: GraphReport


def _unique_rows(post_ids):
    """Sorted unique ids, the first row of each, each row's id index, and the repeated ids."""
    ids, first, inverse, counts = np.unique(
        post_ids, return_index=True, return_inverse=True, return_counts=True
    )
    return ids, first, inverse, ids[counts > 1]


def _lookup(sorted_ids, query):
    """Index of each queried id in `sorted_ids`, -1 where it is absent."""
    if len(sorted_ids) == 0:
        return np.full(len(query), -1, np.int64)
    pos = np.minimum(np.searchsorted(sorted_ids, query), len(sorted_ids) - 1)
    return np.where(sorted_ids[pos] == query, pos, -1)


def _pointer_jump(parent):
    """Thread root and depth of every node by pointer jumping: round k replaces each pointer
    with its 2^k-th ancestor, so log2(depth) rounds reach the roots. Also returns whether it
    converged: if not, parent cycles exist and `up` is a 2^k-th ancestor with 2^k > n."""
    node = np.arange(len(parent))
    up = np.where(parent < 0, node, parent)
    depth = (parent >= 0).astype(np.int64)  # hops from a node to `up`
    for _ in range(int(np.ceil(np.log2(len(parent) + 1))) + 1):
        next_up = up[up]
        if np.array_equal(next_up, up):
            break
        depth += depth[up]
        up = next_up
    # Converged only if every pointer reached a root: on a cycle of length 2^j, jumping lands
    # a node back on itself, a fixed point that is not a root.
    return up, depth, bool((parent[up] < 0).all())


def _cycle_labels(parent, far_ancestor):
    """Cycle members and each one's smallest member. Following parents 2^k > n times rotates
    every cycle onto itself and leaves every tail behind, so the cycle members are exactly the
    non-roots among those far ancestors; a doubling minimum then labels each cycle."""
    node = np.arange(len(parent))
    on_cycle = np.zeros(len(parent), bool)
    on_cycle[far_ancestor] = True
    on_cycle &= parent >= 0
    step, low = np.where(on_cycle, parent, node), node.copy()
    while True:
        next_low = np.minimum(low, low[step])
        if np.array_equal(next_low, low):
            return on_cycle, low
        low, step = next_low, step[step]


def _threads(parent):
    """Root node and depth of every node, after cutting each parent cycle at its smallest node
    (which, nodes being in id order, is its smallest post id): `parent` is updated in place and
    the cycles' members are returned as node index arrays."""
    thread, depth, converged = _pointer_jump(parent)
    if converged:
        return thread, depth, ()
    node = np.arange(len(parent))
    on_cycle, label = _cycle_labels(parent, thread)
    parent[on_cycle & (label == node)] = -1
    members, labels = node[on_cycle], label[on_cycle]
    by_cycle = np.argsort(labels, kind="stable")
    cycles = np.split(members[by_cycle], np.flatnonzero(np.diff(labels[by_cycle])) + 1)
    thread, depth, _ = _pointer_jump(parent)
    return thread, depth, tuple(cycles)


def post_graph(
    post_ids, parent_ids, author_ids, timestamps, features=None, has_features=None
) -> PostGraph:
    """Reply forest of posts plus post<->root thread edges, typed by `EdgeType`.

    `Data` holds `x` (when features are given), `edge_index`, `edge_type`, and per node `post_id`,
    `author_id`, `time`, `thread` (node index of its root), `depth` (0 at a root) and
    `has_features`. Bad rows are repaired as `GraphReport` lists, never raised. Rows whose
    features are not finite count as having none.
    """
    post_ids = np.asarray(post_ids, np.int64)
    ids, first, inverse, duplicate_rows = _unique_rows(post_ids)
    parent_ids, author_ids = np.asarray(parent_ids, np.int64), np.asarray(author_ids, np.int64)
    differs = (parent_ids != parent_ids[first][inverse]) | (
        author_ids != author_ids[first][inverse]
    )
    parent_ids, author_ids = parent_ids[first], author_ids[first]
    timestamps = np.asarray(timestamps, np.float64)[first]

    node = np.arange(len(ids))
    parent = np.where(parent_ids == NO_PARENT, -1, _lookup(ids, parent_ids))
    missing = (parent_ids != NO_PARENT) & (parent < 0)
    self_reply = parent == node
    parent[self_reply] = -1
    thread, depth, cycles = _threads(parent)

    child = np.flatnonzero(parent >= 0)  # one row per post, so no edge can repeat
    up, root = parent[child], thread[child]
    edge_index = np.stack(
        [np.concatenate([child, up, child, root]), np.concatenate([up, child, root, child])]
    )
    edge_type = np.repeat(np.arange(len(EdgeType)), len(child))

    data = Data(
        edge_index=torch.from_numpy(edge_index),
        edge_type=torch.from_numpy(edge_type),
        num_nodes=len(ids),
        post_id=torch.from_numpy(ids),
        author_id=torch.from_numpy(author_ids),
        time=torch.from_numpy(timestamps),
        thread=torch.from_numpy(thread),
        depth=torch.from_numpy(depth),
    )
    usable = (
        np.ones(len(ids), bool) if has_features is None else np.asarray(has_features, bool)[first]
    )
    if features is not None:
        x = np.asarray(features, np.float32)[first]  # a copy: zeroing leaves the caller's alone
        usable &= np.isfinite(x).all(axis=1)
        x[~usable] = 0
        data.x = torch.from_numpy(x)
    if features is not None or has_features is not None:
        data.has_features = torch.from_numpy(usable)

    thread_size = np.bincount(thread, minlength=len(ids))
    report = GraphReport(
        duplicate_rows=duplicate_rows,
        conflicting_rows=np.unique(post_ids[differs]),
        missing_parent=ids[missing],
        self_replies=ids[self_reply],
        cycles=tuple(ids[cycle] for cycle in cycles),
        single_post_threads=ids[(thread == node) & (thread_size == 1)],
        skipped_features=ids[~usable],
    )
    return PostGraph(data, report)


def to_networkx_reply_forest(data: Data) -> nx.DiGraph:
    """Parent -> reply forest over post ids, with `author_id`, `depth` and `thread` (the root's
    post id) on each node: `nx.descendants(forest, root)` is then a thread."""
    post_id = data.post_id.numpy()
    forest = nx.DiGraph()
    attributes = zip(
        data.author_id.tolist(), data.depth.tolist(), post_id[data.thread].tolist(), strict=True
    )
    forest.add_nodes_from(
        (post, {"author_id": author, "depth": depth, "thread": root})
        for post, (author, depth, root) in zip(post_id.tolist(), attributes, strict=True)
    )
    down = data.edge_index[:, data.edge_type == EdgeType.REPLY_TO_CHILD].numpy()
    forest.add_edges_from(zip(post_id[down[0]].tolist(), post_id[down[1]].tolist(), strict=True))
    return forest


@dataclass(frozen=True)
class UserGraph:
    """Who replies to whom: edge u -> v weighted by how many of u's posts reply to v's posts.

    Users are every known author in the input, in ascending id, whatever the time window, so a
    user keeps its node index across windows of the same data.
    """

    user_id: np.ndarray  # node index -> user id
    edge_index: torch.Tensor  # [2, E] replier -> replied-to, each pair once
    edge_weight: torch.Tensor  # [E] float32 reply counts
    self_replies: int  # replies to one's own posts: left out (they show no one else's attention)
    unresolved: int  # replies whose parent post or either author is unknown: left out

    @property
    def num_users(self) -> int:
        return len(self.user_id)

    def to_networkx(self, directed: bool = True) -> nx.DiGraph | nx.Graph:
        """Graph over user ids with `weight` per edge; undirected sums u->v and v->u."""
        src, dst = self.edge_index.numpy()
        weight = self.edge_weight.numpy().astype(np.float64)
        graph = nx.DiGraph() if directed else nx.Graph()
        if not directed:  # nx.Graph would keep one of the two directions' weights, not the sum
            pair, inverse = np.unique(
                np.minimum(src, dst) * self.num_users + np.maximum(src, dst), return_inverse=True
            )
            src, dst = np.divmod(pair, self.num_users)
            weight = np.bincount(inverse, weights=weight, minlength=len(pair))
        users = self.user_id
        graph.add_nodes_from(users.tolist())
        edges = zip(users[src].tolist(), users[dst].tolist(), weight.tolist(), strict=True)
        graph.add_weighted_edges_from(edges)
        return graph


def user_graph(post_ids, parent_ids, author_ids, timestamps=None, t0=None, t1=None) -> UserGraph:
    """User reply graph, counting only replies posted in [t0, t1) when either bound is given.

    Self-replies are left out and counted: continuing one's own thread is not attention from
    anyone else, and as PageRank self-loops they would let prolific self-repliers keep their rank.
    """
    ids, first, _, _ = _unique_rows(np.asarray(post_ids, np.int64))
    parent_ids = np.asarray(parent_ids, np.int64)[first]
    author = np.asarray(author_ids, np.int64)[first]
    users = np.unique(author[author != UNKNOWN_AUTHOR])

    reply = parent_ids != NO_PARENT
    if t0 is not None or t1 is not None:
        if timestamps is None:
            raise ValueError("a time window needs timestamps")
        time = np.asarray(timestamps, np.float64)[first]
        reply &= (time >= (-np.inf if t0 is None else t0)) & (time < (np.inf if t1 is None else t1))
    parent = np.where(parent_ids == NO_PARENT, -1, _lookup(ids, parent_ids))
    replied_to = np.where(parent >= 0, author[parent], UNKNOWN_AUTHOR)
    known = reply & (author != UNKNOWN_AUTHOR) & (replied_to != UNKNOWN_AUTHOR)
    own = known & (author == replied_to)
    counted = known & ~own

    pair = _lookup(users, author[counted]) * len(users) + _lookup(users, replied_to[counted])
    pair, count = np.unique(pair, return_counts=True)
    return UserGraph(
        user_id=users,
        edge_index=torch.from_numpy(np.stack(np.divmod(pair, max(len(users), 1)))),
        edge_weight=torch.from_numpy(count.astype(np.float32)),
        self_replies=int(own.sum()),
        unresolved=int((reply & ~known).sum()),
    )
