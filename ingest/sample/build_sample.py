"""Rebuild emograph-sample.zip, the demo data `make demo` imports. Needs ../shared/data and
scikit-image (a dev dependency, for its public-domain / CC0 sample photos).

    .venv/bin/python ingest/sample/build_sample.py

Contents (see README.md beside this file for sources and licences):
- real Twitter reply trees: the first THREADS threads of RumourEval 2017 traindev;
- real Reddit comments with gold emotions: the first COMMENTS single-label GoEmotions test rows;
- a handful of constructed image posts (texts written for the demo) with real photos.
"""

import csv
import io
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DATA = REPO.parent / "shared" / "data"
OUT = HERE / "emograph-sample.zip"
THREADS = 12
COMMENTS = 150
PHOTO_SIDE = 640
COLUMNS = ["id", "source", "created_at", "text", "author", "author_name", "parent_id",
           "language", "topics", "images", "label"]  # fmt: skip

# Constructed for the demo (not real posts): short texts whose emotion lives partly in the photo.
IMAGE_POSTS = [
    ("demo-1", "2026-11-20T09:05:00+00:00", "Launch day!! Look 🚀", "rocket", ["launch"], ""),
    ("demo-2", "2026-11-20T09:12:00+00:00", "they scrubbed it again... hours in the cold", "",
     ["launch"], "demo-1"),
    ("demo-3", "2026-11-20T10:30:00+00:00", "Monday fuel", "coffee", ["morning"], ""),
    ("demo-4", "2026-11-20T10:41:00+00:00", "same", "", ["morning"], "demo-3"),
    ("demo-5", "2026-11-20T12:00:00+00:00", "Who let him on the desk", "chelsea", ["cats"], ""),
    ("demo-6", "2026-11-20T15:20:00+00:00", "Floating above it all", "astronaut", ["space"], ""),
]  # fmt: skip


def main():
    sys.path[:0] = [str(REPO), str(REPO / "platform")]
    from ingest.formats.public import read_goemotions, read_rumoureval
    from ingest.records import RawRow

    rows = []
    roots = []
    kept = set()
    for row in read_rumoureval(DATA / "rumoureval2017" / "traindev"):
        if not isinstance(row, RawRow):
            continue
        parent = row.fields.get("parent_id")
        if not parent and len(roots) < THREADS:
            roots.append(row.fields["id"])
            kept.add(row.fields["id"])
        elif parent in kept:
            kept.add(row.fields["id"])
        else:
            continue
        rows.append(row.fields)
    comments = 0
    for row in read_goemotions(DATA / "goemotions" / "ekman" / "test.tsv"):
        if isinstance(row, RawRow) and row.fields.get("label") and comments < COMMENTS:
            rows.append(row.fields)
            comments += 1
    photos = {}
    for post_id, when, text, photo, topics, parent in IMAGE_POSTS:
        image = f"images/{photo}.jpg" if photo else ""
        if photo:
            photos[image] = photo_jpeg(photo)
        rows.append({"id": post_id, "source": "demo", "created_at": when, "text": text,
                     "author": f"demo-user-{post_id[-1]}", "parent_id": parent, "language": "en",
                     "topics": topics, "images": [image] if image else []})  # fmt: skip
    write_zip(rows, photos)
    print(f"{OUT.relative_to(REPO)}: {len(rows)} posts ({len(kept)} in {len(roots)} Twitter "
          f"threads, {comments} Reddit comments, {len(IMAGE_POSTS)} demo posts), "
          f"{len(photos)} photos, {OUT.stat().st_size // 1024} KB")  # fmt: skip


def photo_jpeg(name):
    from PIL import Image
    from skimage import data

    image = Image.fromarray(getattr(data, name)()).convert("RGB")
    image.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def write_zip(rows, photos):
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    for fields in rows:
        writer.writerow([cell(fields.get(column)) for column in COLUMNS])
    with zipfile.ZipFile(OUT, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("posts.csv", text.getvalue())
        for name, content in sorted(photos.items()):
            archive.writestr(name, content)


def cell(value):
    if isinstance(value, list | tuple):
        return "|".join(value)
    return "" if value is None else str(value)


if __name__ == "__main__":
    main()
