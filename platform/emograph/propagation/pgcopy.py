"""PostgreSQL binary COPY of fixed-width, NULL-free rows as numpy structured arrays.

Binary COPY is a 19-byte header, then per row an int16 field count and, per field, an int32
length and the big-endian value, then a 2-byte trailer. When no field is NULL and every type
is fixed-width, each row has the same byte layout, so one structured dtype reads or writes a
million rows in a single numpy call instead of a Python loop over rows.
"""

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(4) + bytes(4)  # signature, flags, no extension area
TRAILER = b"\xff\xff"


def row_dtype(columns):
    """Structured dtype of one row for `columns`: [(name, big-endian numpy type), ...]."""
    fields = [("fields", ">i2")]
    for name, kind in columns:
        fields += [(f"{name}_len", ">i4"), (name, kind)]
    return np.dtype(fields)


def rows_pack(dtype, values):
    """COPY FROM STDIN payload for `values` ({column: array}) laid out as `dtype`."""
    columns = [name for name in dtype.names if name != "fields" and not name.endswith("_len")]
    rows = np.zeros(len(values[columns[0]]), dtype)
    rows["fields"] = len(columns)
    for name in columns:
        rows[f"{name}_len"] = dtype[name].itemsize
        rows[name] = values[name]
    return HEADER + rows.tobytes() + TRAILER


def rows_unpack(payload, dtype):
    """The rows of a COPY TO STDOUT payload (bytes or memoryview) as a structured array."""
    return np.frombuffer(payload[len(HEADER) : len(payload) - len(TRAILER)], dtype=dtype)
