"""Safe reading of an import ZIP: one CSV or JSONL data file plus the images it names.

`ImportArchive` checks every member up front, from the central directory, and rejects the whole
archive (nothing is imported) on: an absolute path or a ".." component, a symbolic link, an
encrypted member, a compression method other than stored/deflated (what every ordinary zip tool
writes; bzip2/lzma would only add decompressors to attack), a name that appears twice, too many
members, a member or a total too large, or a compression ratio typical of zip bombs. Sizes in
headers can lie, so reading is capped too: `CappedReader` streams a member in chunks and fails as
soon as more bytes come out than allowed, and the member's CRC is checked at its end (zipfile
also never returns more than the declared size).

Image problems are per row, not per archive: `read_image` raises `MissingImage` (a LookupError)
when the data file names an image the archive lacks, and `images.ImageRejected` when the name is
unsafe (absolute, "..") or the image is larger than `max_image_bytes` or corrupt.
"""

import io
import re
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from .images import MAX_IMAGE_BYTES, ImageRejected, human_size

MAX_MEMBERS = 20_000
MAX_TOTAL_UNCOMPRESSED = 2 * 1024**3
MAX_MEMBER_BYTES = 200 * 1024**2  # the data file, and every member, whatever it is
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_ABOVE = 1024**2  # small members may compress well for innocent reasons

DATA_FORMATS = {".csv": "csv", ".jsonl": "jsonl"}
SUPPORTED_COMPRESSION = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
# NotImplementedError: zipfile's answer to features it lacks (e.g. flags only in a local header).
READ_ERRORS = (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError)
WINDOWS_DRIVE = re.compile(r"[A-Za-z]:")


class ArchiveRejected(ValueError):
    """The archive as a whole cannot be imported; the message names it (and the member)."""


class MissingImage(LookupError):
    """The data file names an image that is not in the archive."""


class ImportArchive:
    """`with ImportArchive(path) as archive:` -> `archive.open_data()`, `archive.read_image(name)`.

    `name` is the archive's name in messages (default: the file name of `path`).
    """

    def __init__(
        self,
        path,
        *,
        name=None,
        max_members=MAX_MEMBERS,
        max_total_uncompressed=MAX_TOTAL_UNCOMPRESSED,
        max_member_bytes=MAX_MEMBER_BYTES,
        max_image_bytes=MAX_IMAGE_BYTES,
        max_compression_ratio=MAX_COMPRESSION_RATIO,
    ):
        self.path = Path(path)
        self.name = name or self.path.name
        self.max_members = max_members
        self.max_total_uncompressed = max_total_uncompressed
        self.max_member_bytes = max_member_bytes
        self.max_image_bytes = max_image_bytes
        self.max_compression_ratio = max_compression_ratio
        self._zip = None
        self._members = {}
        self._data = None

    def __enter__(self):
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, EOFError, ValueError) as error:
            raise ArchiveRejected(
                f"{self.name}: the file is not a ZIP archive, or it is corrupt ({error})"
            ) from None
        try:
            self._members = self._checked_members()
            self._data = self._data_member()
        except BaseException:
            self._zip.close()
            raise
        return self

    def __exit__(self, *exc_info):
        self._zip.close()

    @property
    def data_name(self):
        return self._data.filename

    @property
    def data_format(self):
        return DATA_FORMATS[PurePosixPath(self._data.filename).suffix.lower()]

    @property
    def data_size(self):
        """Declared uncompressed size of the data file (for progress)."""
        return self._data.file_size

    def open_data(self):
        """A binary stream of the data file, capped at its declared size and `max_member_bytes`."""

        def rejected(reason):
            return ArchiveRejected(f"{self.name}: member {self._data.filename!r} {reason}")

        limit = min(self._data.file_size, self.max_member_bytes)
        return self._open_member(self._data, limit=limit, rejected=rejected)

    def read_image(self, name: str) -> bytes:
        """The bytes of the image that the data file calls `name` (relative to its folder)."""
        info = self._members.get(self._image_member_name(name))
        if info is None or info.is_dir():
            raise MissingImage(f"{name}: no such image in {self.name}")
        if info.file_size > self.max_image_bytes:
            raise ImageRejected(
                f"{name}: the image is {human_size(info.file_size)}, more than the "
                f"{human_size(self.max_image_bytes)} allowed for an image"
            )

        def rejected(reason):
            return ImageRejected(f"{name}: the archive member {info.filename!r} {reason}")

        limit = min(info.file_size, self.max_image_bytes)
        with self._open_member(info, limit=limit, rejected=rejected) as stream:
            return stream.read()

    # -- up-front checks -----------------------------------------------------------------------

    def _checked_members(self):
        infos = self._zip.infolist()
        if len(infos) > self.max_members:
            raise ArchiveRejected(
                f"{self.name}: the archive has {len(infos):,} members, more than the "
                f"{self.max_members:,} allowed"
            )
        members = {}
        for info in infos:
            self._check_member(info)
            if info.filename in members:
                raise ArchiveRejected(f"{self.name}: member {info.filename!r} appears twice")
            members[info.filename] = info
        total = sum(info.file_size for info in infos)
        if total > self.max_total_uncompressed:
            raise ArchiveRejected(
                f"{self.name}: the archive unpacks to {human_size(total)}, more than the "
                f"{human_size(self.max_total_uncompressed)} allowed"
            )
        return members

    def _check_member(self, info):
        def rejected(reason):
            return ArchiveRejected(f"{self.name}: member {info.filename!r} {reason}")

        unsafe = unsafe_path_reason(info.filename)
        if unsafe:
            raise rejected(f"{unsafe}; nothing was imported")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise rejected("is a symbolic link; nothing was imported")
        if info.flag_bits & 0x1:
            raise rejected("is encrypted; upload an archive without a password")
        if info.compress_type not in SUPPORTED_COMPRESSION:
            raise rejected(
                f"uses compression method {info.compress_type}; only stored and deflated "
                "members are supported"
            )
        if info.file_size > self.max_member_bytes:
            raise rejected(
                f"unpacks to {human_size(info.file_size)}, more than the "
                f"{human_size(self.max_member_bytes)} allowed per member"
            )
        if info.file_size > RATIO_CHECKED_ABOVE:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > self.max_compression_ratio:
                raise rejected(
                    f"is compressed {ratio:,.0f} to 1, more than the {self.max_compression_ratio}"
                    " to 1 allowed (a zip bomb?)"
                )

    def _data_member(self):
        found = [info for info in self._members.values() if is_data_file(info)]
        if len(found) != 1:
            names = ", ".join(repr(info.filename) for info in found) or "none"
            raise ArchiveRejected(
                f"{self.name}: the archive must hold exactly one .csv or .jsonl data file; "
                f"found {names}"
            )
        return found[0]

    # -- reading ----------------------------------------------------------------------------

    def _open_member(self, info, *, limit, rejected):
        try:
            raw = self._zip.open(info)
        except READ_ERRORS as error:
            raise rejected(f"is corrupt ({error})") from None
        return CappedReader(raw, limit=limit, rejected=rejected)

    def _image_member_name(self, name):
        """Member name for an image named relative to the data file's folder."""
        unsafe = unsafe_path_reason(name)
        if unsafe:
            raise ImageRejected(f"{name}: the image path {unsafe}")
        parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
        if not parts:
            raise MissingImage(f"{name!r}: not an image file name")
        folder = PurePosixPath(self._data.filename).parent
        return str(folder.joinpath(*parts))


class CappedReader(io.RawIOBase):
    """Streams a zip member and raises `rejected(reason)` as soon as more than `limit` bytes
    come out or the member's data is corrupt (bad deflate stream, CRC mismatch)."""

    def __init__(self, raw, *, limit, rejected):
        self._raw = raw
        self._limit = limit
        self._rejected = rejected
        self._count = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        try:
            n = self._raw.readinto(buffer)
        except READ_ERRORS as error:
            raise self._rejected(f"is corrupt ({error})") from None
        self._count += n
        if self._count > self._limit:
            raise self._rejected(
                f"holds more data than the {human_size(self._limit)} it may (its header lies)"
            )
        return n

    def close(self):
        self._raw.close()
        super().close()


def unsafe_path_reason(name):
    """Why a member or image name could point outside the archive's folder, or None."""
    normal = name.replace("\\", "/")
    if normal.startswith("/") or WINDOWS_DRIVE.match(normal):
        return "is an absolute path"
    if ".." in normal.split("/"):
        return "has a '..' component"
    return None


def is_data_file(info):
    path = PurePosixPath(info.filename)
    hidden = path.parts[0] == "__MACOSX" or any(part.startswith(".") for part in path.parts)
    return not info.is_dir() and not hidden and path.suffix.lower() in DATA_FORMATS
