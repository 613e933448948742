import hashlib
import io
import re
import struct
import warnings
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile, PngImagePlugin

from ingest.images import (
    MAX_IMAGE_PIXELS,
    THUMBNAIL_SIZE,
    ImageRejected,
    PreparedImage,
    human_size,
    prepare_image,
    sha256_of,
)

ALLOWED = ".jpg, .jpeg, .png, .webp, .gif"


def encode(image, image_format, **options):
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def picture(size=(60, 40), mode="RGB", color="red"):
    return Image.new(mode, size, color)


def noise(size=(200, 200)):
    """Incompressible pixels, so that cutting the file cuts picture data."""
    return Image.effect_noise(size, 64).convert("RGB")


def decoded(content):
    return Image.open(io.BytesIO(content))


def png_claiming_size(width, height):
    """A tiny valid PNG whose header (IHDR, with its CRC fixed) claims width x height."""
    data = bytearray(encode(Image.new("1", (1, 1)), "PNG"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def rejected(message):
    return pytest.raises(ImageRejected, match=f"^{re.escape(message)}$")


# -- happy paths ------------------------------------------------------------------------------


def test_jpeg_is_turned_upright_and_loses_every_piece_of_metadata():
    image = picture((60, 40))
    image.paste((0, 0, 255), (30, 0, 60, 40))  # left half red, right half blue
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # "rotate 90 degrees clockwise to display"
    exif[ExifTags.Base.Make] = "SecretCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-xmp</x:xmpmeta>'
    data = encode(image, "JPEG", exif=exif, comment=b"secret-comment", xmp=xmp)
    assert decoded(data).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the input really has GPS

    prepared = prepare_image(data, name="photo.jpg")

    assert (prepared.width, prepared.height) == (40, 60)
    assert prepared.extension == ".jpg"
    out = decoded(prepared.content)
    assert out.format == "JPEG"
    assert out.size == (40, 60)
    assert len(out.getexif()) == 0
    assert not {"exif", "comment", "xmp", "icc_profile"} & set(out.info)
    for secret in (b"Exif", b"SecretCam", b"secret-comment", b"secret-xmp"):
        assert secret not in prepared.content
    top, bottom = out.getpixel((20, 5)), out.getpixel((20, 55))
    assert top[0] > 200 > top[2]  # the red left half is now on top
    assert bottom[2] > 200 > bottom[0]


def test_png_keeps_its_alpha_and_loses_its_text_and_exif():
    image = picture((50, 50), mode="RGBA", color=(0, 128, 0, 255))
    image.putpixel((0, 0), (0, 0, 0, 0))
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "secret-text")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    data = encode(image, "PNG", pnginfo=text, exif=exif)

    prepared = prepare_image(data, name="logo.PNG")

    out = decoded(prepared.content)
    assert (out.format, out.mode, prepared.extension) == ("PNG", "RGBA", ".png")
    assert out.getpixel((0, 0))[3] == 0
    assert out.getpixel((10, 10)) == (0, 128, 0, 255)
    assert out.info == {}
    assert len(out.getexif()) == 0
    assert b"secret-text" not in prepared.content
    thumb = decoded(prepared.thumbnail)
    assert (thumb.format, thumb.mode) == ("JPEG", "RGB")


def test_icc_profile_is_applied_and_dropped():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(picture(), "JPEG", icc_profile=srgb)

    out = decoded(prepare_image(data, name="photo.jpg").content)

    assert "icc_profile" not in out.info
    assert out.getpixel((5, 5))[0] > 240


def test_webp_is_stored_as_webp_with_alpha():
    data = encode(picture(mode="RGBA", color=(255, 0, 0, 128)), "WEBP")

    prepared = prepare_image(data, name="sticker.webp")

    out = decoded(prepared.content)
    assert (out.format, out.mode, prepared.extension) == ("WEBP", "RGBA", ".webp")


def test_animated_gif_is_stored_as_a_png_of_its_first_frame():
    frames = [picture(color="red").convert("P"), picture(color="blue").convert("P")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert decoded(data).n_frames == 2

    prepared = prepare_image(data, name="anim.gif")

    out = decoded(prepared.content)
    assert (out.format, prepared.extension) == ("PNG", ".png")
    assert getattr(out, "n_frames", 1) == 1
    assert out.convert("RGB").getpixel((5, 5)) == (255, 0, 0)


def test_camera_mpo_is_accepted_as_jpeg():
    image = picture()
    data = encode(image, "MPO", save_all=True, append_images=[picture(color="blue")])
    assert decoded(data).format == "MPO"

    prepared = prepare_image(data, name="camera.JPEG")

    assert decoded(prepared.content).format == "JPEG"
    assert prepared.extension == ".jpg"


@pytest.mark.parametrize(
    ("mode", "color"), [("CMYK", (0, 255, 255, 0)), ("L", 128), ("P", 3), ("LA", (9, 99))]
)
def test_other_modes_are_converted_to_something_storable(mode, color):
    image_format = "JPEG" if mode in ("CMYK", "L") else "PNG"
    data = encode(picture(mode=mode, color=color), image_format)

    prepared = prepare_image(data, name=f"x.{image_format.lower()}")

    assert decoded(prepared.content).mode in ("L", "RGB", "RGBA")
    assert decoded(prepared.thumbnail).mode == "RGB"


def test_sixteen_bit_greyscale_is_scaled_to_eight_bits():
    data = encode(picture(mode="I;16", color=32768), "PNG")

    out = decoded(prepare_image(data, name="scan.png").content)

    assert (out.mode, out.getpixel((0, 0))) == ("L", 128)


def test_thumbnail_fits_the_longest_side_and_small_images_are_not_enlarged():
    large = prepare_image(encode(picture((1000, 500)), "PNG"), name="wide.png")
    small = prepare_image(encode(picture((100, 50)), "PNG"), name="small.png")

    assert decoded(large.thumbnail).size == (THUMBNAIL_SIZE, THUMBNAIL_SIZE // 2)
    assert decoded(small.thumbnail).size == (100, 50)
    assert (large.width, large.height) == (1000, 500)


def test_sha256_is_of_the_original_bytes():
    data = encode(noise((64, 64)), "PNG")

    first = prepare_image(data, name="a.png")
    second = prepare_image(bytes(data), name="copy.png")

    assert isinstance(first, PreparedImage)
    assert first.sha256 == second.sha256 == sha256_of(data) == hashlib.sha256(data).hexdigest()
    assert sha256_of(data + b"\0") != first.sha256


def test_pillow_global_state_is_left_alone():
    limit = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageRejected):
        prepare_image(png_claiming_size(10_000, 10_000), name="bomb.png")
    prepare_image(encode(picture(), "PNG"), name="fine.png")

    assert limit == Image.MAX_IMAGE_PIXELS
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_refuses_to_run_when_truncated_images_are_allowed_globally(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)

    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        prepare_image(encode(picture(), "PNG"), name="fine.png")


@pytest.mark.parametrize(
    ("n", "text"), [(0, "0 bytes"), (1000, "1000 bytes"), (1536, "1.5 KiB"), (20 << 20, "20 MiB")]
)
def test_human_size(n, text):
    assert human_size(n) == text


# -- rejections ---------------------------------------------------------------------------------


def test_empty_file():
    with rejected("photo.png: the file is empty"):
        prepare_image(b"", name="photo.png")


def test_too_many_bytes():
    with rejected("photo.png: the file is 2 KiB, more than the 1 KiB allowed for an image"):
        prepare_image(b"x" * 2048, name="photo.png", max_bytes=1024)


def test_missing_extension():
    with rejected(f"photo: the file name has no extension; allowed: {ALLOWED}"):
        prepare_image(encode(picture(), "PNG"), name="photo")


def test_unknown_extension():
    with rejected(f"photo.bmp: '.bmp' is not an accepted image extension; allowed: {ALLOWED}"):
        prepare_image(encode(picture(), "BMP"), name="photo.bmp")


def test_random_bytes_named_jpg():
    with rejected("photo.jpg: the file is not an image (or it is too damaged to recognise)"):
        prepare_image(bytes(range(256)) * 8, name="photo.jpg")


def test_png_named_jpg():
    with rejected("photo.jpg: the file is a PNG image, not the JPEG its extension says"):
        prepare_image(encode(picture(), "PNG"), name="photo.jpg")


def test_jpeg_named_png():
    with rejected("photo.png: the file is a JPEG image, not the PNG its extension says"):
        prepare_image(encode(picture(), "JPEG"), name="photo.png")


def test_format_outside_the_whitelist():
    message = "photo.png: the file is a BMP image; only JPEG, PNG, WEBP and GIF are accepted"
    with rejected(message):
        prepare_image(encode(picture(), "BMP"), name="photo.png")


def test_truncated_jpeg():
    data = encode(noise(), "JPEG")

    with rejected("photo.jpg: the image file is truncated (its data ends before the picture does)"):
        prepare_image(data[: len(data) // 2], name="photo.jpg")


def test_truncated_png():
    data = encode(noise(), "PNG")

    with rejected("photo.png: the image file is truncated (its data ends before the picture does)"):
        prepare_image(data[: len(data) // 2], name="photo.png")


def test_corrupt_png_chunk():
    data = bytearray(encode(noise(), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 100] ^= 0xFF  # the chunk's CRC no longer matches

    with pytest.raises(ImageRejected, match=r"^photo\.png: the image file is corrupt \(.+\)$"):
        prepare_image(bytes(data), name="photo.png")


def test_decompression_bomb_over_pillows_own_limit():
    data = png_claiming_size(50_000, 50_000)  # 2.5 gigapixels in a 70-byte file

    with rejected(
        "bomb.png: the image has more pixels than the 40,000,000 allowed "
        "(refusing to decode a possible decompression bomb)"
    ):
        prepare_image(data, name="bomb.png")


def test_decompression_bomb_in_pillows_warning_range():
    assert Image.MAX_IMAGE_PIXELS < 10_000 * 10_000 < 2 * Image.MAX_IMAGE_PIXELS

    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        with rejected(
            "bomb.png: the image has more pixels than the 40,000,000 allowed "
            "(refusing to decode a possible decompression bomb)"
        ):
            prepare_image(png_claiming_size(10_000, 10_000), name="bomb.png")

    assert leaked == []  # Pillow's DecompressionBombWarning was caught as the error it is


def test_decompression_bomb_under_pillows_limit_but_over_ours():
    assert MAX_IMAGE_PIXELS < 7000 * 7000

    with rejected(
        "bomb.png: the image is 7000 x 7000 pixels, more than the 40,000,000 allowed "
        "(refusing to decode a possible decompression bomb)"
    ):
        prepare_image(png_claiming_size(7000, 7000), name="bomb.png")


def test_pixel_limit_is_a_parameter():
    with rejected(
        "photo.png: the image is 60 x 40 pixels, more than the 1,000 allowed "
        "(refusing to decode a possible decompression bomb)"
    ):
        prepare_image(encode(picture(), "PNG"), name="photo.png", max_pixels=1000)
