"""Stored vectors: float16, little-endian bytes (half the size of float32; enough for features)."""

import numpy as np


def vector_pack(row):
    return np.asarray(row, dtype="<f2").tobytes()


def vector_unpack(blob, dim):
    return np.frombuffer(bytes(blob), dtype="<f2", count=dim)
