"""Text inside images (memes, screenshots) so the text models can read it too.

`ImageText` runs RapidOCR (`rapidocr-onnxruntime`: PP-OCRv4 Chinese + English detection and
recognition as ONNX models inside the wheel, onnxruntime on CPU; nothing is downloaded). It is
installed with `--no-deps` because it asks for `opencv-python`, which would clash with the
`opencv-python-headless` the face detector uses: both provide `cv2`, and the headless build needs
no libGL on servers. RapidOCR only needs `cv2` importable.

Images are decoded by the same loader as the image encoder (EXIF orientation, transparency on
white). Recognised boxes are put in reading order: grouped into lines by vertical overlap, left to
right within a line, lines top to bottom.
"""

from importlib import metadata
from pathlib import Path

import numpy as np

from .common import file_version
from .image import describe_error, open_image


def reading_order(result):
    """RapidOCR's [[box, text, score], ...] -> one string: words by lines, lines by rows."""
    boxes = []
    for points, text, _score in result or ():
        ys = [p[1] for p in points]
        xs = [p[0] for p in points]
        boxes.append((min(ys), max(ys), min(xs), text.strip()))
    lines = []  # [top, bottom, [(left, text), ...]]
    for top, bottom, left, text in sorted(boxes, key=lambda b: (b[0] + b[1]) / 2):
        middle = (top + bottom) / 2
        if lines and lines[-1][0] <= middle <= lines[-1][1]:
            lines[-1][2].append((left, text))
        else:
            lines.append([top, bottom, [(left, text)]])
    words = (" ".join(t for _, t in sorted(parts) if t) for _, _, parts in lines)
    return "\n".join(line for line in words if line)


class ImageText:
    """RapidOCR loaded once; `read(items)` -> one string per image ("" when it has no text)."""

    name = "rapidocr-pp-ocrv4"

    def __init__(self, *, max_side=2000, detect_side=960, min_score=0.6, threads=None):
        import rapidocr_onnxruntime

        # RapidOCR's default detects at a *short* side of >= 736 px: a 900x220 caption strip
        # becomes 3000x736, 7x slower than PaddleOCR's own default used here (long side <= 960),
        # with no gain on meme-sized text. Boxes under 0.6 confidence are mostly texture noise.
        options = {
            "text_score": min_score,
            "max_side_len": max_side,
            "det_limit_type": "max",
            "det_limit_side_len": detect_side,
        }
        if threads:
            options["intra_op_num_threads"] = threads
        self.engine = rapidocr_onnxruntime.RapidOCR(**options)
        self.max_side = max_side
        models = sorted((Path(rapidocr_onnxruntime.__file__).parent / "models").glob("*.onnx"))
        package = metadata.version("rapidocr-onnxruntime")
        self.version = f"{package}-{file_version(*models)}"

    def read(self, items):
        return self.read_with_errors(items)[0]

    def read_with_errors(self, items):
        """([text per item], {index: message}); an unreadable item reads as ""."""
        texts, errors = [], {}
        for index, item in enumerate(items):
            try:
                image = open_image(item, draft=self.max_side)
            except Exception as exc:  # noqa: BLE001 - Pillow raises many types on bad files
                errors[index] = describe_error(exc)
                texts.append("")
                continue
            bgr = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
            result, _timings = self.engine(bgr)
            texts.append(reading_order(result))
        return texts, errors
