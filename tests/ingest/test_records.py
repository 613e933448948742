import datetime as dt

import pytest

from ingest.records import MAX_TEXT_LENGTH, PostRecord, RawRow, RowError, validate_row

GOOD = {"id": "1", "source": "weibo", "created_at": "2026-11-01T08:00:00+08:00", "text": "hi"}


def check(**changes):
    return validate_row(RawRow(7, {**GOOD, **changes}), file_name="posts.csv")


def test_good_row_becomes_a_record_in_utc():
    record = check(topics="#Flood|flood|雨", language="ZH", label="Fear")
    assert isinstance(record, PostRecord)
    assert record.created_at == dt.datetime(2026, 11, 1, 0, 0, tzinfo=dt.UTC)
    assert record.topics == ("Flood", "flood", "雨")
    assert (record.language, record.label) == ("zh", "fear")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"id": ""}, "id", "missing"),
        ({"id": "a b"}, "id", "contains whitespace"),
        ({"created_at": "yesterday"}, "created_at", "is not an ISO 8601 date-time"),
        ({"created_at": "2026-11-01T08:00:00"}, "created_at", "has no time zone"),
        ({"created_at": ""}, "created_at", "missing"),
        ({"text": "x" * (MAX_TEXT_LENGTH + 1)}, "text", "more than the 20000 allowed"),
        ({"text": "  "}, "text", "empty text and no images"),
        ({"parent_id": "1"}, "parent_id", "replies to itself"),
        ({"source": "Bad Source!"}, "source", "is not a source slug"),
        ({"label": "anxious"}, "label", "is not one of anger"),
        ({"language": "english please"}, "language", "is not a BCP 47"),
    ],
)
def test_bad_fields_are_named(changes, field, message):
    error = check(**changes)
    assert isinstance(error, RowError)
    assert (error.file, error.line, error.field) == ("posts.csv", 7, field)
    assert message in error.message
    assert str(error).startswith(f"posts.csv, line 7, field '{field}': ")
