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


def test_gated_fusion_weighs_only_the_sources_present():
    import torch

    from emograph.emotions.fusion import Gate, gated_fusion

    torch.manual_seed(0)
    text = np.array([0, 0, 0, 1, 0, 0, 0.0])
    faces = np.array([0, 0, 0, 0, 1, 0, 0.0])
    fused, shares = gated_fusion({"text": text, "image_text": None, "faces": faces}, Gate())
    assert set(shares) == {"text", "faces"}
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)
    assert fused.sum() == pytest.approx(1.0)
    assert fused[3] == pytest.approx(shares["text"], abs=1e-3)
    only_text, shares = gated_fusion({"text": text}, Gate())
    assert shares == {"text": 1.0}
    assert np.allclose(only_text, text)


def test_fusion_setting_is_checked_at_worker_start(settings, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    from emograph.emotions.pipelines import pipelines_check

    settings.EMOGRAPH_FUSION = "average"
    with pytest.raises(ImproperlyConfigured, match="choose one of late, gated"):
        pipelines_check()
    settings.EMOGRAPH_FUSION = "gated"
    settings.EMOGRAPH_FUSION_GATE = tmp_path / "gate.pt"
    with pytest.raises(ImproperlyConfigured, match=r"gate.pt: no such file"):
        pipelines_check()
