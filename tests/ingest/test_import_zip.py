"""ZIP imports with images, through the whole pipeline: what lands, what is refused, and why."""

import io
import struct
import zipfile
import zlib

import pytest
from django.core.management import CommandError
from PIL import Image

from emograph.social.models import Post, PostImage
from ingest.models import ImportJob

from .helpers import cli_import, csv_text, errors_of, ids

pytestmark = pytest.mark.django_db
T = "2026-11-01T08:00:00Z"
HEADER = ["id", "source", "created_at", "text", "images"]


def jpeg(size=(64, 48), color=(200, 30, 30), exif_orientation=None):
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    exif = Image.Exif()
    if exif_orientation:
        exif[0x0112] = exif_orientation
        exif[0x8825] = {2: (52.0, 31.0, 0.0)}  # GPS latitude: must not survive
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_claiming(width, height):
    """A tiny PNG whose header claims a huge canvas: a decompression bomb, cheap to build."""
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    ihdr = 8 + 8  # signature, then length + type of the IHDR chunk
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


def make_zip(tmp_path, rows, files, name="import.zip", data_name="posts.csv"):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(data_name, csv_text(rows, header=HEADER))
        for member, content in files.items():
            archive.writestr(member, content)
    return path


def test_images_land_cleaned_deduplicated_with_thumbnails(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = jpeg(size=(64, 48), exif_orientation=6)  # rotate 90°: stored as 48 x 64
    rows = [
        ["1", "weibo", T, "look at this", "img/photo.jpg"],
        ["2", "weibo", T, "", "img/photo.jpg|img/copy.jpg"],  # image-only post; same picture twice
    ]
    job = cli_import(make_zip(tmp_path, rows, {"img/photo.jpg": photo, "img/copy.jpg": photo}))
    assert (job.status, job.rows_created, job.rows_rejected) == ("succeeded", 2, 0)
    stored = PostImage.objects.get(post__external_id="1")
    assert (stored.width, stored.height) == (48, 64)
    assert PostImage.objects.filter(post__external_id="2").count() == 1  # unique per content
    assert PostImage.objects.values("file").distinct().count() == 1  # one file on disk
    with Image.open(stored.file.path) as cleaned:
        assert cleaned.size == (48, 64)
        assert not cleaned.getexif()
        assert "exif" not in cleaned.info
    with Image.open(stored.thumbnail.path) as thumb:
        assert max(thumb.size) <= 256
    again = cli_import(make_zip(tmp_path, rows, {"img/photo.jpg": photo, "img/copy.jpg": photo}))
    assert (again.rows_unchanged, PostImage.objects.count()) == (2, 2)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("noise.jpg", b"hello world" * 10, "noise.jpg: the file is not an image"),
        ("cut.jpg", jpeg(size=(400, 300))[:600], "cut.jpg: the image file is truncated"),
        ("broken.jpg", b"\xff\xd8\xff\xe0 corrupt", "broken.jpg: the image file is truncated"),
        ("liar.png", jpeg(), "liar.png: the file is a JPEG image, not the PNG its extension says"),
        (
            "bomb.png",
            png_claiming(60_000, 60_000),
            "bomb.png: the image has more pixels than the 40,000,000 allowed (refusing to decode "
            "a possible decompression bomb)",
        ),
    ],
)
def test_bad_image_rejects_its_row_and_good_rows_land(tmp_path, settings, name, content, message):
    settings.MEDIA_ROOT = tmp_path / "media"
    rows = [["good", "weibo", T, "fine", "ok.jpg"], ["bad", "weibo", T, "has a bad image", name]]
    job = cli_import(make_zip(tmp_path, rows, {"ok.jpg": jpeg(), name: content}))
    [(line, field, error)] = errors_of(job)
    assert (line, field) == (3, "images")
    assert error.startswith(message), error
    assert ids() == ["good"]
    assert PostImage.objects.count() == 1


def test_missing_image_is_named(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    job = cli_import(make_zip(tmp_path, [["1", "weibo", T, "x", "nope.jpg"]], {}))
    [(line, field, error)] = errors_of(job)
    assert (line, field, error) == (2, "images", "image 'nope.jpg' is not in the import")
    assert not Post.objects.exists()


@pytest.mark.parametrize("member", ["../evil.jpg", "/etc/evil.jpg", "a/../../evil.jpg"])
def test_zip_with_escaping_paths_is_refused_whole(tmp_path, member):
    path = make_zip(tmp_path, [["1", "weibo", T, "fine", ""]], {member: jpeg()})
    with pytest.raises(CommandError, match=r"import\.zip: member"):
        cli_import(path)
    job = ImportJob.objects.get()
    assert job.status == "failed"
    assert f"import.zip: member {member!r} " in job.error
    assert job.error.endswith("; nothing was imported")
    assert not Post.objects.exists()


def test_zip_bomb_is_refused_whole(tmp_path):
    path = make_zip(tmp_path, [["1", "weibo", T, "fine", ""]], {"zeros.jpg": b"\0" * 50_000_000})
    with pytest.raises(CommandError, match=r"import\.zip: member 'zeros\.jpg'"):
        cli_import(path)
    assert ImportJob.objects.get().error == (
        "import.zip: member 'zeros.jpg' is compressed 1,029 to 1, more than the 100 to 1 "
        "allowed (a zip bomb?)"
    )
    assert not Post.objects.exists()


def test_not_a_zip_and_no_data_file(tmp_path):
    (tmp_path / "fake.zip").write_bytes(b"PK nothing")
    with pytest.raises(CommandError, match=r"fake\.zip: the file is not a ZIP archive"):
        cli_import(tmp_path / "fake.zip")
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("photo.jpg", jpeg())
    with pytest.raises(CommandError, match=r"empty\.zip"):
        cli_import(empty)
    assert not Post.objects.exists()


def test_csv_on_disk_reads_images_beside_it_but_never_outside(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "p.jpg").write_bytes(jpeg())
    (tmp_path / "secret.jpg").write_bytes(jpeg())
    rows = [["1", "weibo", T, "ok", "p.jpg"], ["2", "weibo", T, "sneaky", "../secret.jpg"]]
    (folder / "posts.csv").write_text(csv_text(rows, header=HEADER))
    job = cli_import(folder / "posts.csv")
    [(line, field, error)] = errors_of(job)
    assert (line, field) == (3, "images")
    assert error == "../secret.jpg: the image path leaves the import folder"
    assert ids() == ["1"]


def test_a_changed_post_that_drops_an_image_loses_it(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    files = {"a.jpg": jpeg(color=(1, 2, 3)), "b.jpg": jpeg(color=(200, 2, 3))}
    cli_import(make_zip(tmp_path, [["1", "weibo", T, "two pictures", "a.jpg|b.jpg"]], files))
    assert PostImage.objects.count() == 2
    job = cli_import(make_zip(tmp_path, [["1", "weibo", T, "one picture", "b.jpg"]], files))
    assert job.rows_updated == 1
    [kept] = PostImage.objects.all()
    assert (kept.original_name, kept.position) == ("b.jpg", 0)
