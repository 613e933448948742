import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from emograph.emotions.datasets import LabelledTexts
from emograph.emotions.fusion import late_fusion
from emograph.emotions.fusion_study import memes_build


def test_late_fusion_weights_and_shares():
    text = np.array([0, 0, 0, 1, 0, 0, 0.0])
    faces = np.array([0, 0, 0, 0, 1, 0, 0.0])
    fused, shares = late_fusion({"text": text, "image_text": None, "faces": faces})
    assert shares == {
        "text": pytest.approx(2 / 3, abs=1e-4),
        "faces": pytest.approx(1 / 3, abs=1e-4),
    }
    assert fused[3] == pytest.approx(2 / 3)
    assert fused.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no evidence"):
        late_fusion({"text": None})


def test_memes_are_built_reproducibly_with_the_stated_kinds():
    data = LabelledTexts(path="x")
    for i in range(200):
        data.texts.append(f"comment number {i}")
        data.labels.append(i % 7)
    first, again = memes_build(data, 500, seed=3), memes_build(data, 500, seed=3)
    assert first == again
    kinds = [p[3] for p in first]
    assert 0.5 < kinds.count("aligned") / 500 < 0.7
    for text, caption, _, kind, gold in first:
        caption_label = int(caption.split()[-1]) % 7
        if kind == "aligned":
            assert caption_label == gold
        if kind == "image_only":
            assert text == ""
            assert caption_label == gold


def test_evaluate_fusion_compares_all_five_methods():
    out = StringIO()
    call_command("evaluate_fusion", train=24, dev=12, test=16, stdout=out, stderr=StringIO())
    result = json.loads(out.getvalue().splitlines()[-1])
    assert len(result["results"]) == 5
    assert result["posts"] == {"train": 24, "dev": 12, "test": 16}
    assert result["ocr_read_something"] > 0.9  # the captions are read by the real OCR
    for row in result["results"].values():
        assert 0.0 <= row["macro_f1"] <= 1.0
