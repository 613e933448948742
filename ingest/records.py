"""The one shape every import format is turned into, and the checks every row goes through.

A format reader yields `RawRow`s (a line number and a dict of the fields below) or `RowError`s
for rows it cannot even parse. `validate_row` turns a RawRow into a `PostRecord` or a RowError
naming file, line and field. Everything downstream (upsert, images, linking) sees only records.

RawRow fields (all strings unless noted; missing = empty):
    id          external id of the post, unique within its source (required)
    source      source slug, e.g. "weibo" (required; readers of known formats fill it in)
    created_at  ISO 8601 with a zone, e.g. 2026-11-01T08:00:00+08:00 or ...Z (required)
    text        post text (may be empty only when the post has images)
    author      external id of the author (optional)
    author_name display handle of the author (optional)
    parent_id   external id of the post this one answers, same source (optional)
    language    BCP 47 tag, e.g. "en", "zh" (optional)
    topics      list of tags, or one string separated by "|" (optional)
    images      list of image file names, or one string separated by "|" (optional)
    label       gold emotion in the 7-class taxonomy, imported as a `human` prediction (optional)
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from emograph.emotions.taxonomy import EMOTIONS

MAX_ID_LENGTH = 128
MAX_TEXT_LENGTH = 20_000  # characters; far above any platform's limit, below abuse
MAX_TOPICS = 50
MAX_IMAGES = 20
LIST_SEPARATOR = "|"
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f]")


@dataclass(frozen=True, slots=True)
class RawRow:
    line: int
    fields: dict


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    line: int
    field: str
    message: str

    def __str__(self):
        where = f"{self.file}, line {self.line}" if self.line else self.file
        if self.field:
            return f"{where}, field '{self.field}': {self.message}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class PostRecord:
    line: int
    source: str
    external_id: str
    created_at: dt.datetime
    text: str
    author_id: str = ""
    author_name: str = ""
    parent_id: str = ""
    language: str = ""
    topics: tuple = field(default=())
    images: tuple = field(default=())
    label: str = ""


class InvalidField(ValueError):
    def __init__(self, field_name, message):
        super().__init__(message)
        self.field = field_name


def validate_row(raw, *, file_name):
    """A PostRecord for a good row, else a RowError naming the first bad field."""
    try:
        return _record(raw)
    except InvalidField as error:
        return RowError(file_name, raw.line, error.field, str(error))


def _record(raw):
    f = raw.fields
    external_id = _identifier(f, "id", required=True)
    parent_id = _identifier(f, "parent_id", required=False)
    if parent_id and parent_id == external_id:
        raise InvalidField("parent_id", f"post {external_id!r} replies to itself")
    text = _text(f.get("text"))
    images = _list(f, "images", MAX_IMAGES)
    if not text.strip() and not images:
        raise InvalidField("text", "empty text and no images: nothing to analyse")
    return PostRecord(
        line=raw.line,
        source=_slug(f.get("source")),
        external_id=external_id,
        created_at=parse_timestamp(f.get("created_at")),
        text=text,
        author_id=_identifier(f, "author", required=False),
        author_name=_plain(f, "author_name", 200),
        parent_id=parent_id,
        language=_language(f.get("language")),
        topics=tuple(dict.fromkeys(t.lstrip("#").strip() for t in _list(f, "topics", MAX_TOPICS))),
        images=images,
        label=_label(f.get("label")),
    )


def _string(value):
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise TypeError
    return str(value).strip()


def _identifier(f, name, *, required):
    try:
        value = _string(f.get(name))
    except TypeError:
        raise InvalidField(name, "must be a string or an integer") from None
    if not value:
        if required:
            raise InvalidField(name, "missing")
        return ""
    if len(value) > MAX_ID_LENGTH:
        raise InvalidField(name, f"longer than {MAX_ID_LENGTH} characters")
    if SPACE_OR_CONTROL.search(value):
        raise InvalidField(name, f"{value[:40]!r} contains whitespace or control characters")
    return value


def _slug(value):
    try:
        slug = _string(value).lower()
    except TypeError:
        slug = ""
    if not SLUG.match(slug):
        raise InvalidField("source", f"{value!r} is not a source slug (a-z, 0-9, - and _)")
    return slug


def _text(value):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidField("text", "must be a string")
    if len(value) > MAX_TEXT_LENGTH:
        message = f"{len(value)} characters, more than the {MAX_TEXT_LENGTH} allowed"
        raise InvalidField("text", message)
    if "\x00" in value:
        raise InvalidField("text", "contains a NUL character")
    return value


def _plain(f, name, limit):
    try:
        value = _string(f.get(name))
    except TypeError:
        raise InvalidField(name, "must be a string") from None
    if len(value) > limit:
        raise InvalidField(name, f"longer than {limit} characters")
    return value


def _list(f, name, limit):
    value = f.get(name)
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items = value.split(LIST_SEPARATOR)
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise InvalidField(name, "must be a list or a '|'-separated string")
    if not all(isinstance(item, str) for item in items):
        raise InvalidField(name, "items must be strings")
    items = tuple(item.strip() for item in items if item.strip())
    if len(items) > limit:
        raise InvalidField(name, f"{len(items)} items, more than the {limit} allowed")
    if any(len(item) > 255 for item in items):
        raise InvalidField(name, "an item is longer than 255 characters")
    return items


def _language(value):
    try:
        language = _string(value)
    except TypeError:
        raise InvalidField("language", "must be a string") from None
    if language and not LANGUAGE.match(language):
        raise InvalidField("language", f"{language!r} is not a BCP 47 language tag")
    return language.lower()


def _label(value):
    try:
        label = _string(value).lower()
    except TypeError:
        raise InvalidField("label", "must be a string") from None
    if label and label not in EMOTIONS:
        raise InvalidField("label", f"{label!r} is not one of {', '.join(EMOTIONS)}")
    return label


def parse_timestamp(value, field_name="created_at"):
    """ISO 8601 with an explicit zone, returned in UTC. Zone-less times are refused rather than
    guessed: a wrong guess shifts every bucket of a timeline by hours."""
    if value is None or value == "":
        raise InvalidField(field_name, "missing")
    if not isinstance(value, str):
        raise InvalidField(field_name, "must be an ISO 8601 string")
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidField(
            field_name, f"{text[:40]!r} is not an ISO 8601 date-time (e.g. 2026-11-01T08:00:00Z)"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidField(
            field_name, f"{text[:40]!r} has no time zone; add Z or an offset like +08:00"
        )
    return parsed.astimezone(dt.UTC)


class FileRejected(ValueError):
    """The whole file cannot be imported (empty, unknown format, missing columns, bad archive).
    Nothing from it is written."""
