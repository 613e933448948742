"""Graph propagation runs: read a window's posts, build the reply graph, run the shipped GCN
over the content probabilities, write `graph` predictions back. Thin task wrappers call these."""

import datetime as dt
import functools
import logging
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from emograph.emotions.models import Stage
from emograph.emotions.services import PREDICTION_UPDATE_FIELDS, predictions_write
from emograph.emotions.taxonomy import EMOTIONS
from gnn.artefact import GraphModel
from gnn.graphs import post_graph
from gnn.propagation import UNIFORM, propagate

from .models import PropagationRun
from .pgcopy import row_dtype, rows_pack
from .selectors import PROBABILITIES, window_posts

logger = logging.getLogger(__name__)
EXAMPLES = 20  # ids listed per kind of repair in a run's report
# A stored graph row this close to the new probabilities (every class) is left as it is:
# float noise from a different thread batching is no reason to rewrite a row.
UNCHANGED_TOLERANCE = 1e-6


def graph_model_path():
    return Path(settings.EMOGRAPH_GRAPH_MODEL)


@functools.cache
def _graph_model(path, mtime):
    return GraphModel.load(path)


def graph_model() -> GraphModel:
    """The configured graph model, loaded once per process (reloaded if the file changes)."""
    path = graph_model_path()
    if not path.is_file():
        raise ImproperlyConfigured(
            f"graph model {path}: no such file (EMOGRAPH_GRAPH_MODEL; train one with "
            "`manage.py train_gnn`)"
        )
    try:
        return _graph_model(path, path.stat().st_mtime)
    except (ValueError, RuntimeError, KeyError) as problem:
        raise ImproperlyConfigured(f"graph model {path}: cannot load ({problem})") from problem


def graph_model_name(model: GraphModel):
    return model.meta.get("name", "graph-gcn")


def propagation_run_create(*, window_start, window_end, topic=None, requested_by=None):
    """A queued run; its task starts when the transaction commits."""
    if window_start >= window_end:
        raise ValueError(f"empty window: {window_start} is not before {window_end}")
    run = PropagationRun.objects.create(
        window_start=window_start, window_end=window_end, topic=topic, requested_by=requested_by
    )
    from .tasks import propagate_emotions

    transaction.on_commit(lambda: propagate_emotions.delay(run.pk))
    return run


def propagation_run_execute(run_id):
    """Run one propagation; safe to rerun (same window and model: only rows that moved change)."""
    run = PropagationRun.objects.get(pk=run_id)
    run.status, run.started_at, run.error = PropagationRun.Status.RUNNING, timezone.now(), ""
    run.save(update_fields=["status", "started_at", "error"])
    try:
        model = graph_model()
        result = window_propagate(
            run.window_start, run.window_end, topic_id=run.topic_id, model=model, run_id=run.pk
        )
    except Exception as problem:
        run.status, run.error, run.finished_at = (
            PropagationRun.Status.FAILED,
            f"{type(problem).__name__}: {problem}",
            timezone.now(),
        )
        run.save(update_fields=["status", "error", "finished_at"])
        raise
    run.status, run.finished_at = PropagationRun.Status.DONE, timezone.now()
    run.model_name, run.model_version = graph_model_name(model), model.version
    run.posts, run.written, run.skipped = result["posts"], result["written"], result["skipped"]
    run.report = result
    run.save()
    return result


def window_propagate(t0, t1, *, topic_id=None, model=None, run_id=None):
    """Propagate over the posts created in [t0, t1) (of one topic if given). Replies whose
    parent lies outside the window start their own thread there (reported as missing
    parents). Posts without a content prediction yet stay in the graph, so their replies keep
    their conversation, but get no graph prediction (reported as skipped). Only new rows and
    rows that moved are written: a rerun over an unchanged window writes nothing."""
    model = model or graph_model()
    name = graph_model_name(model)
    seconds = {}
    clock = time.perf_counter()
    posts = window_posts(t0, t1, topic_id, graph_model=(name, model.version))
    seconds["read"] = time.perf_counter() - clock

    clock = time.perf_counter()
    has_content = posts.has_content
    graph = post_graph(
        posts.post_id, posts.parent_id, posts.author_id, posts.time, has_features=has_content
    )
    if not np.array_equal(graph.data.post_id.numpy(), posts.post_id):
        raise AssertionError("window posts must arrive unique and in ascending id order")
    content = np.where(has_content[:, None], posts.content, np.float32(UNIFORM))
    seconds["build"] = time.perf_counter() - clock

    clock = time.perf_counter()
    probabilities = propagate(
        model, graph.data, content, batch_nodes=settings.EMOGRAPH_GRAPH_BATCH_NODES
    )
    seconds["infer"] = time.perf_counter() - clock

    clock = time.perf_counter()
    unchanged = posts.has_stored_graph & (
        np.abs(probabilities - posts.stored_graph).max(1) <= UNCHANGED_TOLERANCE
    )
    write = has_content & ~unchanged
    predictions_write_graph(
        posts.post_id[write],
        probabilities[write],
        model_name=name,
        model_version=model.version,
        details={"run": run_id},  # the run holds the window, topic and model; rows stay lean
    )
    seconds["write"] = time.perf_counter() - clock

    report = graph.report
    skipped = posts.post_id[~has_content]
    moved = probabilities[has_content].argmax(1) != posts.content[has_content].argmax(1)
    return {
        "posts": len(posts),
        "written": int(write.sum()),
        "unchanged": int((has_content & unchanged).sum()),
        "skipped": len(skipped),
        "skipped_examples": skipped[:EXAMPLES].tolist(),
        "label_changed": int(moved.sum()),
        "repairs": report.counts(),
        "missing_parent_examples": report.missing_parent[:EXAMPLES].tolist(),
        "cycles": [c.tolist() for c in report.cycles[:EXAMPLES]],
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
    }


def predictions_write_graph(post_ids, probabilities, *, model_name, model_version, details):
    if not len(post_ids):
        return
    if connection.vendor == "postgresql":
        _write_copy(post_ids, probabilities, model_name, model_version, details)
    else:
        _write_orm(post_ids, probabilities, model_name, model_version, details)


def _write_orm(post_ids, probabilities, model_name, model_version, details):
    predictions_write(
        post_ids.tolist(),
        probabilities,
        stage=Stage.GRAPH,
        model_name=model_name,
        model_version=model_version,
        details=[details] * len(post_ids),
    )


STAGE_ROW = row_dtype([("id", ">i8"), *PROBABILITIES, ("label", ">i2")])
UPSERT = """
INSERT INTO emotions_emotionprediction
  (post_id, stage, model_name, model_version, {columns}, label, confidence, details, created_at)
SELECT s.post_id, 'graph', %(name)s, %(version)s, {values},
       (%(labels)s::text[])[s.label + 1], GREATEST({values}), %(details)s::jsonb, now()
FROM propagation_stage s
ON CONFLICT (post_id, stage, model_name, model_version) DO UPDATE SET {updates}
WHERE ({current}) IS DISTINCT FROM ({excluded})
"""


def _write_copy(post_ids, probabilities, model_name, model_version, details):
    """COPY the rows (built as one numpy buffer) into a temporary table, then one upsert."""
    from psycopg.types.json import Jsonb

    payload = rows_pack(
        STAGE_ROW,
        {
            "id": post_ids,
            **{f"p{i}": probabilities[:, i] for i in range(len(EMOTIONS))},
            "label": probabilities.argmax(1),
        },
    )
    columns = ", ".join(f"p_{e}" for e in EMOTIONS)
    sql = UPSERT.format(
        columns=columns,
        values=", ".join(f"s.p{i}::float8" for i in range(len(EMOTIONS))),
        updates=", ".join(f"{field} = EXCLUDED.{field}" for field in PREDICTION_UPDATE_FIELDS),
        # A rerun over unchanged posts touches no row: no dead tuples, no index churn.
        current=", ".join(f"emotions_emotionprediction.p_{e}" for e in EMOTIONS),
        excluded=", ".join(f"EXCLUDED.p_{e}" for e in EMOTIONS),
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # Dropped first: inside an outer transaction an earlier run's table is still there.
        cursor.execute("DROP TABLE IF EXISTS propagation_stage")
        cursor.execute(
            "CREATE TEMP TABLE propagation_stage (post_id int8, "
            + ", ".join(f"p{i} float4" for i in range(len(EMOTIONS)))
            + ", label int2) ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY propagation_stage FROM STDIN (FORMAT binary)") as copy:
            copy.write(payload)
        cursor.execute(
            sql,
            {
                "name": model_name,
                "version": model_version,
                "labels": list(EMOTIONS),
                "details": Jsonb(details),
            },
        )


def recent_window(hours, now=None):
    now = now or timezone.now()
    return now - dt.timedelta(hours=hours), now
