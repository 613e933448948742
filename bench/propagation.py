"""Graph propagation at Weibo CED scale: GCN inference alone, and the whole task on PostgreSQL.

    .venv/bin/python bench/propagation.py [--posts 1270000] [--skip-db] [--device cpu|cuda]
                                          [--ced ../shared/data/weibo_ced/threads.jsonl.gz]

Same synthetic Weibo-shaped reply forest as bench/graph_analytics.py (3,387 threads,
heavy-tailed sizes), or with `--ced PATH` the real Weibo CED one (`threads.jsonl.gz`, read by
the importer's reader; not yet run on the real file, which has not been on this machine).
Each case runs in its own process so its peak RSS is its own:
- reference: two plain GCNConv layers 391 -> 64 -> 7 over fp32 features (384-d embedding +
  7 probabilities), the issue's yardstick;
- shipped: the residual GCN of the shipped artefact over the content probabilities
  (`gnn.propagation.propagate`, full batch), and the same in whole-thread batches;
- task: a fresh PostgreSQL database holding the posts and their content predictions, then
  `window_propagate` (read, build, infer, write back every `graph` prediction), twice (the
  second run finds every row stored as it is and writes none).
Inference runs on the GPU when there is one (`--device cpu` forces the CPU, for the task too):
the reference with its inputs already there, the shipped model from host arrays to host
arrays, transfers included. Inference times are the median of 3 runs after one warm-up.
Prints a table, then one JSON line.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from scratch_db import copy_lines, drop_database, scratch_database

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]
BENCH_DB = "emograph_bench_graph"
NULL = "\\N"  # COPY text format
ARTEFACT = REPO / "platform/emograph/propagation/artefacts/graph-gcn.pt"
CED_ENV = "EMOGRAPH_BENCH_CED"  # how --ced reaches the case processes


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def forest(posts):
    """The synthetic forest of `posts` posts, or the real Weibo CED one under --ced."""
    from graph_analytics import ced_forest, reply_forest

    if os.environ.get(CED_ENV):
        return ced_forest(os.environ[CED_ENV])
    return reply_forest(posts, users=max(posts // 6, 1), threads=3_387)


def content_probabilities(n, seed=1):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.full(7, 0.5), n).astype(np.float32)


def median_time(fn, runs=3):
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def case_reference(posts, device):
    """Features and graph already on `device`, as the issue's yardstick times it."""
    import torch
    from torch_geometric.nn import GCNConv

    from gnn.graphs import post_graph

    ids, parents, authors, times = forest(posts)
    data = post_graph(ids, parents, authors, times).data
    edges = data.edge_index[:, data.edge_type <= 1].to(device)
    x = torch.randn(len(ids), 391, device=device)
    conv1, conv2 = GCNConv(391, 64).to(device), GCNConv(64, 7).to(device)

    @torch.inference_mode()
    def run():
        out = conv2(torch.relu(conv1(x, edges)), edges)
        if out.is_cuda:
            torch.cuda.synchronize()
        return out

    return {"seconds": median_time(run), "peak_mb": peak_mb()}


def case_shipped(posts, batch_nodes, device):
    """From host arrays to host arrays: transfers to and from `device` are timed."""
    from gnn.artefact import GraphModel
    from gnn.graphs import post_graph
    from gnn.propagation import propagate

    ids, parents, authors, times = forest(posts)
    data = post_graph(ids, parents, authors, times).data
    content = content_probabilities(len(ids))
    model = GraphModel.load(ARTEFACT)
    seconds = median_time(
        lambda: propagate(model, data, content, batch_nodes=batch_nodes, device=device)
    )
    return {"seconds": seconds, "peak_mb": peak_mb(), "posts": len(ids)}


def case_task(posts):
    span = database_fill(posts)
    import datetime as dt

    from emograph.propagation.services import window_propagate

    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # posts are dated t0 + their time offset
    t1 = t0 + dt.timedelta(seconds=span + 1)
    runs = []
    for _ in range(2):
        start = time.perf_counter()
        result = window_propagate(t0, t1)
        runs.append({"total": time.perf_counter() - start, **result["seconds"],
                     "written": result["written"]})  # fmt: skip
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM emotions_emotionprediction WHERE stage = 'graph'")
        graph_rows = cursor.fetchone()[0]
    drop_database(BENCH_DB)
    return {"runs": runs, "graph_rows": graph_rows, "peak_mb": peak_mb()}


def database_fill(posts):
    """Migrate a fresh database, then COPY the forest in as posts with content predictions."""
    scratch_database(BENCH_DB)
    from django.db import connection

    ids, parents, authors, times = forest(posts)
    content = content_probabilities(len(ids))
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO social_source (id, slug, name, kind, created_at) "
                       "VALUES (1, 'bench', 'Bench', 'weibo', now())")  # fmt: skip
        users = np.unique(authors[authors >= 0])  # -1: no author (a CED post without uid)
        copy_lines(
            cursor,
            "social_author (id, source_id, external_id, handle, is_pseudonymised, created_at)",
            (f"{u + 1}\t1\tu{u}\t\tf\t2026-01-01 00:00:00+00\n" for u in users),
        )
        stamp = np.datetime_as_string(
            np.datetime64("2026-01-01T00:00:00") + (times * 1e6).astype("timedelta64[us]")
        )
        copy_lines(
            cursor,
            "social_post (id, source_id, external_id, author_id, parent_id, "
            "parent_external_id, text, language, created_at, ingested_at, updated_at, "
            "content_hash)",
            (
                f"{i + 1}\t1\tp{i}\t{NULL if a < 0 else a + 1}\t{NULL if p < 0 else p + 1}"
                f"\t\ttext\tzh\t{s}+00\t"
                f"{s}+00\t{s}+00\t\n"
                for i, p, a, s in zip(ids, parents, authors, stamp, strict=True)
            ),
        )
        labels = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
        best = content.argmax(1)
        copy_lines(cursor, "emotions_emotionprediction (post_id, stage, model_name, model_version, "
              "p_anger, p_disgust, p_fear, p_joy, p_sadness, p_surprise, p_neutral, label, "
              "confidence, details, created_at)",
              (f"{i + 1}\tcontent\tbench\t1\t" + "\t".join(f"{v:.6f}" for v in row)
               + f"\t{labels[b]}\t{row[b]:.6f}\t{{}}\t2026-01-01 00:00:00+00\n"
               for i, row, b in zip(ids, content, best, strict=True)))  # fmt: skip
        cursor.execute("ANALYZE")
    print(f"  loaded {len(ids):,} posts and content predictions in "
          f"{time.perf_counter() - start:.0f} s", file=sys.stderr)  # fmt: skip
    return float(times.max())


def child(case, posts, batch_nodes, device):
    import torch

    torch.set_num_threads(os.cpu_count())
    result = {"reference": lambda: case_reference(posts, device),
              "shipped": lambda: case_shipped(posts, batch_nodes, device),
              "task": lambda: case_task(posts)}[case]()  # fmt: skip
    print(json.dumps(result))


def run_child(case, posts, device, batch_nodes=10**9):
    out = subprocess.run(
        [sys.executable, __file__, "--child", case, "--posts", str(posts),
         "--batch-nodes", str(batch_nodes), "--device", device],
        capture_output=True, text=True, check=False,
        env={**os.environ, **({"CUDA_VISIBLE_DEVICES": ""} if device == "cpu" else {})},
    )  # fmt: skip
    if out.returncode:
        raise SystemExit(f"case {case} failed:\n{out.stderr[-3000:]}")
    sys.stderr.write(out.stderr[-500:] if case == "task" else "")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_270_000)
    parser.add_argument("--batch-nodes", type=int, default=200_000)
    parser.add_argument("--skip-db", action="store_true")
    parser.add_argument("--device", help="cpu or cuda (default: cuda when there is a GPU)")
    parser.add_argument("--ced", type=Path, help="the Weibo CED threads.jsonl.gz to use instead")
    parser.add_argument("--child")
    args = parser.parse_args()
    if not args.device:
        from gnn.propagation import default_device

        args.device = default_device().type
    if args.child:
        return child(args.child, args.posts, args.batch_nodes, args.device)
    if args.ced:
        os.environ[CED_ENV] = str(args.ced.resolve())

    reference = run_child("reference", args.posts, args.device)
    shipped = run_child("shipped", args.posts, args.device)
    batched = run_child("shipped", args.posts, args.device, args.batch_nodes)
    task = None if args.skip_db else run_child("task", args.posts, args.device)

    args.posts = shipped["posts"]
    source = f"Weibo CED {args.ced}" if args.ced else "synthetic forest"
    print(f"{source}: {args.posts:,} posts, {os.cpu_count()} CPU threads, "
          f"inference on {args.device}")  # fmt: skip
    print(f"{'case':<52}{'seconds':>9}{'peak MB':>9}")
    rows = [("reference: 2 x GCNConv 391->64->7, fp32", reference),
            ("shipped residual GCN, full batch", shipped),
            (f"shipped, batches of whole threads ({args.batch_nodes:,})", batched)]  # fmt: skip
    for name, r in rows:
        print(f"{name:<52}{r['seconds']:>9.2f}{r['peak_mb']:>9.0f}")
    result = {
        "forest": "ced" if args.ced else "synthetic",
        "posts": args.posts,
        "device": args.device,
        "reference_seconds": round(reference["seconds"], 3),
        "reference_peak_mb": round(reference["peak_mb"]),
        "inference_seconds": round(shipped["seconds"], 3),
        "inference_peak_mb": round(shipped["peak_mb"]),
        "batched_inference_seconds": round(batched["seconds"], 3),
        "batched_peak_mb": round(batched["peak_mb"]),
        "ratio_reference_vs_ours": round(reference["seconds"] / shipped["seconds"], 1),
    }
    if task:
        for n, r in enumerate(task["runs"], 1):
            parts = ", ".join(f"{k} {r[k]:.2f}" for k in ("read", "build", "infer", "write"))
            print(f"{'task run ' + str(n) + ' (' + parts + ')':<52}{r['total']:>9.2f}"
                  f"{task['peak_mb']:>9.0f}")  # fmt: skip
        best = min(r["total"] for r in task["runs"])
        result.update(
            task_seconds=[round(r["total"], 2) for r in task["runs"]],
            task_parts=task["runs"][-1],
            task_peak_mb=round(task["peak_mb"]),
            graph_rows=task["graph_rows"],
            ratio_task_vs_inference=round(best / shipped["seconds"], 1),
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
