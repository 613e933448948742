import io
import os
import re
import stat
import struct
import tracemalloc
import zipfile

import pytest

from ingest.archive import ArchiveRejected, CappedReader, ImportArchive, MissingImage
from ingest.images import ImageRejected

POSTS_CSV = b"id,text,images\n1,hello,img/a.jpg\n"
POSTS_JSONL = b'{"id": "1", "text": "hi", "images": ["img/a.jpg"]}\n'
JPEG_BYTES = os.urandom(2048)  # the archive does not decode images: any bytes will do


def make_zip(path, members, compression=zipfile.ZIP_DEFLATED):
    """`members`: (name or ZipInfo, bytes) pairs, written in order."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def patch_headers(path, name, *, flag_bits=None, file_size=None):
    """Rewrite fields of `name`'s local and central directory headers, as a hostile tool would."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    # (signature, offset of the name length, of the name, of the flags, of the uncompressed size)
    for signature, name_len_at, name_at, flags_at, size_at in (
        (b"PK\x03\x04", 26, 30, 6, 22),
        (b"PK\x01\x02", 28, 46, 8, 24),
    ):
        start = data.find(signature)
        while start != -1:
            (name_len,) = struct.unpack_from("<H", data, start + name_len_at)
            if data[start + name_at : start + name_at + name_len] == encoded:
                if flag_bits is not None:
                    struct.pack_into("<H", data, start + flags_at, flag_bits)
                if file_size is not None:
                    struct.pack_into("<I", data, start + size_at, file_size)
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))


def rejected(message):
    return pytest.raises(ArchiveRejected, match=f"^{re.escape(message)}$")


@pytest.fixture
def upload(tmp_path):
    return tmp_path / "upload.zip"


@pytest.fixture
def good_archive(upload):
    return make_zip(
        upload,
        [
            ("export/", b""),
            ("export/posts.jsonl", POSTS_JSONL),
            ("export/img/a.jpg", JPEG_BYTES),
            ("other/b.jpg", JPEG_BYTES),
            ("__MACOSX/export/._posts.jsonl", b"resource fork"),
            ("export/.hidden.csv", b"ignored"),
        ],
    )


# -- happy paths ------------------------------------------------------------------------------


def test_finds_the_data_file_and_streams_it(good_archive):
    with ImportArchive(good_archive) as archive, archive.open_data() as raw:
        assert archive.data_name == "export/posts.jsonl"
        assert archive.data_format == "jsonl"
        assert archive.data_size == len(POSTS_JSONL)
        assert io.BufferedReader(raw).readline() == POSTS_JSONL


def test_csv_at_the_root(upload):
    make_zip(upload, [("Posts.CSV", POSTS_CSV), ("img/a.jpg", JPEG_BYTES)])

    with ImportArchive(upload) as archive, archive.open_data() as raw:
        assert (archive.data_name, archive.data_format) == ("Posts.CSV", "csv")
        assert raw.read() == POSTS_CSV
        assert archive.read_image("img/a.jpg") == JPEG_BYTES


@pytest.mark.parametrize("name", ["img/a.jpg", "./img/a.jpg", "img\\a.jpg", "img//a.jpg"])
def test_images_are_found_relative_to_the_data_file(good_archive, name):
    with ImportArchive(good_archive) as archive:
        assert archive.read_image(name) == JPEG_BYTES


def test_data_stream_memory_stays_flat(upload):
    size = 16 * 1024 * 1024
    make_zip(upload, [("posts.csv", os.urandom(size))], compression=zipfile.ZIP_STORED)

    with ImportArchive(upload) as archive, archive.open_data() as raw:
        tracemalloc.start()
        try:
            read = sum(len(chunk) for chunk in iter(lambda: raw.read(64 * 1024), b""))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert read == size
    assert peak < 2 * 1024 * 1024


# -- images: per-row errors ---------------------------------------------------------------------


def test_missing_image(good_archive):
    with ImportArchive(good_archive) as archive:
        with pytest.raises(MissingImage, match=r"^b\.jpg: no such image in upload\.zip$"):
            archive.read_image("b.jpg")  # it is in other/, not beside the data file
        with pytest.raises(LookupError):
            archive.read_image("img")  # a folder is not an image


def test_image_name_leaving_the_data_folder(good_archive):
    with (
        ImportArchive(good_archive) as archive,
        pytest.raises(
            ImageRejected, match=r"^\.\./other/b\.jpg: the image path has a '\.\.' component$"
        ),
    ):
        archive.read_image("../other/b.jpg")


@pytest.mark.parametrize("name", ["/etc/passwd", "\\etc\\passwd", "C:\\x.jpg"])
def test_absolute_image_name(good_archive, name):
    with ImportArchive(good_archive) as archive:
        message = f"{name}: the image path is an absolute path"
        with pytest.raises(ImageRejected, match=f"^{re.escape(message)}$"):
            archive.read_image(name)


def test_image_too_large(good_archive):
    with ImportArchive(good_archive, max_image_bytes=1000) as archive:
        message = "img/a.jpg: the image is 2 KiB, more than the 1000 bytes allowed for an image"
        with pytest.raises(ImageRejected, match=f"^{re.escape(message)}$"):
            archive.read_image("img/a.jpg")


def test_corrupt_image_member(upload):
    make_zip(upload, [("posts.csv", POSTS_CSV), ("img/a.jpg", JPEG_BYTES)])
    patch_headers(upload, "img/a.jpg", file_size=1000)  # fewer bytes than stored: CRC fails

    with (
        ImportArchive(upload) as archive,
        pytest.raises(
            ImageRejected, match=r"^img/a\.jpg: the archive member 'img/a\.jpg' is corrupt \(.*"
        ),
    ):
        archive.read_image("img/a.jpg")


# -- whole-archive rejections --------------------------------------------------------------------


def test_not_a_zip(upload):
    upload.write_bytes(b"id,text\n1,hello\n")

    with rejected(
        "upload.zip: the file is not a ZIP archive, or it is corrupt (File is not a zip file)"
    ):
        ImportArchive(upload).__enter__()


def test_name_in_messages_can_be_given(upload):
    upload.write_bytes(b"junk")

    with pytest.raises(ArchiveRejected, match=r"^my export\.zip: the file is not a ZIP archive"):
        ImportArchive(upload, name="my export.zip").__enter__()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.csv", "has a '..' component"),
        ("..\\evil.csv", "has a '..' component"),
        ("data/../../evil.jpg", "has a '..' component"),
        ("/etc/passwd", "is an absolute path"),
        ("\\windows\\x.jpg", "is an absolute path"),
        ("C:\\x", "is an absolute path"),
        ("c:/x.csv", "is an absolute path"),
    ],
)
def test_unsafe_member_names(upload, name, reason):
    make_zip(upload, [("posts.csv", POSTS_CSV), (name, b"x")])

    with rejected(f"upload.zip: member {name!r} {reason}; nothing was imported"):
        ImportArchive(upload).__enter__()


def test_symlink_member(upload):
    link = zipfile.ZipInfo("img/a.jpg")
    link.create_system = 3  # unix
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    make_zip(upload, [("posts.csv", POSTS_CSV), (link, b"/etc/passwd")])

    with rejected("upload.zip: member 'img/a.jpg' is a symbolic link; nothing was imported"):
        ImportArchive(upload).__enter__()


def test_encrypted_member(upload):
    make_zip(upload, [("posts.csv", POSTS_CSV)])
    patch_headers(upload, "posts.csv", flag_bits=0x1)

    with rejected(
        "upload.zip: member 'posts.csv' is encrypted; upload an archive without a password"
    ):
        ImportArchive(upload).__enter__()


def test_unsupported_compression(upload):
    make_zip(upload, [("posts.csv", POSTS_CSV)], compression=zipfile.ZIP_BZIP2)

    with rejected(
        "upload.zip: member 'posts.csv' uses compression method 12; "
        "only stored and deflated members are supported"
    ):
        ImportArchive(upload).__enter__()


def test_duplicate_member(upload):
    with pytest.warns(UserWarning, match="Duplicate name"):
        make_zip(upload, [("posts.csv", POSTS_CSV), ("posts.csv", b"id,text\n")])

    with rejected("upload.zip: member 'posts.csv' appears twice"):
        ImportArchive(upload).__enter__()


def test_zip_bomb_by_compression_ratio(upload):
    make_zip(upload, [("posts.csv", POSTS_CSV), ("img/zeros.jpg", bytes(20 * 1024 * 1024))])

    with pytest.raises(
        ArchiveRejected,
        match=r"^upload\.zip: member 'img/zeros\.jpg' is compressed [\d,]+ to 1, "
        r"more than the 100 to 1 allowed \(a zip bomb\?\)$",
    ):
        ImportArchive(upload).__enter__()


def test_small_members_may_compress_well(upload):
    make_zip(upload, [("posts.csv", POSTS_CSV), ("img/blank.jpg", bytes(1024 * 1024))])

    with ImportArchive(upload) as archive:
        assert archive.read_image("img/blank.jpg") == bytes(1024 * 1024)


def test_too_many_members(upload):
    make_zip(upload, [("posts.csv", POSTS_CSV), ("a.jpg", b"a"), ("b.jpg", b"b")])

    with rejected("upload.zip: the archive has 3 members, more than the 2 allowed"):
        ImportArchive(upload, max_members=2).__enter__()


def test_member_too_large(upload):
    make_zip(upload, [("posts.csv", os.urandom(2048))])

    with rejected(
        "upload.zip: member 'posts.csv' unpacks to 2 KiB, more than the 1000 bytes allowed "
        "per member"
    ):
        ImportArchive(upload, max_member_bytes=1000).__enter__()


def test_total_too_large(upload):
    make_zip(upload, [("posts.csv", os.urandom(600)), ("a.jpg", os.urandom(600))])

    with rejected("upload.zip: the archive unpacks to 1.2 KiB, more than the 1000 bytes allowed"):
        ImportArchive(upload, max_total_uncompressed=1000).__enter__()


def test_no_data_file(upload):
    make_zip(upload, [("img/a.jpg", JPEG_BYTES), ("notes.txt", b"x"), ("__MACOSX/._x.csv", b"")])

    with rejected(
        "upload.zip: the archive must hold exactly one .csv or .jsonl data file; found none"
    ):
        ImportArchive(upload).__enter__()


def test_two_data_files(upload):
    make_zip(upload, [("a.csv", POSTS_CSV), ("b/b.jsonl", b"{}\n")])

    with rejected(
        "upload.zip: the archive must hold exactly one .csv or .jsonl data file; "
        "found 'a.csv', 'b/b.jsonl'"
    ):
        ImportArchive(upload).__enter__()


# -- sizes that lie ----------------------------------------------------------------------------


def test_data_file_whose_headers_under_declare_its_size(upload):
    rows = b"".join(b"%d,row number %d\n" % (i, i) for i in range(1000))
    make_zip(upload, [("posts.csv", b"id,text\n" + rows)])
    patch_headers(upload, "posts.csv", file_size=100)

    with ImportArchive(upload) as archive, archive.open_data() as raw:
        assert archive.data_size == 100
        with pytest.raises(
            ArchiveRejected, match=r"^upload\.zip: member 'posts\.csv' is corrupt \(Bad CRC-32"
        ):
            raw.read()


def test_capped_reader_stops_at_its_limit():
    def reject(reason):
        return ArchiveRejected(f"upload.zip: member 'posts.csv' {reason}")

    stream = CappedReader(io.BytesIO(b"x" * 100), limit=10, rejected=reject)

    with rejected(
        "upload.zip: member 'posts.csv' holds more data than the 10 bytes it may (its header lies)"
    ):
        stream.read()


def test_the_archive_is_closed_on_exit_and_on_rejection(upload, good_archive):
    with ImportArchive(good_archive) as archive:
        pass
    assert archive._zip.fp is None

    make_zip(upload, [("a.csv", POSTS_CSV), ("b.csv", POSTS_CSV)])
    archive = ImportArchive(upload)
    with pytest.raises(ArchiveRejected):
        archive.__enter__()
    assert archive._zip.fp is None
