"""Graph building: exact edges on hand-made threads, every kind of bad row, and a million-reply
star that must stay O(n)."""

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from gnn.graphs import EDGE_TYPE_NAMES, EdgeType, post_graph, to_networkx_reply_forest, user_graph


def columns(rows):
    """(post id, parent id, author id, time) rows -> the four input arrays."""
    post, parent, author, time = (np.array(column) for column in zip(*rows, strict=True))
    return post.astype(np.int64), parent.astype(np.int64), author.astype(np.int64), time


def typed_edges(data):
    """{(edge type, source post id, target post id)} of a post graph."""
    post_id = data.post_id.numpy()
    src, dst = post_id[data.edge_index.numpy()]
    return set(zip(data.edge_type.tolist(), src.tolist(), dst.tolist(), strict=True))


def both_ways(up_type, down_type, pairs):
    return {(up_type, c, p) for c, p in pairs} | {(down_type, p, c) for c, p in pairs}


def ids(data, nodes):
    return data.post_id.numpy()[np.asarray(nodes)].tolist()


# 1 <- 2 <- 4 <- 5, and 1 <- 3; rows shuffled so node order must come from the ids.
TREE = [(4, 2, 10, 30.0), (1, -1, 10, 0.0), (5, 4, 30, 40.0), (3, 1, 30, 20.0), (2, 1, 20, 10.0)]


def test_reply_tree_edges_roots_depths_both_directions():
    data, report = post_graph(*columns(TREE))

    assert data.post_id.tolist() == [1, 2, 3, 4, 5]
    assert data.author_id.tolist() == [10, 20, 30, 10, 30]
    assert data.time.tolist() == [0.0, 10.0, 20.0, 30.0, 40.0]
    assert ids(data, data.thread) == [1, 1, 1, 1, 1]
    assert data.depth.tolist() == [0, 1, 1, 2, 3]
    replies = [(2, 1), (3, 1), (4, 2), (5, 4)]
    thread = [(2, 1), (3, 1), (4, 1), (5, 1)]
    assert typed_edges(data) == both_ways(
        EdgeType.REPLY_TO_PARENT, EdgeType.REPLY_TO_CHILD, replies
    ) | both_ways(EdgeType.THREAD_TO_ROOT, EdgeType.ROOT_TO_THREAD, thread)
    assert data.edge_index.shape == (2, 16)
    assert data.x is None
    assert "has_features" not in data
    assert all(count == 0 for count in report.counts().values())


def test_converts_to_hetero_data_with_one_relation_per_edge_type():
    data, _ = post_graph(*columns(TREE))
    hetero = data.to_heterogeneous(node_type_names=["post"], edge_type_names=EDGE_TYPE_NAMES)
    assert hetero.node_types == ["post"]
    assert all(hetero[name].edge_index.shape == (2, 4) for name in EDGE_TYPE_NAMES)


def test_missing_parent_makes_the_reply_a_root():
    data, report = post_graph(*columns([(1, -1, 1, 0), (2, 99, 1, 1), (3, 2, 1, 2)]))
    assert report.missing_parent.tolist() == [2]
    assert ids(data, data.thread) == [1, 2, 2]
    assert data.depth.tolist() == [0, 0, 1]
    assert report.single_post_threads.tolist() == [1]


def test_parent_cycles_are_cut_at_their_smallest_id():
    rows = [
        (12, 11, 1, 0),  # 10 -> 12 -> 11 -> 10: a 3-cycle
        (10, 12, 1, 0),
        (11, 10, 1, 0),
        (13, 11, 1, 0),  # a tail hanging off the cycle
        (21, 20, 1, 0),  # 20 <-> 21
        (20, 21, 1, 0),
    ]
    data, report = post_graph(*columns(rows))
    assert [cycle.tolist() for cycle in report.cycles] == [[10, 11, 12], [20, 21]]
    assert ids(data, data.thread) == [10, 10, 10, 10, 20, 20]
    assert data.depth.tolist() == [0, 1, 2, 2, 0, 1]
    assert (EdgeType.REPLY_TO_PARENT, 12, 11) in typed_edges(data)
    assert (EdgeType.REPLY_TO_PARENT, 10, 12) not in typed_edges(data)
    assert report.self_replies.size == 0


def test_self_reply_becomes_a_single_post_thread():
    data, report = post_graph(*columns([(7, 7, 1, 0), (8, -1, 1, 0), (9, 8, 1, 0)]))
    assert report.self_replies.tolist() == [7]
    assert report.cycles == ()
    assert report.single_post_threads.tolist() == [7]
    assert typed_edges(data) == both_ways(0, 1, [(9, 8)]) | both_ways(2, 3, [(9, 8)])


def test_duplicate_rows_keep_the_first_and_give_no_duplicate_edges():
    rows = [(1, -1, 1, 0), (2, 1, 2, 1), (2, 1, 2, 1), (3, 1, 3, 2), (3, 2, 3, 2), (2, 1, 2, 1)]
    data, report = post_graph(*columns(rows))
    assert report.duplicate_rows.tolist() == [2, 3]
    assert report.conflicting_rows.tolist() == [3]
    assert data.num_nodes == 3
    assert data.edge_index.shape == (2, 8)
    assert ids(data, data.thread) == [1, 1, 1]  # 3 kept its first parent, 1
    assert typed_edges(data) == both_ways(0, 1, [(2, 1), (3, 1)]) | both_ways(
        2, 3, [(2, 1), (3, 1)]
    )


def test_posts_without_features_are_reported_and_zeroed():
    post, parent, author, time = columns([(1, -1, 1, 0), (2, 1, 1, 1), (3, 1, 1, 2), (4, 1, 1, 3)])
    features = np.arange(8, dtype=np.float32).reshape(4, 2)
    features[2, 1] = np.nan
    data, report = post_graph(
        post, parent, author, time, features, has_features=[True, False, True, True]
    )
    assert report.skipped_features.tolist() == [2, 3]
    assert data.has_features.tolist() == [True, False, False, True]
    assert data.x.tolist() == [[0, 1], [0, 0], [0, 0], [6, 7]]
    assert np.isnan(features[2, 1])  # the caller's array is left alone

    _, report = post_graph(post, parent, author, time, has_features=[True, True, False, True])
    assert report.skipped_features.tolist() == [3]


def test_million_reply_star_has_linear_edges_and_memory():
    n = 1_000_000
    post = np.arange(n, dtype=np.int64)[::-1].copy()
    parent = np.zeros(n, np.int64)
    parent[-1] = -1  # post 0, the root, comes last
    tracemalloc.start()
    data, report = post_graph(post, parent, post % 1000, post.astype(np.float64))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert data.edge_index.shape == (2, 4 * (n - 1))  # 2 reply + 2 thread edges per reply
    assert np.bincount(data.edge_type.numpy()).tolist() == [n - 1] * 4
    assert int(data.thread.max()) == 0
    assert int(data.depth.sum()) == n - 1
    assert all(count == 0 for count in report.counts().values())
    assert peak < 512 * n  # bytes: linear, about 220 per post today


def test_long_chain_depths_by_pointer_jumping():
    chain = np.arange(200_000)
    data, _ = post_graph(chain, chain - 1, chain, chain)
    assert np.array_equal(data.depth.numpy(), chain)
    assert not data.thread.any()


def test_reply_forest_for_networkx():
    data, _ = post_graph(*columns([*TREE, (9, -1, 40, 5.0)]))
    forest = to_networkx_reply_forest(data)
    assert set(forest.edges) == {(1, 2), (1, 3), (2, 4), (4, 5)}
    assert forest.nodes[5] == {"author_id": 30, "depth": 3, "thread": 1}
    assert forest.nodes[9] == {"author_id": 40, "depth": 0, "thread": 9}


USER_ROWS = [
    (1, -1, 1, 0),
    (2, 1, 2, 10),  # 2 -> 1
    (3, 1, 2, 20),  # 2 -> 1
    (4, 2, 1, 30),  # 1 -> 2
    (5, 4, 1, 40),  # self-reply
    (6, 1, -1, 50),  # unknown author
    (7, 99, 3, 60),  # missing parent
    (8, -1, 4, 5),  # a user nobody answers
]


def user_edges(graph):
    pairs = graph.user_id[graph.edge_index.numpy()].T.tolist()
    return dict(zip(map(tuple, pairs), graph.edge_weight.tolist(), strict=True))


def test_user_graph_counts_replies_between_users():
    graph = user_graph(*columns(USER_ROWS))
    assert graph.user_id.tolist() == [1, 2, 3, 4]
    assert user_edges(graph) == {(2, 1): 2.0, (1, 2): 1.0}
    assert (graph.self_replies, graph.unresolved) == (1, 2)

    directed = graph.to_networkx()
    assert sorted(directed.nodes) == [1, 2, 3, 4]
    assert directed[2][1]["weight"] == 2
    undirected = graph.to_networkx(directed=False)
    assert undirected.number_of_edges() == 1
    assert undirected[1][2]["weight"] == 3


def test_user_graph_time_window_is_half_open():
    graph = user_graph(*columns(USER_ROWS), t0=10, t1=30)
    assert user_edges(graph) == {(2, 1): 2.0}
    assert graph.user_id.tolist() == [1, 2, 3, 4]  # same nodes whatever the window
    graph = user_graph(*columns(USER_ROWS), t0=15)
    assert user_edges(graph) == {(2, 1): 1.0, (1, 2): 1.0}
    assert (graph.self_replies, graph.unresolved) == (1, 2)


def test_user_graph_window_needs_timestamps():
    post, parent, author, _ = columns(USER_ROWS)
    with pytest.raises(ValueError, match="timestamps"):
        user_graph(post, parent, author, t1=10)


def test_gnn_is_a_plain_library_without_django():
    import subprocess
    import sys

    code = "import sys, gnn.graphs, gnn.analytics; sys.exit('django' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(__file__).parents[2], check=False
    )
    assert result.returncode == 0, "gnn imported Django"


def test_two_and_four_post_cycles_are_found_too():
    # Pointer jumping lands each member of a 2^j cycle back on itself, which looks like a root.
    graph = post_graph([5, 6, 7, 8, 9, 10], [6, 5, 8, 9, 10, 7], [1] * 6, [0] * 6)
    assert [c.tolist() for c in graph.report.cycles] == [[5, 6], [7, 8, 9, 10]]
    assert graph.data.thread.tolist() == [0, 0, 2, 2, 2, 2]
