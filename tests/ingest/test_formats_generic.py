import io

import pytest

from ingest.formats.generic import read_csv, read_jsonl
from ingest.records import FileRejected, RawRow, RowError


def rows(reader, data):
    return list(reader(io.BytesIO(data), file_name="f"))


def test_csv_lines_are_physical_lines_even_with_multiline_cells():
    data = b'id,created_at,text\n1,2026-11-01T00:00:00Z,"two\nlines"\n2,2026-11-01T00:00:00Z,x\n'
    out = rows(read_csv, data)
    assert [r.line for r in out] == [2, 4]
    assert out[0].fields["text"] == "two\nlines"


def test_csv_malformed_quoting_names_the_line_and_goes_on():
    data = (
        b'id,created_at,text\n1,2026-11-01T00:00:00Z,"ok"\n'
        b'2,2026-11-01T00:00:00Z,"bad"x\n3,2026-11-01T00:00:00Z,ok\n'
    )
    out = rows(read_csv, data)
    assert isinstance(out[1], RowError)
    assert (out[1].line, "malformed CSV") == (3, out[1].message[:13])
    assert [r.fields["id"] for r in out if isinstance(r, RawRow)] == ["1", "3"]


def test_csv_broken_utf8_is_a_row_error_naming_the_field():
    data = b"id,created_at,text\n1,2026-11-01T00:00:00Z,caf\xe9\n2,2026-11-01T00:00:00Z,ok\n"
    out = rows(read_csv, data)
    assert (out[0].line, out[0].field, out[0].message) == (2, "text", "is not valid UTF-8 text")
    assert out[1].fields["id"] == "2"


def test_csv_wrong_cell_count():
    out = rows(read_csv, b"id,created_at,text\n1,2026-11-01T00:00:00Z\n")
    assert out[0].message == "2 cells but the header has 3 columns"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "f: the file is empty"),
        (b"id,text\n", "missing column(s) created_at"),
        (b"id,created_at,colour\n", "unknown column(s) colour"),
    ],
)
def test_csv_file_level_problems(data, message):
    with pytest.raises(FileRejected, match=message.replace("(", r"\(").replace(")", r"\)")):
        rows(read_csv, data)


def test_jsonl_bad_lines_are_named_and_skipped():
    data = (
        b'{"id": "1", "created_at": "2026-11-01T00:00:00Z", "text": "a"}\n'
        b"{not json\n"
        b'{"id": "3", "text": "caf\xe9"}\n'
        b"[1, 2]\n"
        b'{"id": "5", "mood": "x"}\n'
    )
    out = rows(read_jsonl, data)
    assert isinstance(out[0], RawRow)
    assert [(e.line, e.message.split(" (")[0]) for e in out[1:]] == [
        (2, "not valid JSON"),
        (3, "is not valid UTF-8 text"),
        (4, "each line must be a JSON object"),
        (
            5,
            "unknown field; the fields are id, source, created_at, text, author, author_name, "
            "parent_id, language, topics, images, label",
        ),
    ]


def test_jsonl_empty_file():
    with pytest.raises(FileRejected, match="the file is empty"):
        rows(read_jsonl, b"\n\n")
