"""Import throughput on PostgreSQL: the bulk path against a per-row ORM save() loop, same run.

    .venv/bin/python bench/ingest_bulk.py [--posts 100000] [--baseline-posts 5000]

Builds a CSV of real GoEmotions comment texts shaped like social data (reply trees, authors,
topics), imports it through the real pipeline (`import_posts`: CSV parsing, validation,
authors, COPY + INSERT ... ON CONFLICT, topics, reply linking), then times the naive way on the
first rows of the same data: one `Post(...).save()` per row. Content scoring on import is off:
this measures getting posts in. Prints a table, then one JSON line.
Uses (and drops) its own database, `emograph_bench`, on the server of $BENCH_DATABASE_URL.
"""

import argparse
import csv
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from scratch_db import drop_database, scratch_database

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "goemotions" / "ekman" / "train.tsv"
BENCH_DB = "emograph_bench"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--baseline-posts", type=int, default=5_000)
    args = parser.parse_args()

    # Import alone: with eager Celery, scoring on import would run MiniLM inside the timed
    # import (about 10x slower) and the per-row baseline would not pay for it.
    os.environ["EMOGRAPH_SCORE_ON_IMPORT"] = "0"
    scratch_database(BENCH_DB)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        write_posts(path, args.posts)
        bulk_s, job = timed_import(path)
        again_s, again = timed_import(path)
        baseline_n = min(args.baseline_posts, args.posts)
        baseline_s = per_row_save(path, baseline_n)

    bulk_rate = args.posts / bulk_s
    baseline_rate = baseline_n / baseline_s
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("bulk path, first import", args.posts, bulk_s, bulk_rate, job.rows_created),
        (
            "bulk path, same file again",
            args.posts,
            again_s,
            args.posts / again_s,
            again.rows_created,
        ),
        ("per-row ORM save() loop", baseline_n, baseline_s, baseline_rate, baseline_n),
    ]
    print(f"{'path':<30}{'posts':>10}{'seconds':>10}{'posts/s':>12}{'created':>10}")
    for name, n, seconds, rate, created in rows:
        print(f"{name:<30}{n:>10}{seconds:>10.2f}{rate:>12,.0f}{created:>10}")
    print(f"peak RSS {peak_mb:.0f} MB; second import unchanged rows: {again.rows_unchanged}")
    # Where the first import's CPU went. Python and PostgreSQL run on different cores, so with
    # perfect overlap the import could not beat (total CPU / cores) on this machine.
    python_cpu, server_cpu = job.cpu
    per_post_us = (python_cpu + server_cpu) / args.posts * 1e6
    cores = os.cpu_count()
    print(
        f"first import CPU: Python {python_cpu:.1f} s + PostgreSQL backend {server_cpu:.1f} s"
        f" = {per_post_us:.0f} us per post; on {cores} cores at best"
        f" {cores / per_post_us * 1e6:,.0f} posts/s"
    )
    result = {
        "bulk_posts_per_s": round(bulk_rate),
        "per_row_save_posts_per_s": round(baseline_rate),
        "ratio_bulk_vs_per_row": round(bulk_rate / baseline_rate, 1),
        "reimport_posts_per_s": round(args.posts / again_s),
        "peak_rss_mb": round(peak_mb),
        "cpu_python_s": round(python_cpu, 2),
        "cpu_postgres_s": round(server_cpu, 2),
        "posts": args.posts,
    }
    print(json.dumps(result))
    drop_database(BENCH_DB)


def write_posts(path, n):
    """Real texts; reply structure like social threads: 1 in 10 posts starts a thread, the rest
    answer a random post of one of the 200 most recent threads (shallow, bushy trees as in
    real reply data); 20k authors; a few topics."""
    if not DATA.exists():
        sys.exit(f"{DATA} is missing: the benchmark uses real GoEmotions texts")
    texts = [line.split("\t", 1)[0] for line in DATA.read_text().splitlines() if line]
    rng = random.Random(7)  # noqa: S311 - benchmark data, not security
    topics = ["flood", "election", "vaccine", "football", "concert"]
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "source", "created_at", "text", "author", "parent_id", "topics"])
        threads = []
        for i in range(n):
            if i % 10 == 0:
                thread, parent = [], ""
                threads.append(thread)
            else:
                thread = threads[rng.randrange(max(0, len(threads) - 200), len(threads))]
                parent = rng.choice(thread)
            thread.append(f"p{i}")
            minute = i // 50
            writer.writerow([
                f"p{i}", "bench",
                f"2026-11-{1 + minute // 1440:02d}T{minute // 60 % 24:02d}:{minute % 60:02d}:00Z",
                texts[i % len(texts)], f"u{rng.randint(0, 20_000)}", parent,
                rng.choice(topics),
            ])  # fmt: skip


def timed_import(path):
    from ingest.models import ImportJob
    from ingest.services import import_job_create, import_job_run

    job = import_job_create(channel=ImportJob.Channel.CLI, format="csv", path=path)
    backend = backend_cpu_reader()
    python_cpu, server_cpu = time.process_time(), backend()
    start = time.perf_counter()
    job = import_job_run(job_id=job.pk, path=path)
    seconds = time.perf_counter() - start
    job.cpu = (time.process_time() - python_cpu, backend() - server_cpu)
    return seconds, job


def backend_cpu_reader():
    """A callable giving the CPU seconds used so far by this connection's PostgreSQL backend
    (from /proc, so only when the server runs on this machine; else NaN)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")
    ticks = os.sysconf("SC_CLK_TCK")

    def read():
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    return read


def per_row_save(path, n):
    """The naive baseline: one INSERT per post through the ORM (rows already parsed)."""
    import datetime as dt

    from emograph.social.models import Author, Post, Source

    source = Source.objects.create(slug="baseline", name="Baseline")
    with path.open(newline="") as f:
        rows = [row for _, row in zip(range(n), csv.DictReader(f), strict=False)]
    start = time.perf_counter()
    authors = {}
    for row in rows:
        author = authors.get(row["author"])
        if author is None:
            author, _ = Author.objects.get_or_create(source=source, external_id=row["author"])
            authors[row["author"]] = author
        Post(
            source=source, external_id=row["id"], author=author, text=row["text"],
            parent_external_id=row["parent_id"],
            created_at=dt.datetime.fromisoformat(row["created_at"]),
        ).save()  # fmt: skip
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
