"""What every encoder shares: versions from weight files, and surviving a GPU out-of-memory."""

import hashlib
from pathlib import Path

import numpy as np


def file_version(*paths) -> str:
    """First 12 hex of the sha256 of the file(s): a changed checkpoint is a new version."""
    digest = hashlib.sha256()
    for path in paths:
        with Path(path).open("rb") as handle:
            while chunk := handle.read(1 << 22):
                digest.update(chunk)
    return digest.hexdigest()[:12]


def forward_split(forward, batch):
    """`forward(batch)`, halving the batch and retrying on CUDA out-of-memory until it fits."""
    import torch

    try:
        return forward(batch)
    except torch.OutOfMemoryError:
        if len(batch) == 1:
            raise
        torch.cuda.empty_cache()
        half = len(batch) // 2
        return np.vstack(
            [forward_split(forward, batch[:half]), forward_split(forward, batch[half:])]
        )
