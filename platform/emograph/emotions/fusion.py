"""Late fusion: one probability vector per post from its text, the text inside its images, and
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
"""

import numpy as np

WEIGHTS = {"text": 1.0, "image_text": 0.6, "faces": 0.5}
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
