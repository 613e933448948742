"""Readers for the public data sets in shared/data (see its README.md) -> RawRows.

Each reader takes a path and returns an iterator of RawRow (fields as ingest/records.py lists
them) or RowError. File-level problems (missing file, wrong folder layout, not gzip, labels that
are not the 7 classes, missing CSV columns) raise FileRejected, a ValueError, when the reader is
called, before the first row; a gzip stream damaged half way raises it while streaming. A record
that cannot be mapped becomes a RowError naming it, and reading goes on. Everything that
records.validate_row checks (zone of dates, lengths, empty texts, ...) is left to it.

`line` is unique and increasing within a file, because the importer keys its batches and its
resume point on it: the physical line for TSV/CSV, the 1-based position of the post in reading
order for the JSON data sets (RumourEval, Weibo CED: one Weibo line holds a whole thread).

Emotion labels map to the project's classes by NAME (GoEmotions-Ekman and MELD name the same 7
classes as emograph.emotions.taxonomy, in a different order). RumourEval stance and CED rumour
labels are not emotions and are not imported.
"""

import csv
import datetime as dt
import gzip
import json
import math
import re
import zlib
from collections import defaultdict, deque
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from emograph.emotions.taxonomy import EMOTIONS
from ingest.formats.generic import csv_records
from ingest.records import FileRejected, RawRow, RowError

Rows = Iterator[RawRow | RowError]

CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")
# Unix times above this are milliseconds (as seconds it would be the year 5138).
MILLISECONDS_FROM = 100_000_000_000
HASHTAG = re.compile(r"(?<![\w&])#(\w+)")
# Twitter's API escapes exactly these three in tweet texts; the other entities are literal text.
TWITTER_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
UNIX_TIME = re.compile(r"^\d+(\.\d*)?$")
WEIBO_LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
# CED's per-thread files are named <index>_<mid>_<uid of the poster>; a merged thread id may be
# that file stem, which is then the only place the source post's author appears.
CED_FILE_STEM = re.compile(r"^\d+_[0-9A-Za-z]+_(\d+)$")

GOEMOTIONS_EPOCH = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
GOEMOTIONS_CELLS = 3  # text, comma-separated label ids, comment id

MELD_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
MELD_SPLITS = ("train", "dev", "test")
MELD_COLUMNS = (
    "Utterance", "Speaker", "Emotion", "Dialogue_ID", "Utterance_ID", "Season", "Episode",
    "StartTime",
)  # fmt: skip
MELD_START_TIME = re.compile(r"^(\d+):(\d{2}):(\d{2})[,.](\d{1,3})$")
# MELD's emotion names -> the project's classes; the same words, matched by name on purpose.
MELD_EMOTIONS = {name: name for name in EMOTIONS}
# The 7 GoEmotions-Ekman names in labels.txt -> the project's classes, by name.
GOEMOTIONS_EKMAN = {name: name for name in EMOTIONS}


def _post(
    *, post_id, source, created_at, text, author="", author_name="", parent_id="", language="",
    topics=(), images=(), label="",
):  # fmt: skip
    """The fields of one RawRow: every key of the records.py contract, nothing else."""
    return {
        "id": post_id,
        "source": source,
        "created_at": created_at,
        "text": text,
        "author": author,
        "author_name": author_name,
        "parent_id": parent_id,
        "language": language,
        "topics": list(topics),
        "images": list(images),
        "label": label,
    }


# --- shared helpers -----------------------------------------------------------------------------


def _existing_file(path, what):
    file = Path(path)
    if not file.is_file():
        problem = "is a directory" if file.is_dir() else "does not exist"
        raise FileRejected(f"{file}: {problem}; expected a {what} file")
    return file


def _unix_to_iso(value, zone):
    """ISO 8601 string in `zone` for unix seconds (or milliseconds), None if it is not one."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    if abs(value) >= MILLISECONDS_FROM:
        value = value / 1000
    try:
        return dt.datetime.fromtimestamp(value, zone).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def _id_text(value):
    """An id as text: ids arrive as strings or as JSON numbers."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip()


def _hashtags(text):
    """Lower-cased hashtags without '#', first spelling first; all-digit ones (#1) are not tags."""
    tags = (tag.lower() for tag in HASHTAG.findall(text))
    return list(dict.fromkeys(tag for tag in tags if not tag.isdigit()))


class _Problem(NamedTuple):
    """A record that cannot be mapped, before it is given its line."""

    field: str
    message: str


# --- RumourEval 2017 ----------------------------------------------------------------------------


def read_rumoureval(path: Path | str, *, source: str = "twitter") -> Rows:
    """Posts of a RumourEval split folder (posts.json + structures.json), parents first.

    Tweets carry no author in this repack, and their stance labels are not emotions: both are
    left empty. Topics are the tweet's hashtags; times are UTC.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileRejected(
            f"{folder}: not a RumourEval split folder; give the folder that holds posts.json and "
            "structures.json, e.g. rumoureval2017/traindev"
        )
    posts = _json_object_file(folder / "posts.json")
    trees = _json_object_file(folder / "structures.json")
    return _rumoureval_rows(folder.name, posts, trees, source)


def _json_object_file(file):
    if not file.is_file():
        message = "a RumourEval split folder holds posts.json and structures.json"
        raise FileRejected(f"{file}: missing; {message}")
    try:
        with file.open(encoding="utf-8") as handle:
            value = json.load(handle)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FileRejected(f"{file}: not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise FileRejected(f"{file}: expected a JSON object keyed by id")
    return value


def _rumoureval_rows(split, posts, trees, source):
    posts_file, trees_file = f"{split}/posts.json", f"{split}/structures.json"
    line = 0
    placed = set()
    for thread_id, tree in trees.items():
        if not isinstance(tree, dict):
            line += 1
            yield RowError(trees_file, line, "", f"thread {thread_id}: the tree is not an object")
            continue
        for post_id, parent_id in _tree_walk(tree):
            line += 1
            placed.add(post_id)
            if post_id not in posts:
                # Replies to it are still read: they name a parent the importer will not find.
                message = f"post {post_id} of thread {thread_id} is not in posts.json"
                yield RowError(posts_file, line, "id", message)
                continue
            yield _tweet(line, post_id, parent_id, posts[post_id], source, posts_file)
    for post_id in posts:
        if post_id not in placed:
            line += 1
            message = f"post {post_id} is in no thread of structures.json: its parent is unknown"
            yield RowError(posts_file, line, "id", message)


def _tree_walk(tree):
    """(post id, parent id) of a nested reply tree {id: {child: ...} or []}, breadth first, so
    every parent comes before its replies. Top-level ids have no parent."""
    queue = deque((post_id, "", children) for post_id, children in tree.items())
    while queue:
        post_id, parent_id, children = queue.popleft()
        yield post_id, parent_id
        if isinstance(children, dict):
            queue.extend((child, post_id, below) for child, below in children.items())


def _tweet(line, post_id, parent_id, post, source, file_name):
    if not isinstance(post, dict):
        return RowError(file_name, line, "", f"post {post_id} is not an object")
    created_at = _unix_to_iso(post.get("time"), dt.UTC)
    if created_at is None:
        message = f"time {post.get('time')!r} of post {post_id} is not a unix timestamp"
        return RowError(file_name, line, "created_at", message)
    text = post.get("text")
    if isinstance(text, str):
        text = _unescape_twitter(text)
    fields = _post(
        post_id=post_id,
        source=source,
        created_at=created_at,
        text=text,
        parent_id=parent_id,
        language="en",
        topics=_hashtags(text) if isinstance(text, str) else (),
    )
    return RawRow(line, fields)


def _unescape_twitter(text):
    for entity, character in TWITTER_ENTITIES:
        text = text.replace(entity, character)
    return text


# --- Weibo CED ----------------------------------------------------------------------------------


def read_weibo_ced(path: Path | str, *, source: str = "weibo") -> Rows:
    """Posts of CED's threads.jsonl.gz, one thread in memory at a time: the source post, then its
    reposts/comments, each after the one it answers.

    Written from the data set's description; the real file was not available to test against.
    Assumptions: the source post's id is root "mid" or "id", else the thread id; times are unix
    seconds (or milliseconds) or "YYYY-MM-DD HH:MM:SS" in China time (+08:00, Weibo's clock);
    a repost's `parent` is the mid of the repost it answers (empty, or the source post's id, for
    a reply to the source post); images are root "pics" only when it lists file names (CED has a
    picture count there, and the pictures themselves are not in the data set). The thread's
    rumour label is not an emotion and is not imported.
    """
    file = Path(path)
    _require_gzip(file)
    return _weibo_rows(file, source)


def _require_gzip(file):
    if not file.is_file():
        problem = "is a directory" if file.is_dir() else "does not exist"
        raise FileRejected(f"{file}: {problem}; expected CED's threads.jsonl.gz")
    with file.open("rb") as handle:
        magic = handle.read(2)
    if magic != b"\x1f\x8b":
        raise FileRejected(f"{file}: not a gzip file; expected CED's threads.jsonl.gz")


def _weibo_rows(file, source):
    position = 0  # the RawRow line: posts in reading order, see the module docstring
    number = 0
    try:
        with gzip.open(file, "rb") as lines:
            for number, raw in enumerate(lines, start=1):
                if not raw.strip():
                    continue
                for item in _thread_items(raw, number, source):
                    position += 1
                    if isinstance(item, _Problem):
                        message = f"line {number} of the file: {item.message}"
                        yield RowError(file.name, position, item.field, message)
                    else:
                        yield RawRow(position, item)
    except (OSError, EOFError, zlib.error) as error:
        message = f"{file}: the gzip stream is damaged after line {number} ({error})"
        raise FileRejected(message) from None


def _thread_items(raw, number, source):
    """Field dicts (or _Problems) of one thread line: source post first, then its reposts."""
    try:
        thread = json.loads(raw)
    except UnicodeDecodeError as error:
        yield _Problem("", f"not valid UTF-8 text (byte {error.start})")
        return
    except json.JSONDecodeError as error:
        yield _Problem("", f"not valid JSON ({error.msg} at column {error.colno})")
        return
    if not isinstance(thread, dict):
        yield _Problem("", "each line must be a JSON object (one thread)")
        return
    thread_id = _id_text(thread.get("thread"))
    root = thread.get("root")
    root_id = _root_id(root, thread_id)
    if not isinstance(root, dict):
        yield _Problem("root", f"thread {thread_id!r} has no source post object")
    else:
        yield _weibo_root(root, root_id, thread_id, source)
    reposts = thread.get("reposts", [])
    if not isinstance(reposts, list):
        yield _Problem("", f"thread {thread_id!r}: reposts must be a list")
        return
    for repost in _parents_first(reposts, root_id):
        yield _weibo_repost(repost, root_id, thread_id, source)


def _root_id(root, thread_id):
    if isinstance(root, dict):
        for key in ("mid", "id"):
            if root_id := _id_text(root.get(key)):
                return root_id
    return thread_id


def _weibo_root(root, root_id, thread_id, source):
    if not root_id:
        return _Problem("id", "the thread has no id and its source post neither")
    time = root.get("time", root.get("date"))
    created_at = _weibo_time(time)
    if created_at is None:
        message = f"time {time!r} of source post {root_id} is not a known date format"
        return _Problem("created_at", message)
    author, author_name = _weibo_root_author(root, thread_id)
    pics = root.get("pics")
    images = pics if isinstance(pics, list) and all(isinstance(p, str) for p in pics) else ()
    return _post(
        post_id=root_id,
        source=source,
        created_at=created_at,
        text=root.get("text"),
        author=author,
        author_name=author_name,
        language="zh",
        images=images,
    )


def _weibo_root_author(root, thread_id):
    """(id, name) of the source post's author. CED's `user` is a profile without an id; the id
    then comes from the thread id when that is a CED file stem (<index>_<mid>_<uid>)."""
    user = root.get("user")
    author = _id_text(root.get("uid"))
    name = ""
    if isinstance(user, dict):
        author = author or _id_text(user.get("id", user.get("idstr")))
        name = _id_text(user.get("screen_name", user.get("name")))
    elif not author:
        author = _id_text(user)
    if not author and (stem := CED_FILE_STEM.match(thread_id)):
        author = stem[1]
    return author, name


def _weibo_repost(repost, root_id, thread_id, source):
    if not isinstance(repost, dict):
        return _Problem("", f"thread {thread_id!r}: a repost is not an object")
    mid = _id_text(repost.get("mid"))
    if not mid:
        return _Problem("id", f"thread {thread_id!r}: a repost has no mid")
    date = repost.get("date", repost.get("time"))
    created_at = _weibo_time(date)
    if created_at is None:
        message = f"date {date!r} of repost {mid} is not a known date format"
        return _Problem("created_at", message)
    return _post(
        post_id=mid,
        source=source,
        created_at=created_at,
        text=repost.get("text"),
        author=_id_text(repost.get("uid")),
        parent_id=_repost_parent(repost, root_id) or root_id,
        language="zh",
    )


def _repost_parent(repost, root_id):
    """The mid a repost answers; "" when it answers the source post."""
    parent = _id_text(repost.get("parent"))
    return "" if parent == root_id else parent


def _parents_first(reposts, root_id):
    """The reposts reordered so each comes after the one it answers: breadth first from the
    source post, siblings in file order (CED lists reposts newest first, so replies often come
    before their parents). Reposts whose parent is not in the thread (or that sit on a cycle)
    follow at the end in file order."""
    children = defaultdict(list)
    for index, repost in enumerate(reposts):
        parent = _repost_parent(repost, root_id) if isinstance(repost, dict) else ""
        children[parent].append((index, repost))
    ordered = []
    queue = deque([""])
    while queue:
        for _, repost in children.pop(queue.popleft(), ()):
            ordered.append(repost)
            if isinstance(repost, dict) and (mid := _id_text(repost.get("mid"))):
                queue.append(mid)
    stranded = sorted((p for pairs in children.values() for p in pairs), key=lambda p: p[0])
    return ordered + [repost for _, repost in stranded]


def _weibo_time(value):
    """ISO 8601 with a zone: unix seconds/ms as China time, "YYYY-MM-DD HH:MM:SS" as China time,
    an ISO string that already has a zone as is. None for anything else."""
    if not isinstance(value, str) or UNIX_TIME.match(value.strip()):
        return _unix_to_iso(value, CHINA_TIME)
    text = value.strip()
    if WEIBO_LOCAL_TIME.match(text):
        local = dt.datetime.fromisoformat(text.replace(" ", "T"))
        return local.replace(tzinfo=CHINA_TIME).isoformat()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return text if parsed.tzinfo is not None else None


# --- GoEmotions (Ekman) -------------------------------------------------------------------------


def read_goemotions(path: Path | str, *, source: str = "reddit") -> Rows:
    """Comments of a GoEmotions TSV (text, label ids, comment id; no header) of the `ekman` folder.

    Label ids index labels.txt beside the file, read by name. Only single-label comments get a
    gold `label`: it is imported as a human prediction with probability 1 for one class, which a
    comment with two gold classes does not have. Multi-label comments come in without one.
    The data set has no dates: created_at is 2019-01-01T00:00:00+00:00 plus the line number in
    seconds, so the file order survives.
    """
    file = _existing_file(path, "GoEmotions .tsv")
    names = _ekman_names(file.parent / "labels.txt")
    return _goemotions_rows(file, names, source)


def _ekman_names(labels_file):
    """labels.txt as a list: label id -> the project's class."""
    if not labels_file.is_file():
        raise FileRejected(f"{labels_file}: missing; GoEmotions label ids index this file")
    names = [name.strip().lower() for name in labels_file.read_text("utf-8").splitlines()]
    names = [name for name in names if name]
    if sorted(names) != sorted(GOEMOTIONS_EKMAN):
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise FileRejected(
            f"{labels_file}: {len(names)} labels ({shown}) are not the 7 Ekman classes "
            f"({', '.join(EMOTIONS)}); import the files of the goemotions/ekman folder, whose "
            "labels map one to one to the project's classes"
        )
    return [GOEMOTIONS_EKMAN[name] for name in names]


def _goemotions_rows(file, names, source):
    with file.open(encoding="utf-8", newline="") as handle:
        # QUOTE_NONE: comments contain quotes that are text, not CSV quoting.
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        for record in csv_records(reader, file_name=file.name, first_line=1):
            if isinstance(record, RowError):
                yield record
                continue
            line, cells = record
            if len(cells) != GOEMOTIONS_CELLS:
                message = f"{len(cells)} tab-separated cells; expected text, label ids, comment id"
                yield RowError(file.name, line, "", message)
                continue
            yield _comment(line, cells, names, source, file.name)


def _comment(line, cells, names, source, file_name):
    text, label_ids, comment_id = cells
    labels = set()
    for label_id in label_ids.split(","):
        index = label_id.strip()
        if not index.isdigit() or int(index) >= len(names):
            message = f"label id {index!r} is not an index of labels.txt (0-{len(names) - 1})"
            return RowError(file_name, line, "label", message)
        labels.add(names[int(index)])
    created_at = GOEMOTIONS_EPOCH + dt.timedelta(seconds=line)
    fields = _post(
        post_id=comment_id,
        source=source,
        created_at=created_at.isoformat(),
        text=text,
        language="en",
        label=labels.pop() if len(labels) == 1 else "",
    )
    return RawRow(line, fields)


# --- MELD -------------------------------------------------------------------------------------


def read_meld(path: Path | str, *, source: str = "meld") -> Rows:
    """Utterances of a MELD CSV (train/dev/test_sent_emo.csv) as reply chains, one per dialogue.

    Ids are "<split>-d<Dialogue_ID>-u<Utterance_ID>" (the split from the file name, as dialogue
    ids restart in every split); each utterance answers the previous one of its dialogue. The
    author id is the speaker's name lower-cased with '-' for spaces (ids may not contain spaces),
    the author name the speaker as written. Topics: the episode, "s08e21". Times are synthetic:
    2000-01-01T00:00:00+00:00 plus Dialogue_ID days plus the utterance's StartTime in the
    episode (Utterance_ID seconds when StartTime is unreadable), moved 1 ms after the previous
    utterance where MELD's clips overlap, so a reply never predates what it answers.
    """
    file = _existing_file(path, "MELD .csv")
    split = _meld_split(file)
    _meld_header(file)
    return _meld_rows(file, split, source)


def _meld_split(file):
    split = next((s for s in MELD_SPLITS if file.name.lower().startswith(s)), None)
    if split is None:
        raise FileRejected(
            f"{file}: cannot tell the split from the file name; keep MELD's names "
            "(train_sent_emo.csv, dev_sent_emo.csv, test_sent_emo.csv): the split is part of "
            "every id, as dialogue ids restart in each split"
        )
    return split


def _meld_header(file):
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except UnicodeDecodeError as error:
        raise FileRejected(f"{file}, line 1: not UTF-8 text ({error})") from None
    missing = [column for column in MELD_COLUMNS if column not in header]
    if missing:
        raise FileRejected(
            f"{file}, line 1: missing column(s) {', '.join(missing)}; MELD's CSV has "
            f"{', '.join(MELD_COLUMNS)} (and Sr No., Sentiment, EndTime)"
        )
    return header


class _Dialogue(NamedTuple):
    """Where a dialogue's chain stands: its last utterance's id and time offset (seconds)."""

    last_id: str
    offset: float


def _meld_rows(file, split, source):
    dialogues = {}  # Dialogue_ID -> _Dialogue
    with file.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        for record in csv_records(reader, file_name=file.name, first_line=reader.line_num + 1):
            if isinstance(record, RowError):
                yield record
                continue
            line, cells = record
            if len(cells) != len(header):
                message = f"{len(cells)} cells but the header has {len(header)} columns"
                yield RowError(file.name, line, "", message)
                continue
            row = dict(zip(header, cells, strict=True))
            yield _utterance(line, row, split, dialogues, source, file.name)


def _utterance(line, row, split, dialogues, source, file_name):
    try:
        dialogue_id, utterance_id = int(row["Dialogue_ID"]), int(row["Utterance_ID"])
    except ValueError:
        message = f"Dialogue_ID {row['Dialogue_ID']!r} / Utterance_ID {row['Utterance_ID']!r}"
        return RowError(file_name, line, "id", f"{message} are not whole numbers")
    label = MELD_EMOTIONS.get(row["Emotion"].strip().lower())
    if label is None:
        message = f"emotion {row['Emotion']!r} is not one of MELD's {', '.join(MELD_EMOTIONS)}"
        return RowError(file_name, line, "label", message)
    previous = dialogues.get(dialogue_id)
    offset = _start_seconds(row["StartTime"], utterance_id)
    if previous is not None:
        offset = max(offset, previous.offset + 0.001)
    post_id = f"{split}-d{dialogue_id}-u{utterance_id}"
    dialogues[dialogue_id] = _Dialogue(post_id, offset)
    created_at = MELD_EPOCH + dt.timedelta(days=dialogue_id, seconds=offset)
    fields = _post(
        post_id=post_id,
        source=source,
        created_at=created_at.isoformat(),
        text=row["Utterance"],
        author=_speaker_id(row["Speaker"]),
        author_name=" ".join(row["Speaker"].split()),
        parent_id=previous.last_id if previous else "",
        language="en",
        topics=_episode_tag(row["Season"], row["Episode"]),
        label=label,
    )
    return RawRow(line, fields)


def _start_seconds(start_time, utterance_id):
    """Offset of "HH:MM:SS,mmm" in seconds; Utterance_ID seconds when it is not that."""
    match = MELD_START_TIME.match(start_time.strip())
    if match is None:
        return float(utterance_id)
    hours, minutes, seconds, fraction = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


def _speaker_id(speaker):
    return "-".join(speaker.lower().split())


def _episode_tag(season, episode):
    if not (season.strip().isdigit() and episode.strip().isdigit()):
        return ()
    return (f"s{int(season):02}e{int(episode):02}",)


# --- SMP2020-EWECT ------------------------------------------------------------------------------

SMP2020_EPOCH = dt.datetime(2020, 1, 1, tzinfo=CHINA_TIME)
# SMP2020's six labels -> the project's classes (it has no disgust).
SMP2020_EMOTIONS = {
    "angry": "anger",
    "fear": "fear",
    "happy": "joy",
    "sad": "sadness",
    "surprise": "surprise",
    "neutral": "neutral",
}


def read_smp2020(path: Path | str, *, source: str = "weibo-smp2020") -> Rows:
    """Posts of an SMP2020-EWECT file: a JSON array of {id, content, label} (Chinese Weibo).

    Ids are "<file stem>-<id>" (ids restart in every file), e.g. "virus_test_labeled-17";
    `line` is the 1-based position in the array. Labels map by SMP2020_EMOTIONS; the data set
    has no dates: created_at is 2020-01-01T00:00:00+08:00 plus the position in seconds.
    """
    file = _existing_file(path, "SMP2020-EWECT JSON")
    try:
        items = json.loads(file.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileRejected(f"{file}: not a UTF-8 JSON array of posts ({exc})") from exc
    if not isinstance(items, list):
        raise FileRejected(f"{file}: expected a JSON array of {{id, content, label}} objects")
    return _smp2020_rows(file, items, source)


def _smp2020_rows(file, items, source):
    for line, item in enumerate(items, start=1):
        if not isinstance(item, dict) or "content" not in item or "id" not in item:
            yield RowError(file.name, line, "", "expected an object with id, content and label")
            continue
        label = SMP2020_EMOTIONS.get(str(item.get("label", "")).strip().lower())
        if label is None:
            message = f"label {item.get('label')!r} is not one of {', '.join(SMP2020_EMOTIONS)}"
            yield RowError(file.name, line, "label", message)
            continue
        created_at = SMP2020_EPOCH + dt.timedelta(seconds=line)
        fields = _post(
            post_id=f"{file.stem}-{item['id']}",
            source=source,
            created_at=created_at.isoformat(),
            text=str(item["content"]),
            language="zh",
            label=label,
        )
        yield RawRow(line, fields)
