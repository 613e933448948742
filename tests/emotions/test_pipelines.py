import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured

from emograph.emotions.encoders.text import TransformerTextEncoder
from emograph.emotions.heads import EmotionHead, EmotionMLP
from emograph.emotions.pipelines import pipeline_load, pipelines_check


def tiny_head(path, encoder, version):
    head = EmotionHead(
        model=EmotionMLP(encoder.dim, hidden=8),
        mean=np.zeros(encoder.dim, np.float32),
        std=np.ones(encoder.dim, np.float32),
        offsets=np.zeros(7, np.float32),
        meta={"name": "tiny", "encoder": {"name": encoder.name, "version": version}},
    )
    head.save(path)
    return path


def test_a_matching_head_and_encoder_load(tiny_bert, tmp_path):
    encoder = TransformerTextEncoder(tiny_bert)
    head = tiny_head(tmp_path / "h.pt", encoder, encoder.version)
    pipeline = pipeline_load("english", encoder_spec=str(tiny_bert), head_path=head)
    assert pipeline.model_name == "tiny"
    assert len(pipeline.model_version) == 12
    assert pipeline.head.probabilities(pipeline.encoder.embed(["hi"])).shape == (1, 7)


def test_a_head_trained_on_other_features_is_refused(tiny_bert, tmp_path):
    encoder = TransformerTextEncoder(tiny_bert)
    head = tiny_head(tmp_path / "h.pt", encoder, "0123456789ab")
    with pytest.raises(ImproperlyConfigured, match=r"trained on .*@0123456789ab features"):
        pipeline_load("english", encoder_spec=str(tiny_bert), head_path=head)


def test_check_names_the_missing_head(settings, tmp_path):
    settings.EMOGRAPH_EMOTION_HEADS = {
        **settings.EMOGRAPH_EMOTION_HEADS,
        "english": tmp_path / "nope.pt",
    }
    with pytest.raises(ImproperlyConfigured, match=r"english emotion head .*nope.pt: no such file"):
        pipelines_check()


def test_check_names_the_missing_encoder(settings):
    settings.EMOGRAPH_TEXT_ENCODERS = {
        **settings.EMOGRAPH_TEXT_ENCODERS,
        "english": "/models/missing",
    }
    with pytest.raises(ImproperlyConfigured, match=r"english text encoder: .*no such folder"):
        pipelines_check()


def test_shipped_configuration_passes_the_check():
    pipelines_check()
