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
# Memes: image-only posts whose emotion is in the text printed on the photo (read by OCR).
MEMES = [
    ("demo-7", "2026-11-20T09:30:00+00:00", "rocket", "meme-scrubbed",
     "SCRUBBED AGAIN. I am so angry right now", ["launch"], "demo-1"),
    ("demo-8", "2026-11-20T12:10:00+00:00", "chelsea", "meme-cat",
     "I am terrified of what he will knock over next", ["cats"], "demo-5"),
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
    for post_id, when, photo, name, caption, topics, parent in MEMES:
        image = f"images/{name}.jpg"
        photos[image] = meme_jpeg(photo, caption)
        rows.append({"id": post_id, "source": "demo", "created_at": when, "text": "",
                     "author": f"demo-user-{post_id[-1]}", "parent_id": parent, "language": "en",
                     "topics": topics, "images": [image]})  # fmt: skip
    write_zip(rows, photos)
    print(f"{OUT.relative_to(REPO)}: {len(rows)} posts ({len(kept)} in {len(roots)} Twitter "
          f"threads, {comments} Reddit comments, {len(IMAGE_POSTS) + len(MEMES)} demo posts), "
          f"{len(photos)} photos, {OUT.stat().st_size // 1024} KB")  # fmt: skip


def photo_jpeg(name):
    from PIL import Image
    from skimage import data

    image = Image.fromarray(getattr(data, name)()).convert("RGB")
    image.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def meme_jpeg(photo, caption):
    """The photo under a white strip with the caption in it (matplotlib's DejaVu font)."""
    import textwrap

    import matplotlib
    from PIL import Image, ImageDraw, ImageFont
    from skimage import data

    picture = Image.fromarray(getattr(data, photo)()).convert("RGB")
    picture.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    lines = textwrap.wrap(caption, 30)
    canvas = Image.new("RGB", (picture.width, 30 + 50 * len(lines) + picture.height), "white")
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        draw.text((20, 20 + 50 * i), line, font=ImageFont.truetype(str(font), 34), fill="black")
    canvas.paste(picture, (0, 30 + 50 * len(lines)))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=85)
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
