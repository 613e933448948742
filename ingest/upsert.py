"""Writing one batch of validated records, inside the caller's transaction.

Authors, posts, topics, gold labels and reply links go through one of two paths with the same
result: on PostgreSQL, COPY into a staging table and set-based SQL (upsert_copy); elsewhere
(SQLite, the demo) the ORM's bulk operations (upsert_orm). A post whose content hash is
unchanged is not written at all, so a second import of the same file changes nothing. Images
and the parent-cycle check are shared and live here.
"""

import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.utils.text import slugify

from emograph.emotions.taxonomy import EMOTIONS
from emograph.social.models import PostImage, Source, Topic
from emograph.social.services import author_identity

SOURCE_KINDS = {kind.value for kind in Source.Kind}
GOLD_MODEL_VERSION = "import"


@dataclass
class BatchOutcome:
    created: list = field(default_factory=list)  # post ids
    updated: list = field(default_factory=list)
    unchanged: int = 0
    post_ids: dict = field(default_factory=dict)  # record line -> post id, written posts only
    linked: list = field(default_factory=list)  # posts given a parent after being written


@dataclass(frozen=True)
class StoredImage:
    sha256: str
    file: str  # storage path of the cleaned image
    thumbnail: str
    width: int
    height: int
    original_name: str


class ParentCycle(Exception):
    """Linking this batch would make posts (indirect) ancestors of themselves."""

    def __init__(self, post_ids):
        super().__init__(f"parent cycle through posts {sorted(post_ids)}")
        self.post_ids = set(post_ids)
        self.lines = set()  # lines of the current batch's records on the cycle


def batch_write(records, *, job, keys, images=None, gold_model=""):
    """Write validated, de-duplicated records; `keys` maps record line -> RecordKeys,
    `images` record line -> [StoredImage]. Authors, posts, topics, gold labels and reply links
    go through the database's bulk path; images and the cycle check are shared."""
    from . import upsert_copy, upsert_orm  # they build on this module's helpers

    source_ids = sources_ensure({r.source for r in records})
    if connection.vendor == "postgresql":
        write = upsert_copy.batch_write_copy
    else:
        write = upsert_orm.batch_write_orm
    outcome = write(records, keys=keys, job_id=job.pk, source_ids=source_ids, gold_model=gold_model)
    changed = [r for r in records if r.line in outcome.post_ids]
    images_attach(changed, outcome.post_ids, images or {}, updated=outcome.updated)
    try:
        cycles_check(post_ids={*outcome.post_ids.values(), *outcome.linked})
    except ParentCycle as cycle:
        cycle.lines = {line for line, pk in outcome.post_ids.items() if pk in cycle.post_ids}
        raise
    return outcome


class RecordKeys(NamedTuple):
    author: dict  # what author_identity() stores for the record's author; {} for none
    content_hash: str


def record_keys(record):
    """The keyed hashes a record is written with: the slow part of writing a row, and pure
    Python, so the import computes them in its reader thread while the database writes the
    previous batch."""
    author = (
        author_identity(
            source_slug=record.source, external_id=record.author_id, handle=record.author_name
        )
        if record.author_id
        else {}
    )
    return RecordKeys(author, record_hash(record))


def record_hash(record):
    """What decides "unchanged": every imported field of the post. Keyed, because it covers the
    raw author id and handle: with pseudonymisation on, an unkeyed hash stored beside the text
    would let anyone holding the database test candidate handles against it."""
    parts = (
        record.author_id, record.author_name, record.parent_id, record.text, record.language,
        record.created_at.isoformat(), "|".join(record.topics), "|".join(record.images),
        record.label,
    )  # fmt: skip
    key = hash_key(settings.EMOGRAPH_PSEUDONYM_KEY)
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16, key=key).hexdigest()


@functools.lru_cache(maxsize=4)
def hash_key(secret):
    return hashlib.sha256(secret.encode()).digest()


def sources_ensure(slugs):
    known = dict(Source.objects.filter(slug__in=slugs).values_list("slug", "id"))
    for slug in slugs - known.keys():
        kind = slug if slug in SOURCE_KINDS else Source.Kind.OTHER
        source, _ = Source.objects.get_or_create(
            slug=slug, defaults={"name": slug.replace("-", " ").title(), "kind": kind}
        )
        known[slug] = source.pk
    return known


@functools.lru_cache(maxsize=65536)
def topic_slug(name):
    """A tag's slug; one that looks like a source's or a watchlist's is prefixed with `tag-`
    (see Topic: those prefixes belong to the other kinds)."""
    slug = slugify(name, allow_unicode=True)
    if slug.startswith((Topic.SOURCE_PREFIX, Topic.WATCHLIST_PREFIX)):
        slug = f"tag-{slug}"
    return slug[:100]


def topic_slugs(record):
    """slug -> display name for a record's topics (two spellings of one tag are one topic)."""
    return {slug: name[:200] for name in record.topics if (slug := topic_slug(name))}


def gold_probabilities(label):
    return [float(emotion == label) for emotion in EMOTIONS]


def images_attach(records, post_ids, images, *, updated=()):
    """Image rows of written posts; an updated post's images are replaced (it may have lost one;
    the files are content-addressed, so nothing is re-stored)."""
    if updated:
        PostImage.objects.filter(post_id__in=updated).delete()
    rows = [
        PostImage(
            post_id=post_ids[r.line],
            position=position,
            original_name=image.original_name[:255],
            file=image.file,
            thumbnail=image.thumbnail,
            sha256=image.sha256,
            width=image.width,
            height=image.height,
        )
        for r in records
        for position, image in enumerate(images.get(r.line, ()))
    ]
    PostImage.objects.bulk_create(rows, ignore_conflicts=True)


# Posts that reach themselves walking up their parents. Only a post with both a parent and a
# child can be on a cycle, which keeps the walk off the many leaf replies. The depth cap bounds
# it; real reply chains are far shorter. A root's NULL parent ends its walk by itself: a filter
# on p.parent_id there would let the planner fetch every reply in the table for each batch.
CYCLE_MEMBERS = """
WITH RECURSIVE up(start_id, node_id, depth) AS (
    SELECT c.id, c.parent_id, 1 FROM social_post c
    WHERE c.id IN ({ids}) AND c.parent_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM social_post k WHERE k.parent_id = c.id)
    UNION ALL
    SELECT up.start_id, p.parent_id, up.depth + 1
    FROM up JOIN social_post AS p ON p.id = up.node_id
    WHERE up.node_id <> up.start_id AND up.depth < 1000
)
SELECT DISTINCT start_id FROM up WHERE node_id = start_id
"""


def cycles_check(*, post_ids):
    """Raise ParentCycle (the caller's transaction must roll back) when any of these posts,
    written or linked by this batch, is now its own ancestor. The database was acyclic before
    the batch, so every new cycle runs through one of them."""
    if not post_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(CYCLE_MEMBERS.format(ids=id_set_sql()), [id_set_param(post_ids)])
        in_cycle = [row[0] for row in cursor.fetchall()]
    if in_cycle:
        raise ParentCycle(in_cycle)


def id_set_sql():
    """A set of ids passed as ONE parameter (thousands of placeholders are slow to build):
    an array on PostgreSQL, a JSON array that SQLite unpacks with json_each."""
    if connection.vendor == "postgresql":
        return "SELECT unnest(%s::bigint[])"
    return "SELECT value FROM json_each(%s)"


def id_set_param(ids):
    return list(ids) if connection.vendor == "postgresql" else json.dumps(list(ids))
