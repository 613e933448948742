"""Analytics on small graphs with known answers, and pagerank_fast against networkx."""

import networkx as nx
import numpy as np
import pytest

from gnn.analytics import (
    Driver,
    cascades,
    communities,
    influential_users,
    negative_drivers,
    pagerank_fast,
    user_emotions,
)
from gnn.graphs import post_graph, user_graph


def graph_of_replies(pairs, users):
    """User graph where each (u, v) is one post by u replying to v's root post."""
    root = {user: index for index, user in enumerate(users)}
    post = np.arange(len(users) + len(pairs))
    parent = np.array([-1] * len(users) + [root[v] for _, v in pairs])
    author = np.array(list(users) + [u for u, _ in pairs])
    return user_graph(post, parent, author)


def test_influential_user_is_the_one_everyone_answers():
    graph = graph_of_replies([(u, 0) for u in range(1, 50)] + [(0, 7)], range(50))
    top = influential_users(graph, top=3)
    assert [user for user, _ in top] == [0, 7, 1]  # 7 is answered by the most answered user
    assert top[0][1] > 10 * top[2][1]


def test_communities_are_the_two_cliques():
    cliques = [range(4), range(10, 14)]
    pairs = [(u, v) for clique in cliques for u in clique for v in clique if u != v]
    graph = graph_of_replies(pairs, [*cliques[0], *cliques[1]])
    assert communities(graph) == [{0, 1, 2, 3}, {10, 11, 12, 13}]


THREADS = [  # (post, parent, author): 1 <- 2 <- 4 <- 5 with 1 <- 3; 10 <- 11; 20 alone
    (1, -1, 100),
    (2, 1, 20),
    (3, 1, 30),
    (4, 2, 40),
    (5, 4, 50),
    (10, -1, 100),
    (11, 10, 60),
    (20, -1, 70),
]


def threads_graph():
    post, parent, author = (np.array(column) for column in zip(*THREADS, strict=True))
    return post_graph(post, parent, author, np.zeros(len(post))).data


def test_cascade_sizes_and_depths():
    found = cascades(threads_graph())
    assert found.root_post_id.tolist() == [1, 10, 20]
    assert found.size.tolist() == [5, 2, 1]
    assert found.depth.tolist() == [3, 1, 0]


def test_negative_drivers_of_each_thread():
    # node order is post id order: posts 1, 2, 3, 4, 5, 10, 11, 20
    negative = [0.1, 0.9, 0.1, 0.5, 0.0, 0.5, 0.2, 0.9]
    first, second = negative_drivers(threads_graph(), negative)

    # replies 0.9, 0.1, 0.5, 0.0 vs root 0.1: shift 0.375 - 0.1, shares (neg - 0.1) / 4
    assert first.root_post_id == 1
    assert first.shift == pytest.approx(0.275)
    assert first.n_replies == 4
    assert [(d.post_id, d.author_id) for d in first.drivers] == [(2, 20), (4, 40)]
    assert [d.contribution for d in first.drivers] == pytest.approx([0.2, 0.1])
    assert second == (10, pytest.approx(-0.3), 1, [])  # it grew calmer: nobody drove it

    top_one = negative_drivers(threads_graph(), negative, top=1)[0].drivers
    assert top_one == [Driver(2, 20, pytest.approx(0.2))]


def test_negative_drivers_skip_unscored_posts():
    negative = [0.1, 0.9, np.nan, 0.5, 0.0, np.nan, 0.2, 0.9]
    (only,) = negative_drivers(threads_graph(), negative)
    assert only.n_replies == 3
    assert only.shift == pytest.approx((0.9 + 0.5 + 0.0) / 3 - 0.1)
    with pytest.raises(ValueError, match="one score per node"):
        negative_drivers(threads_graph(), negative[:-1])


def l1_to_networkx(graph):
    expected = nx.pagerank(graph.to_networkx(), weight="weight")
    return np.abs(pagerank_fast(graph) - [expected[user] for user in graph.user_id]).sum()


def test_pagerank_fast_matches_networkx():
    rng = np.random.default_rng(0)
    n_posts = 3000
    post = np.arange(n_posts)
    parent = np.where(rng.random(n_posts) < 0.2, -1, rng.integers(0, n_posts, n_posts))
    author = rng.zipf(1.5, n_posts) % 400  # skewed, with users who post but get no replies
    graph = user_graph(post, parent, author)
    assert graph.edge_index.shape[1] > 500
    assert l1_to_networkx(graph) < 1e-6

    star = graph_of_replies([(u, 0) for u in range(1, 30)], range(30))  # dangling centre
    assert l1_to_networkx(star) < 1e-6


JOY = [0, 0, 0, 1, 0, 0, 0]
UNIFORM = [1 / 7] * 7


def test_a_user_with_one_weak_post_leans_on_a_prolific_partner_who_keeps_his_own_mix():
    # user 1 posts 50 joyful roots; user 2's one post ("lol", uniform) answers the first
    post = np.arange(51)
    parent = np.array([-1] * 50 + [0])
    author = np.array([1] * 50 + [2])
    probabilities = np.array([JOY] * 50 + [UNIFORM])
    found = user_emotions(user_graph(post, parent, author), author, probabilities)
    assert found.user_id.tolist() == [1, 2]
    assert found.posts.tolist() == [50, 1]
    prolific, weak = found.probabilities
    assert weak[3] == pytest.approx((1 / 7 + 2 * prolific[3]) / 3, abs=1e-6)  # the fixed point
    assert weak[3] > 0.7
    assert prolific[3] > 0.98
    np.testing.assert_allclose(found.probabilities.sum(1), 1)


def test_unscored_users_take_their_partners_mix_and_isolated_ones_their_own_or_nothing():
    # 10 (joy) <- 20 (unscored) ; 30 alone (uniform) ; 40 alone, unscored; one unknown author
    post = np.array([1, 2, 3, 4, 5])
    parent = np.array([-1, 1, -1, -1, 1])
    author = np.array([10, 20, 30, 40, -1])
    probabilities = np.array([JOY, [np.nan] * 7, UNIFORM, [np.nan] * 7, UNIFORM])
    found = user_emotions(user_graph(post, parent, author), author, probabilities)
    by_user = dict(zip(found.user_id.tolist(), found.probabilities, strict=True))
    np.testing.assert_allclose(by_user[10], JOY)  # the unknown author's reply is left out
    np.testing.assert_allclose(by_user[20], JOY)
    np.testing.assert_allclose(by_user[30], UNIFORM)
    assert np.isnan(by_user[40]).all()
    assert found.posts.tolist() == [1, 0, 1, 0]


def test_user_emotions_refuse_authors_missing_from_the_user_graph():
    graph = user_graph(np.array([1]), np.array([-1]), np.array([10]))
    with pytest.raises(ValueError, match="node of the user graph"):
        user_emotions(graph, np.array([99]), np.array([JOY]))


def test_user_emotions_of_a_graph_with_no_scored_post_are_all_unknown():
    graph = user_graph(np.array([1, 2]), np.array([-1, 1]), np.array([10, 20]))
    found = user_emotions(graph, np.array([10, 20]), np.full((2, 7), np.nan))
    assert found.posts.tolist() == [0, 0]
    assert np.isnan(found.probabilities).all()
