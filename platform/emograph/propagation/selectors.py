"""Reads for propagation: the posts of a window as plain arrays, ready for `gnn.graphs`, with
each post's latest content prediction and the graph prediction the running model already stored
for it (so a rerun writes only the rows that moved).

On PostgreSQL the rows come through one binary COPY parsed by numpy in a single call (see
`pgcopy`; every column is fixed-width and NULL-free, COALESCE to -1): a Python loop over a
million fetched rows costs more than the GCN. Elsewhere (SQLite, the demo) the ORM reads them.
"""

import io
from dataclasses import dataclass

import numpy as np
from django.db import connection

from emograph.emotions.models import EmotionPrediction, Stage
from emograph.emotions.taxonomy import EMOTIONS
from emograph.social.models import Post

from .pgcopy import row_dtype, rows_unpack

NONE = -1  # parent / author absent; probabilities of a post with no content prediction


@dataclass
class WindowPosts:
    post_id: np.ndarray  # int64, ascending
    parent_id: np.ndarray  # int64, NONE for a root
    author_id: np.ndarray  # int64, NONE when unknown
    time: np.ndarray  # float64 epoch seconds
    content: np.ndarray  # float32 [n, 7]; rows of NONE where no content prediction exists
    stored_graph: np.ndarray  # float32 [n, 7]: the graph model's stored row; NONE where none

    @property
    def has_content(self):
        return self.content[:, 0] >= 0

    @property
    def has_stored_graph(self):
        return self.stored_graph[:, 0] >= 0

    def __len__(self):
        return len(self.post_id)


def _window_filter(topic_id):
    join = ""
    if topic_id is not None:
        join = "JOIN social_posttopic pt ON pt.post_id = p.id AND pt.topic_id = %(topic)s"
    return join


PG_SQL = """
COPY (
  SELECT p.id, COALESCE(p.parent_id, -1), COALESCE(p.author_id, -1),
         EXTRACT(EPOCH FROM p.created_at)::float8, {probabilities}, {graph_probabilities}
  FROM social_post p
  {join}
  LEFT JOIN (
    SELECT DISTINCT ON (e.post_id) e.post_id, {columns}
    FROM emotions_emotionprediction e JOIN social_post q ON q.id = e.post_id
    WHERE e.stage = 'content' AND q.created_at >= %(t0)s AND q.created_at < %(t1)s
    ORDER BY e.post_id, e.created_at DESC, e.id DESC
  ) c ON c.post_id = p.id
  LEFT JOIN emotions_emotionprediction g
    ON g.post_id = p.id AND g.stage = 'graph'
       AND g.model_name = %(graph_name)s AND g.model_version = %(graph_version)s
  WHERE p.created_at >= %(t0)s AND p.created_at < %(t1)s
  ORDER BY p.id
) TO STDOUT (FORMAT binary)
"""
PROBABILITIES = [(f"p{i}", ">f4") for i in range(len(EMOTIONS))]
GRAPH_PROBABILITIES = [(f"g{i}", ">f4") for i in range(len(EMOTIONS))]
ROW = row_dtype(
    [("id", ">i8"), ("parent", ">i8"), ("author", ">i8"), ("time", ">f8"), *PROBABILITIES,
     *GRAPH_PROBABILITIES]
)  # fmt: skip


def window_posts(t0, t1, topic_id=None, *, graph_model=None) -> WindowPosts:
    """`graph_model` is (name, version) of the graph model whose stored rows to read along;
    None reads none (every `stored_graph` row is NONE)."""
    name, version = graph_model or (None, None)
    if connection.vendor == "postgresql":
        return _window_posts_copy(t0, t1, topic_id, name, version)
    return _window_posts_orm(t0, t1, topic_id, name, version)


def _stack(rows, columns):
    return np.stack([rows[name] for name, _ in columns], 1).astype(np.float32)


def _window_posts_copy(t0, t1, topic_id, graph_name=None, graph_version=None):
    sql = PG_SQL.format(
        probabilities=", ".join(f"COALESCE(c.p_{e}, -1)::float4" for e in EMOTIONS),
        graph_probabilities=", ".join(f"COALESCE(g.p_{e}, -1)::float4" for e in EMOTIONS),
        columns=", ".join(f"e.p_{e}" for e in EMOTIONS),
        join=_window_filter(topic_id),
    )
    buffer = io.BytesIO()
    params = {"t0": t0, "t1": t1, "topic": topic_id, "graph_name": graph_name,
              "graph_version": graph_version}  # fmt: skip
    with connection.cursor() as cursor, cursor.cursor.copy(sql, params) as copy:
        for block in copy:
            buffer.write(block)
    rows = rows_unpack(buffer.getbuffer(), ROW)
    return WindowPosts(
        post_id=rows["id"].astype(np.int64),
        parent_id=rows["parent"].astype(np.int64),
        author_id=rows["author"].astype(np.int64),
        time=rows["time"].astype(np.float64),
        content=_stack(rows, PROBABILITIES),
        stored_graph=_stack(rows, GRAPH_PROBABILITIES),
    )


def _latest_probabilities(posts, **where):
    """{post id: probabilities} of each post's latest prediction matching `where`."""
    latest = {}
    predictions = (
        EmotionPrediction.objects.filter(post__in=posts, **where)
        .order_by("post_id", "created_at", "id")
        .values_list("post_id", *(f"p_{e}" for e in EMOTIONS))
    )
    for post_id, *probabilities in predictions:
        latest[post_id] = probabilities  # ascending time: the last one wins
    return latest


def _window_posts_orm(t0, t1, topic_id, graph_name=None, graph_version=None):
    posts = Post.objects.filter(created_at__gte=t0, created_at__lt=t1)
    if topic_id is not None:
        posts = posts.filter(posttopic__topic_id=topic_id)
    rows = list(posts.order_by("id").values_list("id", "parent_id", "author_id", "created_at"))
    latest = _latest_probabilities(posts, stage=Stage.CONTENT)
    stored = {}
    if graph_name is not None:
        stored = _latest_probabilities(
            posts, stage=Stage.GRAPH, model_name=graph_name, model_version=graph_version
        )
    missing = [NONE] * len(EMOTIONS)

    def probabilities(by_post):
        return np.array([by_post.get(r[0], missing) for r in rows], np.float32).reshape(
            len(rows), len(EMOTIONS)
        )

    return WindowPosts(
        post_id=np.array([r[0] for r in rows], np.int64),
        parent_id=np.array([NONE if r[1] is None else r[1] for r in rows], np.int64),
        author_id=np.array([NONE if r[2] is None else r[2] for r in rows], np.int64),
        time=np.array([r[3].timestamp() for r in rows], np.float64),
        content=probabilities(latest),
        stored_graph=probabilities(stored),
    )
