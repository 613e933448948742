"""The PostgreSQL bulk path: one COPY of the batch into a staging table, then set-based SQL.

Ids and parents are resolved first, into a narrow table beside the (unlogged, temporary)
staging table, so the wide staged rows are written once and never updated: existing posts keep
their ids, new posts take theirs from the sequence, and each reply finds its parent in the
batch or the database. Posts are then written once, with their final parent, so a reply and
its parent in the same batch cost no second write. Unchanged posts (same content hash) are not
touched at all. Topics are upserted before the COPY, so the staged rows carry topic ids. A batch
costs a dozen round trips whatever its size.
"""

from django.db import connection

from emograph.emotions.taxonomy import EMOTIONS

from .upsert import GOLD_MODEL_VERSION, BatchOutcome, topic_slugs

STAGE = """
CREATE TEMPORARY TABLE IF NOT EXISTS ingest_post_stage (
    line integer PRIMARY KEY, source_id bigint, external_id text, author_external_id text,
    author_handle text, author_pseudonymised boolean, parent_external_id text, text text,
    language text, created_at timestamptz, content_hash text, topic_ids bigint[], label text,
    UNIQUE (source_id, external_id)
);
CREATE TEMPORARY TABLE IF NOT EXISTS ingest_post_ids (
    line integer PRIMARY KEY, post_id bigint, is_new boolean, written boolean, parent_id bigint
);
TRUNCATE ingest_post_stage, ingest_post_ids;
"""
STAGE_TYPES = [
    "int4", "int8", "text", "text", "text", "bool", "text", "text", "text", "timestamptz", "text",
    "int8[]", "text",
]  # fmt: skip
# Every statement below starts from the small staging tables and must look rows up by index,
# one batch row at a time. During a bulk load the big tables' statistics lag far behind their
# size, and the planner then scans or hashes a whole table (or walks a whole index in a merge
# join) for every batch: the import slows as the tables grow. These settings last for this
# batch's transaction only.
BATCH_PLANNER_SETTINGS = """
SET LOCAL jit = off;
SET LOCAL enable_seqscan = off;
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = off;
"""
COPY = """COPY ingest_post_stage (line, source_id, external_id, author_external_id,
    author_handle, author_pseudonymised, parent_external_id, text, language, created_at,
    content_hash, topic_ids, label) FROM STDIN"""

TOPICS_ENSURE = """
INSERT INTO social_topic (slug, name, kind, created_at)
SELECT slug, name, 'tag', now() FROM unnest(%s::text[], %s::text[]) AS t(slug, name)
ON CONFLICT (slug) DO NOTHING;
"""
TOPIC_IDS = "SELECT slug, id FROM social_topic WHERE slug = ANY(%s::text[])"
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
# COALESCE evaluates its arguments in order and stops at the first non-NULL one, so only new
# posts draw from the sequence.
RESOLVE_IDS = """
INSERT INTO ingest_post_ids (line, post_id, is_new, written)
SELECT s.line, coalesce(p.id, nextval(pg_get_serial_sequence('social_post', 'id'))),
       p.id IS NULL, p.id IS NULL OR p.content_hash IS DISTINCT FROM s.content_hash
FROM ingest_post_stage s
LEFT JOIN social_post p ON p.source_id = s.source_id AND p.external_id = s.external_id
"""
RESOLVE_PARENTS = """
UPDATE ingest_post_ids i SET parent_id = coalesce(
    (SELECT bi.post_id FROM ingest_post_stage b JOIN ingest_post_ids bi USING (line)
     WHERE b.source_id = s.source_id AND b.external_id = s.parent_external_id),
    (SELECT p.id FROM social_post p
     WHERE p.source_id = s.source_id AND p.external_id = s.parent_external_id))
FROM ingest_post_stage s
WHERE s.line = i.line AND i.written AND s.parent_external_id <> ''
"""
INSERT_NEW = """
INSERT INTO social_post (
    id, source_id, external_id, author_id, parent_id, parent_external_id, text, language,
    created_at, content_hash, import_job_id, ingested_at, updated_at
)
SELECT i.post_id, s.source_id, s.external_id, a.id, i.parent_id, s.parent_external_id, s.text,
       s.language, s.created_at, s.content_hash, %(job)s, now(), now()
FROM ingest_post_ids i
JOIN ingest_post_stage s USING (line)
LEFT JOIN social_author a
       ON s.author_external_id <> '' AND a.source_id = s.source_id
      AND a.external_id = s.author_external_id
WHERE i.is_new
"""
UPDATE_CHANGED = """
UPDATE social_post p SET
    author_id = a.id, parent_id = i.parent_id, parent_external_id = s.parent_external_id,
    text = s.text, language = s.language, created_at = s.created_at,
    content_hash = s.content_hash, import_job_id = %(job)s, updated_at = now()
FROM ingest_post_ids i
JOIN ingest_post_stage s USING (line)
LEFT JOIN social_author a
       ON s.author_external_id <> '' AND a.source_id = s.source_id
      AND a.external_id = s.author_external_id
WHERE p.id = i.post_id AND i.written AND NOT i.is_new
"""
WRITTEN = "SELECT line, post_id, is_new FROM ingest_post_ids WHERE written"
# Replies already stored, waiting for a parent that arrives in this batch.
LINK_WAITING = """
UPDATE social_post c SET parent_id = i.post_id
FROM ingest_post_ids i JOIN ingest_post_stage s USING (line)
WHERE i.is_new AND c.parent_id IS NULL AND c.parent_external_id <> ''
  AND c.parent_external_id = s.external_id AND c.source_id = s.source_id
RETURNING c.id
"""
POST_TOPICS = """
DELETE FROM social_posttopic pt USING ingest_post_ids i, social_topic t
WHERE pt.post_id = i.post_id AND i.written AND NOT i.is_new
  AND t.id = pt.topic_id AND t.kind = 'tag';
INSERT INTO social_posttopic (post_id, topic_id, post_created_at)
SELECT i.post_id, t.topic_id, s.created_at
FROM ingest_post_ids i
JOIN ingest_post_stage s USING (line)
CROSS JOIN LATERAL unnest(s.topic_ids) AS t(topic_id)
WHERE i.written;
"""
ONE_HOT = ", ".join(f"(s.label = '{e}')::int::float" for e in EMOTIONS)
GOLD = f"""
INSERT INTO emotions_emotionprediction (
    post_id, stage, model_name, model_version, {", ".join(f"p_{e}" for e in EMOTIONS)},
    label, confidence, details, created_at
)
SELECT i.post_id, 'human', %(model)s, %(version)s, {ONE_HOT}, s.label, 1.0, '{{}}'::jsonb, now()
FROM ingest_post_ids i JOIN ingest_post_stage s USING (line)
WHERE i.written AND s.label <> ''
ON CONFLICT (post_id, stage, model_name, model_version) DO UPDATE SET
    {", ".join(f"p_{e} = EXCLUDED.p_{e}" for e in EMOTIONS)},
    label = EXCLUDED.label, confidence = EXCLUDED.confidence
"""  # noqa: S608 - the interpolated parts are the fixed taxonomy, not input


def batch_write_copy(records, *, keys, job_id, source_ids, gold_model):
    outcome = BatchOutcome()
    with connection.cursor() as cursor:
        cursor.execute(STAGE)
        cursor.execute(BATCH_PLANNER_SETTINGS)
        topic_ids = topics_ensure(cursor, records)
        with cursor.cursor.copy(COPY) as copy:
            copy.set_types(STAGE_TYPES)
            for record in records:
                line = record.line
                copy.write_row(stage_row(record, keys[line], source_ids, topic_ids[line]))
        cursor.execute(AUTHORS)
        cursor.execute(RESOLVE_IDS)
        cursor.execute(RESOLVE_PARENTS)
        cursor.execute(INSERT_NEW, {"job": job_id})
        cursor.execute(UPDATE_CHANGED, {"job": job_id})
        cursor.execute(WRITTEN)
        for line, post_id, inserted in cursor.fetchall():
            (outcome.created if inserted else outcome.updated).append(post_id)
            outcome.post_ids[line] = post_id
        if outcome.post_ids:
            cursor.execute(POST_TOPICS)
            if gold_model:
                cursor.execute(GOLD, {"model": gold_model, "version": GOLD_MODEL_VERSION})
            cursor.execute(LINK_WAITING)
            outcome.linked = [row[0] for row in cursor.fetchall()]
    outcome.unchanged = len(records) - len(outcome.post_ids)
    return outcome


def topics_ensure(cursor, records):
    """Record line -> ids of the record's tag topics, creating the missing topics (named by
    the batch's last spelling of the slug, as on the ORM path)."""
    per_record = {r.line: topic_slugs(r) for r in records}
    names = {slug: name for slugs in per_record.values() for slug, name in slugs.items()}
    ids = {}
    if names:
        cursor.execute(TOPICS_ENSURE, [list(names), list(names.values())])
        cursor.execute(TOPIC_IDS, [list(names)])
        ids = dict(cursor.fetchall())
    return {line: [ids[slug] for slug in slugs] for line, slugs in per_record.items()}


def stage_row(record, keys, source_ids, topic_ids):
    """The staged COPY row; `topic_ids` are this record's."""
    author = keys.author
    return (
        record.line, source_ids[record.source], record.external_id,
        author.get("external_id", ""), author.get("handle", ""),
        author.get("is_pseudonymised", False), record.parent_id, record.text, record.language,
        record.created_at, keys.content_hash, topic_ids, record.label,
    )  # fmt: skip
