"""Safe decoding of untrusted uploaded images.

`prepare_image` turns the bytes of an uploaded picture into what we store: checked (size, real
format against the file name, pixel count before any pixel is decoded, corruption, truncation),
turned upright from its EXIF orientation, converted to sRGB, re-encoded with no metadata at all
(no EXIF/GPS, XMP, ICC profile or comments survive), plus a small JPEG thumbnail.

Decisions:
- `sha256` covers the ORIGINAL bytes, so a re-import of the same file is recognised (and its stored
  copy reused) before anything is decoded.
- Stored formats: JPEG -> .jpg, PNG -> .png, WEBP -> .webp (lossy, quality 90), GIF -> .png of the
  first frame (animations are not kept; PNG holds a GIF frame without loss, re-encoding a GIF
  would mean re-quantising it). Animated PNG/WEBP also keep only their first frame.
- JPEGs that Pillow reports as MPO (camera files with extra preview frames) count as JPEG.
- Alpha is kept for PNG/WEBP (stored as RGBA); thumbnails are flattened on white.
- 16-bit greyscale is stored as 8-bit.

Pillow's global state is left alone: `Image.MAX_IMAGE_PIXELS` is not changed (our own, lower
`max_pixels` is checked first) and `ImageFile.LOAD_TRUNCATED_IMAGES` must stay False, because
with it on a truncated file decodes "successfully" with a grey bottom; `prepare_image` refuses to
run (RuntimeError) if some other code turned it on.
"""

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath

from PIL import Image, ImageCms, ImageFile, ImageOps

ALLOWED_FORMATS = {
    "JPEG": (".jpg", ".jpeg"),
    "PNG": (".png",),
    "WEBP": (".webp",),
    "GIF": (".gif",),
}
# Pillow names some files by a more specific format than the one they are.
FORMAT_ALIASES = {"MPO": "JPEG"}
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
THUMBNAIL_SIZE = 256

STORED_FORMAT = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "PNG"}
EXTENSION_OF_STORED = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
SAVE_OPTIONS = {"JPEG": {"quality": 90}, "PNG": {}, "WEBP": {"quality": 90}}
THUMBNAIL_QUALITY = 85

# What Pillow raises on a malformed file (the same list its own fuzzers treat as expected).
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)
ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
SIXTEEN_BIT_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N"}


class ImageRejected(ValueError):
    """The image cannot be imported; the message names the file and says why."""


@dataclass(frozen=True)
class PreparedImage:
    sha256: str  # of the original bytes
    content: bytes  # re-encoded, upright, without metadata
    extension: str  # ".jpg", ".png" or ".webp"
    width: int  # after orientation
    height: int
    thumbnail: bytes  # RGB JPEG, longest side <= THUMBNAIL_SIZE


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def human_size(n: int) -> str:
    """1536 -> '1.5 KiB', 20 * 2**20 -> '20 MiB'."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def prepare_image(
    data: bytes,
    *,
    name: str,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> PreparedImage:
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError(
            "PIL.ImageFile.LOAD_TRUNCATED_IMAGES is on: truncated uploads would pass as images"
        )
    check_byte_size(data, name=name, max_bytes=max_bytes)
    extension = extension_of(name)
    # Pillow warns (and past twice its limit raises) on huge images; make the warning an error
    # here only. (The warnings filter is process-wide while this block runs.)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image_format = identify(data, name=name, extension=extension, max_pixels=max_pixels)
        image = decode_first_frame(data, name=name, max_pixels=max_pixels)
    stored_format = STORED_FORMAT[image_format]
    image = cleaned(image, stored_format=stored_format)
    return PreparedImage(
        sha256=sha256_of(data),
        content=encoded(image, stored_format),
        extension=EXTENSION_OF_STORED[stored_format],
        width=image.width,
        height=image.height,
        thumbnail=thumbnail_of(image),
    )


def check_byte_size(data, *, name, max_bytes):
    if not data:
        raise ImageRejected(f"{name}: the file is empty")
    if len(data) > max_bytes:
        raise ImageRejected(
            f"{name}: the file is {human_size(len(data))}, more than the "
            f"{human_size(max_bytes)} allowed for an image"
        )


def extension_of(name):
    """The lower-case extension, if it is one we accept."""
    extension = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    allowed = ", ".join(e for extensions in ALLOWED_FORMATS.values() for e in extensions)
    if not extension:
        raise ImageRejected(f"{name}: the file name has no extension; allowed: {allowed}")
    if not any(extension in extensions for extensions in ALLOWED_FORMATS.values()):
        raise ImageRejected(
            f"{name}: {extension!r} is not an accepted image extension; allowed: {allowed}"
        )
    return extension


def identify(data, *, name, extension, max_pixels):
    """Check the header (format, extension, pixel count) and the file's structure without
    decoding pixels; returns the format name."""
    image = open_header(data, name=name, max_pixels=max_pixels)
    image_format = FORMAT_ALIASES.get(image.format, image.format)
    if image_format not in ALLOWED_FORMATS:
        raise ImageRejected(
            f"{name}: the file is a {image.format} image; only JPEG, PNG, WEBP and GIF are accepted"
        )
    if extension not in ALLOWED_FORMATS[image_format]:
        claimed = next(f for f, extensions in ALLOWED_FORMATS.items() if extension in extensions)
        raise ImageRejected(
            f"{name}: the file is a {image_format} image, not the {claimed} its extension says"
        )
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected(
            f"{name}: the image is {width} x {height} pixels, more than the {max_pixels:,} "
            "allowed (refusing to decode a possible decompression bomb)"
        )
    try:
        image.verify()  # checks structure (e.g. PNG chunk checksums); the object is spent after
    except DECODE_ERRORS as error:
        raise decode_rejected(name, error) from None
    return image_format


def open_header(data, *, name, max_pixels):
    try:
        return Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise bomb_rejected(name, max_pixels) from None
    except Image.UnidentifiedImageError:
        raise ImageRejected(
            f"{name}: the file is not an image (or it is too damaged to recognise)"
        ) from None
    except DECODE_ERRORS as error:
        raise decode_rejected(name, error) from None


def decode_rejected(name, error):
    if isinstance(error, EOFError) or "truncated" in str(error).lower():
        return ImageRejected(
            f"{name}: the image file is truncated (its data ends before the picture does)"
        )
    return ImageRejected(f"{name}: the image file is corrupt ({error})")


def bomb_rejected(name, max_pixels):
    return ImageRejected(
        f"{name}: the image has more pixels than the {max_pixels:,} allowed "
        "(refusing to decode a possible decompression bomb)"
    )


def decode_first_frame(data, *, name, max_pixels):
    """Decode the pixels of the first frame (the file was checked by `identify`)."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()  # an opened file is at frame 0
        ImageOps.exif_transpose(image, in_place=True)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # GIF frames may be larger than the header says; Pillow checks them while loading.
        raise bomb_rejected(name, max_pixels) from None
    except DECODE_ERRORS as error:
        raise decode_rejected(name, error) from None
    if image.width * image.height > max_pixels:
        raise bomb_rejected(name, max_pixels)
    return image


def cleaned(image, *, stored_format):
    """Pixels only, in sRGB and a mode `stored_format` can save; no metadata left in `info`."""
    if image.mode in SIXTEEN_BIT_MODES:
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    image = to_srgb(image)
    mode = storable_mode(image, stored_format)
    if image.mode != mode:
        image = image.convert(mode)
    # Savers fall back to `info` for some metadata (ICC profile, comment); convert() copies it.
    image.info.clear()
    return image


def to_srgb(image):
    """Apply and drop an embedded ICC profile: dropping it alone would shift the colours of,
    e.g., Display P3 phone photos. A profile that cannot be used is ignored."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    try:
        return ImageCms.profileToProfile(
            image,
            ImageCms.ImageCmsProfile(io.BytesIO(profile)),
            ImageCms.createProfile("sRGB"),
            outputMode=output_mode,
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


def storable_mode(image, stored_format):
    has_alpha = image.mode in ALPHA_MODES or "transparency" in image.info
    if stored_format == "JPEG":
        return "L" if image.mode in ("1", "L") else "RGB"
    if has_alpha:
        return "RGBA"
    if stored_format == "PNG" and image.mode in ("1", "L"):
        return "L"  # not "1": thumbnails of 1-bit images would be resized without smoothing
    return "RGB"


def encoded(image, image_format, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **(SAVE_OPTIONS.get(image_format, {}) | options))
    return buffer.getvalue()


def thumbnail_of(image):
    scale = THUMBNAIL_SIZE / max(image.size)
    thumb = image
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        thumb = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    return encoded(flattened(thumb), "JPEG", quality=THUMBNAIL_QUALITY)


def flattened(image):
    """RGB, with any transparency composited on white."""
    if image.mode not in ALPHA_MODES:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, "white")
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background
