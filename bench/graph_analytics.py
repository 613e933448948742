"""Graph analytics on a reply graph: our array paths against plain networkx, same run.

    .venv/bin/python bench/graph_analytics.py [--posts 1000000] [--users 200000] [--ced PATH]

Builds a synthetic Weibo-shaped reply forest (threads with heavy-tailed sizes, replies to the
root or to an earlier reply, authors drawn with a heavy-tailed activity), then times:
- building the post graph (`gnn.graphs.post_graph`) and the user-reply graph;
- PageRank with `gnn.analytics.pagerank_fast` against `networkx.pagerank` (graph conversion
  timed separately), and the L1 distance between the two results;
- Louvain communities (networkx) on the user graph;
- each user's emotion over the user graph (`gnn.analytics.user_emotions`, Dirichlet-random post
  probabilities: only the time means anything).
Prints a table, then one JSON line. With `--ced PATH` (the Weibo CED `threads.jsonl.gz`) the
real reply forest is used instead, read by the importer's own reader; without it, a generator
imitates its shape (3,387 threads with 1.27M replies), since the file has not been on the
machines this was run on.
"""

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "platform")]


def reply_forest(posts, users, threads, seed=0):
    rng = np.random.default_rng(seed)
    ids = np.arange(posts, dtype=np.int64)
    # Heavy-tailed thread sizes: each reply joins a thread chosen with Zipf-like weights.
    weights = 1.0 / np.arange(1, threads + 1) ** 1.1
    thread_of = rng.choice(threads, size=posts - threads, p=weights / weights.sum())
    parents = np.full(posts, -1, dtype=np.int64)
    replies = np.arange(threads, posts)
    # Half answer the thread's root, half an earlier post of the same thread.
    order = np.argsort(thread_of, kind="stable")
    sorted_threads, sorted_replies = thread_of[order], replies[order]
    first = np.searchsorted(sorted_threads, sorted_threads)
    position = np.arange(len(sorted_replies)) - first
    earlier = first + (rng.random(len(position)) * position).astype(np.int64)
    to_root = (rng.random(len(position)) < 0.5) | (position == 0)
    parents[sorted_replies] = np.where(to_root, sorted_threads, sorted_replies[earlier])
    authors = (rng.pareto(1.2, size=posts) * users / 20).astype(np.int64) % users
    times = rng.random(posts) * 86_400 * 30
    return ids, parents, authors, times


def ced_forest(path):
    """(node ids, parent node or -1, author codes or -1, seconds since the first post) of the
    real Weibo CED file, read by `ingest.formats.public.read_weibo_ced`; the rows it rejects
    are counted on stderr and left out, and a parent not in the file makes its reply a root."""
    from ingest.formats.public import read_weibo_ced

    ids, parents, authors, stamps, rejected = [], [], [], [], 0
    for row in read_weibo_ced(Path(path)):
        if not hasattr(row, "fields"):
            rejected += 1
            continue
        fields = row.fields
        ids.append(fields["id"])
        parents.append(fields["parent_id"])
        authors.append(fields["author"])
        stamps.append(dt.datetime.fromisoformat(fields["created_at"]).timestamp())
    node = {post_id: i for i, post_id in enumerate(ids)}
    parent = np.array([node.get(p, -1) if p else -1 for p in parents], np.int64)
    names, codes = np.unique(np.array(authors, dtype=object).astype(str), return_inverse=True)
    codes = np.where(names[codes] == "", -1, codes).astype(np.int64)
    times = np.array(stamps)
    print(f"  {path}: {len(ids):,} posts read, {rejected:,} rows rejected", file=sys.stderr)
    return np.arange(len(ids), dtype=np.int64), parent, codes, times - times.min()


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--threads", type=int, default=3_387)
    parser.add_argument("--ced", type=Path, help="the Weibo CED threads.jsonl.gz to use instead")
    args = parser.parse_args()

    import networkx as nx

    from gnn.analytics import communities, pagerank_fast, user_emotions
    from gnn.graphs import post_graph, user_graph

    if args.ced:
        ids, parents, authors, times = ced_forest(args.ced)
        args.posts, args.threads = len(ids), int((parents < 0).sum())
        args.users = len(np.unique(authors[authors >= 0]))
    else:
        ids, parents, authors, times = reply_forest(args.posts, args.users, args.threads)
    (data, _report), t_post = timed(lambda: post_graph(ids, parents, authors, times))
    users, t_user = timed(lambda: user_graph(ids, parents, authors, times))
    fast, t_fast = timed(lambda: pagerank_fast(users))
    nx_graph, t_convert = timed(users.to_networkx)
    slow, t_nx = timed(lambda: nx.pagerank(nx_graph, weight="weight"))
    slow_vector = np.array([slow.get(u, 0.0) for u in users.user_id.tolist()])
    l1 = float(np.abs(fast - slow_vector).sum())
    found, t_louvain = timed(lambda: communities(users))
    probabilities = np.random.default_rng(1).dirichlet(np.full(7, 0.5), args.posts)
    _, t_emotion = timed(lambda: user_emotions(users, authors, probabilities))

    rows = [
        ("post graph (edges)", t_post, int(data.edge_index.shape[1])),
        ("user-reply graph (edges)", t_user, int(users.edge_index.shape[1])),
        ("PageRank, ours", t_fast, ""),
        ("networkx graph conversion", t_convert, ""),
        ("PageRank, networkx", t_nx, ""),
        ("Louvain communities, networkx", t_louvain, len(found)),
        ("user emotions, ours", t_emotion, f"{users.num_users:,} users"),
    ]
    forest = f"Weibo CED {args.ced}" if args.ced else "synthetic forest"
    print(f"{forest}: {args.posts:,} posts, {args.threads:,} threads, {args.users:,} users")
    for name, seconds, extra in rows:
        print(f"{name:32} {seconds:8.3f} s  {extra}")
    print(f"PageRank speed-up: {t_nx / t_fast:.0f}x ({(t_nx + t_convert) / t_fast:.0f}x with "
          f"conversion), L1 distance {l1:.1e}")  # fmt: skip
    print(
        json.dumps(
            {
                "forest": "ced" if args.ced else "synthetic",
                "posts": args.posts,
                "post_graph_s": round(t_post, 3),
                "user_graph_s": round(t_user, 3),
                "pagerank_fast_s": round(t_fast, 4),
                "pagerank_networkx_s": round(t_nx, 3),
                "networkx_conversion_s": round(t_convert, 3),
                "pagerank_ratio": round(t_nx / t_fast, 1),
                "pagerank_l1": l1,
                "louvain_s": round(t_louvain, 3),
                "communities": len(found),
                "user_emotions_s": round(t_emotion, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
