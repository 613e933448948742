"""The PostgreSQL bulk path: one COPY of the batch into a staging table, then set-based SQL.

Ids and parents are resolved in the (unindexed, unlogged) staging table first: existing posts
keep their ids, new posts take theirs from the sequence, and each reply finds its parent in
the batch or the database. Posts are then written once, with their final parent, so a reply
and its parent in the same batch cost no second write. Unchanged posts (same content hash) are
not touched at all. A batch costs a dozen round trips whatever its size.
"""

from django.db import connection

from emograph.emotions.taxonomy import EMOTIONS
from emograph.social.services import author_identity

from .upsert import GOLD_MODEL_VERSION, BatchOutcome, record_hash, topic_slugs

STAGE = """
CREATE TEMPORARY TABLE IF NOT EXISTS ingest_post_stage (
    line integer PRIMARY KEY, source_id bigint, external_id text, author_external_id text,
    author_handle text, author_pseudonymised boolean, parent_external_id text, text text,
    language text, created_at timestamptz, content_hash text, topic_slugs text[],
    topic_names text[], label text,
    post_id bigint, is_new boolean, old_hash text, parent_id bigint,
    UNIQUE (source_id, external_id)
);
CREATE TEMPORARY TABLE IF NOT EXISTS ingest_written (
    line integer PRIMARY KEY, post_id bigint, inserted boolean
);
TRUNCATE ingest_post_stage, ingest_written;
"""
STAGE_TYPES = [
    "int4", "int8", "text", "text", "text", "bool", "text", "text", "text", "timestamptz", "text",
    "text[]", "text[]", "text",
]  # fmt: skip
BATCH_PLANNER_SETTINGS = """
ANALYZE ingest_post_stage;
SET LOCAL jit = off;
SET LOCAL enable_seqscan = off;
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = off;
"""
COPY = """COPY ingest_post_stage (line, source_id, external_id, author_external_id,
    author_handle, author_pseudonymised, parent_external_id, text, language, created_at,
    content_hash, topic_slugs, topic_names, label) FROM STDIN"""

# Last spelling of a handle in the batch wins; an empty handle never erases a known one.
AUTHORS = """
INSERT INTO social_author (source_id, external_id, handle, is_pseudonymised, created_at)
SELECT DISTINCT ON (source_id, author_external_id)
       source_id, author_external_id, author_handle, author_pseudonymised, now()
FROM ingest_post_stage WHERE author_external_id <> ''
ORDER BY source_id, author_external_id, line DESC
ON CONFLICT (source_id, external_id) DO UPDATE SET handle = EXCLUDED.handle
WHERE EXCLUDED.handle <> '' AND social_author.handle IS DISTINCT FROM EXCLUDED.handle
"""
RESOLVE_IDS = """
UPDATE ingest_post_stage s SET post_id = p.id, is_new = false, old_hash = p.content_hash
FROM social_post p WHERE p.source_id = s.source_id AND p.external_id = s.external_id;
UPDATE ingest_post_stage SET post_id = nextval(pg_get_serial_sequence('social_post', 'id')),
    is_new = true
WHERE post_id IS NULL;
UPDATE ingest_post_stage s SET parent_id = coalesce(
    (SELECT b.post_id FROM ingest_post_stage b
     WHERE b.source_id = s.source_id AND b.external_id = s.parent_external_id),
    (SELECT p.id FROM social_post p
     WHERE p.source_id = s.source_id AND p.external_id = s.parent_external_id))
WHERE s.parent_external_id <> '';
"""
INSERT_NEW = """
INSERT INTO social_post (
    id, source_id, external_id, author_id, parent_id, parent_external_id, text, language,
    created_at, content_hash, import_job_id, ingested_at, updated_at
)
SELECT s.post_id, s.source_id, s.external_id, a.id, s.parent_id, s.parent_external_id, s.text,
       s.language, s.created_at, s.content_hash, %(job)s, now(), now()
FROM ingest_post_stage s
LEFT JOIN social_author a
       ON s.author_external_id <> '' AND a.source_id = s.source_id
      AND a.external_id = s.author_external_id
WHERE s.is_new
"""
UPDATE_CHANGED = """
UPDATE social_post p SET
    author_id = a.id, parent_id = s.parent_id, parent_external_id = s.parent_external_id,
    text = s.text, language = s.language, created_at = s.created_at,
    content_hash = s.content_hash, import_job_id = %(job)s, updated_at = now()
FROM ingest_post_stage s
LEFT JOIN social_author a
       ON s.author_external_id <> '' AND a.source_id = s.source_id
      AND a.external_id = s.author_external_id
WHERE p.id = s.post_id AND NOT s.is_new AND s.old_hash IS DISTINCT FROM s.content_hash
"""
WRITTEN = """
INSERT INTO ingest_written (line, post_id, inserted)
SELECT line, post_id, is_new FROM ingest_post_stage
WHERE is_new OR old_hash IS DISTINCT FROM content_hash
RETURNING line, post_id, inserted
"""
# Replies already stored, waiting for a parent that arrives in this batch.
LINK_WAITING = """
UPDATE social_post c SET parent_id = w.post_id
FROM ingest_written w JOIN ingest_post_stage s USING (line)
WHERE w.inserted AND c.parent_id IS NULL AND c.parent_external_id <> ''
  AND c.parent_external_id = s.external_id AND c.source_id = s.source_id
RETURNING c.id
"""
TOPICS = """
INSERT INTO social_topic (slug, name, kind, created_at)
SELECT DISTINCT ON (t.slug) t.slug, t.name, 'tag', now()
FROM ingest_written w
JOIN ingest_post_stage s USING (line)
CROSS JOIN LATERAL unnest(s.topic_slugs, s.topic_names) AS t(slug, name)
ON CONFLICT (slug) DO NOTHING;
DELETE FROM social_posttopic pt USING ingest_written w, social_topic t
WHERE pt.post_id = w.post_id AND NOT w.inserted AND t.id = pt.topic_id AND t.kind = 'tag';
INSERT INTO social_posttopic (post_id, topic_id, post_created_at)
SELECT w.post_id, t.id, s.created_at
FROM ingest_written w
JOIN ingest_post_stage s USING (line)
CROSS JOIN LATERAL unnest(s.topic_slugs) AS ts(slug)
JOIN social_topic t ON t.slug = ts.slug;
"""
ONE_HOT = ", ".join(f"(s.label = '{e}')::int::float" for e in EMOTIONS)
GOLD = f"""
INSERT INTO emotions_emotionprediction (
    post_id, stage, model_name, model_version, {", ".join(f"p_{e}" for e in EMOTIONS)},
    label, confidence, details, created_at
)
SELECT w.post_id, 'human', %(model)s, %(version)s, {ONE_HOT}, s.label, 1.0, '{{}}'::jsonb, now()
FROM ingest_written w JOIN ingest_post_stage s USING (line)
WHERE s.label <> ''
ON CONFLICT (post_id, stage, model_name, model_version) DO UPDATE SET
    {", ".join(f"p_{e} = EXCLUDED.p_{e}" for e in EMOTIONS)},
    label = EXCLUDED.label, confidence = EXCLUDED.confidence
"""  # noqa: S608 - the interpolated parts are the fixed taxonomy, not input


def batch_write_copy(records, *, job_id, source_ids, gold_model):
    outcome = BatchOutcome()
    with connection.cursor() as cursor:
        cursor.execute(STAGE)
        with cursor.cursor.copy(COPY) as copy:
            copy.set_types(STAGE_TYPES)
            for record in records:
                copy.write_row(stage_row(record, source_ids))
        # Every statement below starts from the small staging table and must look rows up by
        # index, one batch row at a time. During a bulk load the big tables' statistics lag
        # far behind their size, and the planner then scans or hashes a whole table (or walks
        # a whole index in a merge join) for every batch: the import slows as the tables grow.
        # These settings last for this batch's transaction only.
        cursor.execute(BATCH_PLANNER_SETTINGS)
        cursor.execute(AUTHORS)
        cursor.execute(RESOLVE_IDS)
        cursor.execute(INSERT_NEW, {"job": job_id})
        cursor.execute(UPDATE_CHANGED, {"job": job_id})
        cursor.execute(WRITTEN)
        for line, post_id, inserted in cursor.fetchall():
            (outcome.created if inserted else outcome.updated).append(post_id)
            outcome.post_ids[line] = post_id
        if outcome.post_ids:
            cursor.execute(TOPICS)
            if gold_model:
                cursor.execute(GOLD, {"model": gold_model, "version": GOLD_MODEL_VERSION})
            cursor.execute(LINK_WAITING)
            outcome.linked = [row[0] for row in cursor.fetchall()]
    outcome.unchanged = len(records) - len(outcome.post_ids)
    return outcome


def stage_row(record, source_ids):
    author = (
        author_identity(
            source_slug=record.source, external_id=record.author_id, handle=record.author_name
        )
        if record.author_id
        else {"external_id": "", "handle": "", "is_pseudonymised": False}
    )
    slugs = topic_slugs(record)
    return (
        record.line, source_ids[record.source], record.external_id, author["external_id"],
        author["handle"], author["is_pseudonymised"], record.parent_id, record.text,
        record.language, record.created_at, record_hash(record), list(slugs),
        list(slugs.values()), record.label,
    )  # fmt: skip
