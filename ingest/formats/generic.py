"""The project's own CSV and JSONL formats (schema: ingest/records.py and README "Import formats").

Readers take a binary stream and stream it: one row in memory at a time. Broken UTF-8 and
malformed rows become RowErrors naming the line; the rows around them still come through.
"""

import csv
import io
import json
import re

from ingest.records import FileRejected, RawRow, RowError

COLUMNS = (
    "id", "source", "created_at", "text", "author", "author_name", "parent_id", "language",
    "topics", "images", "label",
)  # fmt: skip
REQUIRED_COLUMNS = ("id", "created_at")
# Bytes that are not UTF-8 arrive as lone surrogates under errors="surrogateescape".
UNDECODABLE = re.compile("[\udc80-\udcff]")


def read_csv(stream, *, file_name, source=""):
    # surrogateescape keeps undecodable bytes visible per cell instead of failing the whole file.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise FileRejected(f"{file_name}: the file is empty") from None
    except csv.Error as error:
        raise FileRejected(f"{file_name}, line 1: the header is not valid CSV ({error})") from None
    columns = _check_header(header, file_name)
    for record in csv_records(reader, file_name=file_name, first_line=reader.line_num + 1):
        if isinstance(record, RowError):
            yield record
            continue
        line, cells = record
        if len(cells) != len(columns):
            message = f"{len(cells)} cells but the header has {len(columns)} columns"
            yield RowError(file_name, line, "", message)
            continue
        fields = dict(zip(columns, cells, strict=True))
        if UNDECODABLE.search("".join(cells)):
            bad = next(name for name, value in fields.items() if UNDECODABLE.search(value))
            yield RowError(file_name, line, bad, "is not valid UTF-8 text")
            continue
        yield RawRow(line, _with_source(fields, source))


def csv_records(reader, *, file_name, first_line):
    """(line, cells) of every non-blank record of a csv.reader, the line being where the record
    starts (a quoted cell may span lines), or a RowError for a malformed record, after which
    reading goes on. Text that cannot be decoded rejects the file."""
    start = first_line
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield RowError(file_name, start, "", f"malformed CSV ({error}); check the quoting")
            start = reader.line_num + 1
            continue
        except UnicodeDecodeError as error:
            message = f"{file_name}: not UTF-8 text after line {reader.line_num} ({error})"
            raise FileRejected(message) from None
        line, start = start, reader.line_num + 1
        if any(cell.strip() for cell in cells):
            yield line, cells


def _check_header(header, file_name):
    columns = [name.strip().lower() for name in header]
    if UNDECODABLE.search("".join(columns)):
        raise FileRejected(f"{file_name}, line 1: the header is not valid UTF-8 text")
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise FileRejected(
            f"{file_name}, line 1: missing column(s) {', '.join(missing)}; "
            f"the columns are {', '.join(COLUMNS)}"
        )
    unknown = [name for name in columns if name not in COLUMNS]
    if unknown:
        raise FileRejected(
            f"{file_name}, line 1: unknown column(s) {', '.join(unknown)}; "
            f"the columns are {', '.join(COLUMNS)}"
        )
    duplicated = sorted({name for name in columns if columns.count(name) > 1})
    if duplicated:
        raise FileRejected(f"{file_name}, line 1: column(s) {', '.join(duplicated)} appear twice")
    return columns


def read_jsonl(stream, *, file_name, source=""):
    seen_any = False
    for line, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        seen_any = True
        try:
            obj = json.loads(raw.decode("utf-8-sig" if line == 1 else "utf-8"))
        except UnicodeDecodeError as error:
            yield RowError(file_name, line, "", f"is not valid UTF-8 text (byte {error.start})")
            continue
        except json.JSONDecodeError as error:
            message = f"not valid JSON ({error.msg} at column {error.colno})"
            yield RowError(file_name, line, "", message)
            continue
        if not isinstance(obj, dict):
            yield RowError(file_name, line, "", "each line must be a JSON object")
            continue
        unknown = sorted(set(obj) - set(COLUMNS))
        if unknown:
            message = f"unknown field; the fields are {', '.join(COLUMNS)}"
            yield RowError(file_name, line, unknown[0], message)
            continue
        yield RawRow(line, _with_source(obj, source))
    if not seen_any:
        raise FileRejected(f"{file_name}: the file is empty")


def _with_source(fields, source):
    if source and not fields.get("source"):
        fields["source"] = source
    return fields
