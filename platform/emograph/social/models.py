"""Social data: where posts come from, who wrote them, what they say and show, who they answer."""

from django.db import models


class Source(models.Model):
    """A platform or data set posts come from (Weibo, Twitter, a Reddit dump, a TV corpus)."""

    class Kind(models.TextChoices):
        WEIBO = "weibo", "Weibo"
        TWITTER = "twitter", "Twitter / X"
        REDDIT = "reddit", "Reddit"
        DIALOGUE = "dialogue", "Dialogue corpus"
        OTHER = "other", "Other"

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OTHER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.name


class Author(models.Model):
    """An account on one source. With pseudonymisation on, external_id and handle are keyed
    hashes (see services.pseudonymise) and the raw values are never stored."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="authors")
    external_id = models.CharField(max_length=128)
    handle = models.CharField(max_length=200, blank=True)
    is_pseudonymised = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="author_unique_external_id_per_source"
            )
        ]

    def __str__(self):
        return self.handle or self.external_id


class Topic(models.Model):
    """A tag or hashtag from the data, a source, or an admin-defined watchlist.

    Slugs are one namespace, so each kind owns its own part of it: a source's slug starts with
    `source-`, a watchlist's with `watch-`, and a tag's with neither (the importer prefixes such
    a tag with `tag-`). Otherwise a data tag spelled like a watchlist would land its posts in
    the watchlist, which its rules never chose."""

    class Kind(models.TextChoices):
        TAG = "tag", "Tag"
        SOURCE = "source", "Source"
        WATCHLIST = "watchlist", "Watchlist"

    SOURCE_PREFIX = "source-"
    WATCHLIST_PREFIX = "watch-"

    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TAG)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="source", slug__startswith="source-")
                    | models.Q(kind="watchlist", slug__startswith="watch-")
                    | (
                        models.Q(kind="tag")
                        & ~models.Q(slug__startswith="source-")
                        & ~models.Q(slug__startswith="watch-")
                    )
                ),
                name="topic_slug_matches_kind",
                violation_error_message=(
                    "A watchlist's slug must start with 'watch-' and a source's with 'source-'; "
                    "a tag's slug starts with neither."
                ),
            )
        ]

    def __str__(self):
        return self.name


class Post(models.Model):
    """A post or comment. Replies point at their parent; `parent_external_id` keeps the
    reference while the parent has not arrived yet, so a later import can link it."""

    # No index of its own on source or thread_root: the composite indexes below start with them.
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="posts", db_index=False
    )
    external_id = models.CharField(max_length=128)
    author = models.ForeignKey(
        Author, on_delete=models.SET_NULL, null=True, blank=True, related_name="posts"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    parent_external_id = models.CharField(max_length=128, blank=True)
    thread_root = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="thread_posts",
        db_index=False,
    )
    text = models.TextField(blank=True)
    language = models.CharField(max_length=16, blank=True, help_text="BCP 47 tag, e.g. en, zh")
    topics = models.ManyToManyField(Topic, through="PostTopic", related_name="posts", blank=True)
    created_at = models.DateTimeField(help_text="When the post was published (UTC).")
    ingested_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    content_hash = models.CharField(
        max_length=32, blank=True, help_text="Hash of the imported fields: unchanged rows skip."
    )
    import_job = models.ForeignKey(
        "ingest.ImportJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="posts",
        help_text="The import that last created or changed this post.",
        # Provenance, not integrity: no database check per imported row (the ORM still sets it
        # NULL when a job is deleted). The check cost more than a whole index on bulk imports.
        db_constraint=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="post_unique_external_id_per_source"
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="post_not_own_parent"
            ),
        ]
        indexes = [
            models.Index(fields=["source", "created_at"], name="post_source_time"),
            models.Index(fields=["created_at"], name="post_time"),
            models.Index(fields=["thread_root", "created_at"], name="post_thread_time"),
            # Late-arriving parents: find the replies waiting for them.
            models.Index(
                fields=["source", "parent_external_id"],
                name="post_waiting_parent",
                condition=models.Q(parent__isnull=True) & ~models.Q(parent_external_id=""),
            ),
        ]

    def __str__(self):
        return f"{self.source_id}:{self.external_id}"

    @property
    def is_reply(self):
        return bool(self.parent_id or self.parent_external_id)


class PostTopic(models.Model):
    """Post <-> topic, with the post's time copied in so "topic X between t0 and t1" is one
    index range scan instead of a join over all posts."""

    # Indexed through post_topic_unique (post first) and post_topic_time (topic first). Links
    # are derived rows, rewritten by every import and topic assignment: no database check per
    # row (two checks cost more than the row itself on bulk writes). The ORM still cascades
    # deletes of posts and topics to them.
    post = models.ForeignKey(Post, on_delete=models.CASCADE, db_index=False, db_constraint=False)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, db_index=False, db_constraint=False)
    post_created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "topic"], name="post_topic_unique"),
        ]
        indexes = [models.Index(fields=["topic", "post_created_at"], name="post_topic_time")]

    def __str__(self):
        return f"{self.post_id} in {self.topic_id}"


def post_image_path(instance, filename):
    # Content-addressed: the same picture uploaded twice is one file on disk.
    return f"images/{instance.sha256[:2]}/{instance.sha256}{_suffix(filename)}"


def post_thumbnail_path(instance, filename):
    return f"thumbs/{instance.sha256[:2]}/{instance.sha256}.jpg"


def _suffix(filename):
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot != -1 else ""


class PostImage(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField(default=0)
    original_name = models.CharField(max_length=255, blank=True)
    file = models.ImageField(upload_to=post_image_path, width_field="width", height_field="height")
    sha256 = models.CharField(max_length=64, db_index=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    thumbnail = models.ImageField(upload_to=post_thumbnail_path, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["post", "position"]
        constraints = [
            models.UniqueConstraint(fields=["post", "sha256"], name="post_image_unique_content"),
        ]

    def __str__(self):
        return self.original_name or self.sha256[:12]
