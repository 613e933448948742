"""The portable bulk path (SQLite, the demo): the ORM's bulk operations, a few queries a batch."""

from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from emograph.emotions.models import EmotionPrediction, Stage
from emograph.emotions.services import prediction_fields
from emograph.emotions.taxonomy import EMOTIONS
from emograph.social.models import Author, Post, PostTopic, Topic

from .upsert import (
    GOLD_MODEL_VERSION,
    BatchOutcome,
    gold_probabilities,
    id_set_param,
    id_set_sql,
    topic_slugs,
)

# What an update of a post can change (its source and external id are its identity).
UPDATED_POST_FIELDS = [
    "author_id", "parent_external_id", "parent_id", "text", "language", "created_at",
    "content_hash", "import_job_id", "updated_at",
]  # fmt: skip


def batch_write_orm(records, *, keys, job_id, source_ids, gold_model):
    authors = authors_ensure(records, keys, source_ids)
    outcome = posts_upsert_orm(
        [post_row(r, keys[r.line], source_ids, authors) for r in records], job_id=job_id
    )
    changed = [r for r in records if r.line in outcome.post_ids]
    topics_link(changed, outcome.post_ids)
    if gold_model:
        gold_labels_record(changed, outcome.post_ids, model_name=gold_model)
    outcome.linked = replies_link(post_ids=list(outcome.post_ids.values()))
    return outcome


def authors_ensure(records, keys, source_ids):
    """(source slug, raw author id) -> Author pk, creating missing authors, updating handles."""
    wanted = {}  # (source_id, stored external id) -> (identity, raw key)
    for r in records:
        if r.author_id:
            identity = keys[r.line].author
            wanted[(source_ids[r.source], identity["external_id"])] = (
                identity,
                (r.source, r.author_id),
            )
    if not wanted:
        return {}
    existing = {
        (a.source_id, a.external_id): a
        for a in Author.objects.filter(
            source_id__in={sid for sid, _ in wanted},
            external_id__in={ext for _, ext in wanted},
        )
    }
    missing = [
        Author(source_id=sid, **identity)
        for (sid, ext), (identity, _) in wanted.items()
        if (sid, ext) not in existing
    ]
    Author.objects.bulk_create(missing, ignore_conflicts=True)
    renamed = []
    for key, author in existing.items():
        handle = wanted[key][0]["handle"]
        if handle and author.handle != handle:
            author.handle = handle
            renamed.append(author)
    Author.objects.bulk_update(renamed, ["handle"])
    if missing:
        existing.update(
            ((a.source_id, a.external_id), a)
            for a in Author.objects.filter(
                source_id__in={a.source_id for a in missing},
                external_id__in={a.external_id for a in missing},
            )
        )
    return {raw_key: existing[key].pk for key, (_, raw_key) in wanted.items()}


@dataclass(frozen=True, slots=True)
class PostRow:
    line: int
    source_id: int
    external_id: str
    author_id: int | None
    parent_external_id: str
    text: str
    language: str
    created_at: object
    content_hash: str


def post_row(record, keys, source_ids, authors):
    return PostRow(
        line=record.line,
        source_id=source_ids[record.source],
        external_id=record.external_id,
        author_id=authors.get((record.source, record.author_id)),
        parent_external_id=record.parent_id,
        text=record.text,
        language=record.language,
        created_at=record.created_at,
        content_hash=keys.content_hash,
    )


def posts_upsert_orm(rows, *, job_id):
    """Any database: read what exists, bulk-create the new, bulk-update the changed."""
    outcome = BatchOutcome()
    existing = {}
    for source_id in {row.source_id for row in rows}:
        ids = [row.external_id for row in rows if row.source_id == source_id]
        for post in Post.objects.filter(source_id=source_id, external_id__in=ids).only(
            "id", "source_id", "external_id", "content_hash", "parent_external_id", "parent_id"
        ):
            existing[(post.source_id, post.external_id)] = post
    new, changed = [], []
    now = timezone.now()
    for row in rows:
        post = existing.get((row.source_id, row.external_id))
        if post is None:
            new.append((row, Post(import_job_id=job_id, **post_fields(row))))
        elif post.content_hash != row.content_hash:
            if post.parent_external_id != row.parent_external_id:
                post.parent_id = None
            for name, value in post_fields(row).items():
                setattr(post, name, value)
            post.import_job_id = job_id
            post.updated_at = now
            changed.append((row, post))
    Post.objects.bulk_create([post for _, post in new])
    Post.objects.bulk_update([post for _, post in changed], UPDATED_POST_FIELDS)
    for row, post in new:
        outcome.created.append(post.pk)
        outcome.post_ids[row.line] = post.pk
    for row, post in changed:
        outcome.updated.append(post.pk)
        outcome.post_ids[row.line] = post.pk
    outcome.unchanged = len(rows) - len(new) - len(changed)
    return outcome


def post_fields(row):
    return {
        "source_id": row.source_id,
        "external_id": row.external_id,
        "author_id": row.author_id,
        "parent_external_id": row.parent_external_id,
        "text": row.text,
        "language": row.language,
        "created_at": row.created_at,
        "content_hash": row.content_hash,
    }


def topics_link(records, post_ids):
    """Replace the tag links of written posts (a changed post may have lost a tag); source and
    watchlist links are monitoring's to keep (emograph.monitoring.assign)."""
    PostTopic.objects.filter(
        post_id__in=[post_ids[r.line] for r in records], topic__kind=Topic.Kind.TAG
    ).delete()
    per_record = [(r, topic_slugs(r)) for r in records]
    names = {slug: name for _, slugs in per_record for slug, name in slugs.items()}
    if not names:
        return
    Topic.objects.bulk_create(
        [Topic(slug=slug, name=name) for slug, name in names.items()], ignore_conflicts=True
    )
    topic_ids = dict(Topic.objects.filter(slug__in=names).values_list("slug", "id"))
    PostTopic.objects.bulk_create(
        [
            PostTopic(post_id=post_ids[r.line], topic_id=topic_ids[t], post_created_at=r.created_at)
            for r, slugs in per_record
            for t in slugs
        ]
    )


def gold_labels_record(records, post_ids, *, model_name):
    """Gold emotions from labelled data sets become `human` predictions, one-hot."""
    predictions = [
        EmotionPrediction(
            post_id=post_ids[r.line],
            stage=Stage.HUMAN,
            model_name=model_name,
            model_version=GOLD_MODEL_VERSION,
            **prediction_fields(probabilities=gold_probabilities(r.label)),
        )
        for r in records
        if r.label
    ]
    EmotionPrediction.objects.bulk_create(
        predictions,
        update_conflicts=True,
        unique_fields=["post", "stage", "model_name", "model_version"],
        update_fields=[*(f"p_{e}" for e in EMOTIONS), "label", "confidence"],
    )


LINK_CHILDREN = """
UPDATE social_post SET parent_id = p.id
FROM social_post AS p
WHERE social_post.id IN ({ids})
  AND social_post.parent_id IS NULL AND social_post.parent_external_id <> ''
  AND p.source_id = social_post.source_id AND p.external_id = social_post.parent_external_id
RETURNING social_post.id
"""
LINK_WAITING_CHILDREN = """
UPDATE social_post SET parent_id = p.id
FROM social_post AS p
WHERE p.id IN ({ids})
  AND social_post.parent_id IS NULL AND social_post.parent_external_id = p.external_id
  AND social_post.source_id = p.source_id
RETURNING social_post.id
"""


def replies_link(*, post_ids):
    """Link written posts to their parents, and stored posts waiting for these as parents."""
    if not post_ids:
        return []
    linked = []
    with connection.cursor() as cursor:
        for statement in (LINK_CHILDREN, LINK_WAITING_CHILDREN):
            cursor.execute(statement.format(ids=id_set_sql()), [id_set_param(post_ids)])
            linked.extend(row[0] for row in cursor.fetchall())
    return linked
