"""Fusion: one probability vector per post from its text, the text inside its images, and
the faces in them, each weighted by how much evidence it carries. Each source's share of the
result is stored with the prediction.

The weights are fixed, not learned: no labelled multimodal posts exist to learn them from.
- text: 1.0 when the post has text.
- image_text: 0.6 when OCR read at least 2 characters. A meme's caption is often the whole
  message, but OCR text is noisier than typed text.
- faces: 0.5 when at least one face was found. The FER2013 model is right about two times in
  three on faces; a face is evidence about the person shown, not always about the poster.
A post with none of these (image-only, no face, no text in the image) keeps the text head's
reading of its empty text, which is close to the training prior, and says so.

`EMOGRAPH_FUSION = "gated"` swaps the fixed weights for a learned gate (`Gate`, trained by
`manage.py evaluate_fusion --save-gate`): per post, softmax weights over the available sources
from their probabilities and confidence. The comparison of the strategies is in the model card.
"""

import functools

import numpy as np
import torch
from torch import nn

WEIGHTS = {"text": 1.0, "image_text": 0.6, "faces": 0.5}
SOURCES = tuple(WEIGHTS)
MIN_OCR_CHARS = 2


def late_fusion(sources):
    """sources: name -> probability vector or None. Returns (probabilities, shares by name)."""
    present = {
        name: np.asarray(p, dtype=np.float64)
        for name, p in sources.items()
        if p is not None and WEIGHTS.get(name, 0) > 0
    }
    total = sum(WEIGHTS[name] for name in present)
    if not total:
        raise ValueError("no evidence to fuse")
    fused = sum(WEIGHTS[name] * p for name, p in present.items()) / total
    shares = {name: round(WEIGHTS[name] / total, 4) for name in present}
    return fused / fused.sum(), shares


class Gate(nn.Module):
    """Softmax weights over the available sources from their probabilities and confidence."""

    def __init__(self, sources=3, classes=7, hidden=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(sources * (classes + 2), hidden), nn.ReLU(), nn.Linear(hidden, sources)
        )

    def weights(self, p, has):
        confidence = p.max(-1).values
        x = torch.cat([p.flatten(1), has.float(), confidence], 1)
        return torch.softmax(self.net(x).masked_fill(~has, -1e9), 1)

    def forward(self, p, has):
        return (self.weights(p, has).unsqueeze(-1) * p).sum(1)


def gate_save(gate, path, meta):
    torch.save({"state": gate.state_dict(), "meta": meta}, path)


@functools.cache
def gate_load(path):
    blob = torch.load(path, map_location="cpu", weights_only=True)
    gate = Gate()
    gate.load_state_dict(blob["state"])
    return gate.eval()


def gated_fusion(sources, gate):
    """Like late_fusion, with the gate's per-post weights instead of the fixed ones."""
    present = [name for name in SOURCES if sources.get(name) is not None]
    if not present:
        raise ValueError("no evidence to fuse")
    p = torch.tensor(
        np.stack([sources[n] if n in present else np.zeros(7) for n in SOURCES]),
        dtype=torch.float32,
    )[None]
    has = torch.tensor([[n in present for n in SOURCES]])
    with torch.inference_mode():
        weights = gate.weights(p, has)[0]
        fused = (weights.unsqueeze(-1) * p[0]).sum(0).double().numpy()
    shares = {n: round(float(weights[i]), 4) for i, n in enumerate(SOURCES) if n in present}
    return fused / fused.sum(), shares
