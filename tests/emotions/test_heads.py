import numpy as np
import pytest

from emograph.emotions.heads import EmotionHead, head_train, offsets_tune
from emograph.emotions.taxonomy import EMOTION_INDEX


def blobs(n, seed, classes=(0, 2, 3, 4, 5, 6), dim=16):
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).normal(size=(7, dim)) * 3
    y = rng.choice(classes, size=n)
    return (centres[y] + rng.normal(size=(n, dim))).astype(np.float32), y


@pytest.fixture(scope="module")
def trained():
    x, y = blobs(600, 1)
    xd, yd = blobs(200, 2)
    return head_train(x, y, xd, yd, hidden=32, epochs=15, batch_size=32, seed=0)


def test_head_learns_and_never_predicts_a_class_it_never_saw(trained):
    head, info = trained
    xt, yt = blobs(300, 3)
    probabilities = head.probabilities(xt)
    assert probabilities.shape == (300, 7)
    assert np.allclose(probabilities.sum(1), 1.0)
    assert (probabilities.argmax(1) == yt).mean() > 0.9
    assert probabilities[:, EMOTION_INDEX["disgust"]].max() == 0.0  # no disgust in training
    assert 1 <= info["best_epoch"] <= 15


def test_save_and_load_give_the_same_probabilities(trained, tmp_path):
    head, _ = trained
    head.meta = {"name": "test-head", "encoder": {"name": "x", "version": "1"}}
    head.save(tmp_path / "head.pt")
    loaded = EmotionHead.load(tmp_path / "head.pt")
    x, _ = blobs(50, 4)
    assert np.allclose(loaded.probabilities(x), head.probabilities(x))
    assert loaded.meta["name"] == "test-head"


def test_wrong_feature_width_is_refused(trained):
    head, _ = trained
    with pytest.raises(ValueError, match="features of width 16"):
        head.probabilities(np.zeros((2, 8), dtype=np.float32))


def test_offsets_raise_macro_f1_on_a_shifted_class():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=300)
    logits = np.eye(3)[y] + rng.normal(scale=0.6, size=(300, 3))
    logits[:, 2] -= 1.0  # the model under-predicts class 2
    offsets = offsets_tune(logits, y, np.array([True, True, True]))
    assert offsets[2] - offsets[:2].mean() > 0.5
