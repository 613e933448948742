"""Readers of the public data sets: facts of the real files in shared/data, and small broken
files for the error paths. No database needed."""

import collections
import datetime as dt
import gzip
import json
import re
import shutil
from pathlib import Path

import pytest

from emograph.emotions.taxonomy import EMOTIONS
from ingest.formats.public import (
    read_goemotions,
    read_meld,
    read_rumoureval,
    read_smp2020,
    read_weibo_ced,
)
from ingest.records import FileRejected, PostRecord, RawRow, RowError, validate_row

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
FIELDS = {
    "id", "source", "created_at", "text", "author", "author_name", "parent_id", "language",
    "topics", "images", "label",
}  # fmt: skip


@pytest.fixture(scope="module")
def data():
    if not DATA.is_dir():
        pytest.fail(f"{DATA} is missing: these tests read the public data sets (shared/data)")
    return DATA


def split(items):
    """(RawRows, RowErrors) of a reader's output, checking both kinds are all there is."""
    items = list(items)
    rows = [item for item in items if isinstance(item, RawRow)]
    errors = [item for item in items if isinstance(item, RowError)]
    assert len(rows) + len(errors) == len(items)
    lines = [item.line for item in items]
    assert lines == sorted(set(lines)), "lines must be unique and increasing (importer resume)"
    return rows, errors


def invalid(rows, file_name="f"):
    """RowErrors of validate_row for rows that do not make a PostRecord."""
    outcomes = [validate_row(row, file_name=file_name) for row in rows]
    assert all(isinstance(o, PostRecord | RowError) for o in outcomes)
    return [o for o in outcomes if isinstance(o, RowError)]


def assert_contract(rows):
    for row in rows:
        assert set(row.fields) == FIELDS
        created = dt.datetime.fromisoformat(row.fields["created_at"])
        assert created.utcoffset() is not None, row.fields["created_at"]
    ids = [row.fields["id"] for row in rows]
    assert len(ids) == len(set(ids)), "ids must be unique"


def assert_parents_first(rows, missing=frozenset()):
    """Every parent_id names an id emitted before it (or one reported missing)."""
    seen = set()
    for row in rows:
        parent = row.fields["parent_id"]
        assert not parent or parent in seen or parent in missing, row
        seen.add(row.fields["id"])


def when(fields):
    return dt.datetime.fromisoformat(fields["created_at"])


def by_id(rows):
    return {row.fields["id"]: row.fields for row in rows}


# --- RumourEval ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("split_name", "threads", "posts", "missing", "orphans"),
    [("traindev", 297, 4519, 341, 0), ("test", 28, 1049, 6, 2)],
)
def test_rumoureval_real_split(data, split_name, threads, posts, missing, orphans):
    rows, errors = split(read_rumoureval(data / "rumoureval2017" / split_name))
    assert len(rows) == posts
    # structures.json names posts that posts.json lacks (deleted tweets): one RowError each.
    assert len(errors) == missing
    assert {(e.field, e.file) for e in errors} == {("id", f"{split_name}/posts.json")}
    missing_ids = {e.message.split()[1] for e in errors}
    assert_contract(rows)
    assert_parents_first(rows, missing=missing_ids)
    assert sum(1 for row in rows if not row.fields["parent_id"]) == threads
    assert sum(1 for row in rows if row.fields["parent_id"] in missing_ids) == orphans
    assert {row.fields["language"] for row in rows} == {"en"}
    assert {row.fields["label"] for row in rows} == {""}, "stance is not an emotion"
    assert {row.fields["author"] for row in rows} == {""}
    assert all(row.fields["created_at"].endswith("+00:00") for row in rows)
    assert invalid(rows) == []


def test_rumoureval_first_thread(data):
    rows, _ = split(read_rumoureval(data / "rumoureval2017" / "traindev"))
    first = rows[0].fields
    assert (first["id"], first["parent_id"]) == ("498280126254428160", "")
    assert first["created_at"] == "2014-08-09T17:30:14+00:00"
    assert first["topics"] == ["ferguson"]
    assert rows[1].fields["parent_id"] == "498280126254428160"
    texts = [row.fields["text"] for row in rows]
    assert not any("&amp;" in text for text in texts), "Twitter's HTML escapes are undone"
    assert sum("&" in text for text in texts) > 100


def test_rumoureval_synthetic_tree(tmp_path):
    (tmp_path / "posts.json").write_text(
        json.dumps(
            {
                "1": {"text": "root #Paris #paris #1 &lt;3", "time": 1420000000.0},
                "3": {"text": "reply to missing 2", "time": 1420000100},
                "4": {"text": "first reply", "time": 1420000050},
                "9": {"text": "in no thread", "time": 1420000000},
                "5": {"text": "bad time", "time": "yesterday"},
            }
        )
    )
    (tmp_path / "structures.json").write_text(
        json.dumps({"1": {"1": {"2": {"3": []}, "4": [], "5": []}}})
    )
    rows, errors = split(read_rumoureval(tmp_path))
    assert [(r.line, r.fields["id"], r.fields["parent_id"]) for r in rows] == [
        (1, "1", ""),
        (3, "4", "1"),
        (5, "3", "2"),
    ]
    assert rows[0].fields["topics"] == ["paris"]
    assert rows[0].fields["text"] == "root #Paris #paris #1 <3"
    assert [(e.line, e.field) for e in errors] == [(2, "id"), (4, "created_at"), (6, "id")]
    assert "not in posts.json" in errors[0].message
    assert "in no thread" in errors[2].message


@pytest.mark.parametrize("layout", ["missing", "file", "no-structures", "not-json"])
def test_rumoureval_bad_layout(tmp_path, layout):
    folder = tmp_path / "split"
    if layout == "file":
        folder.write_text("{}")
    elif layout != "missing":
        folder.mkdir()
        (folder / "posts.json").write_text("{}" if layout == "no-structures" else "{oops")
        if layout == "not-json":
            (folder / "structures.json").write_text("{}")
    with pytest.raises(ValueError, match=re.escape(str(folder))):
        read_rumoureval(folder)


# --- Weibo CED (synthetic: the real file is not on this machine) ---------------------------------


def ced_thread(**changes):
    """One thread line shaped like CED: the source post as in original-microblog/*.json (no id,
    a profile without id, pics a count), reposts newest first, a reply before its parent."""
    thread = {
        "thread": "0_yBmepBtUB_2279086572",
        "label": 1,
        "root": {
            "text": "人间惨剧 今天下午约14点……",
            "user": {"verified": False, "followers": 227833, "location": "上海", "time": 13121123},
            "pics": 1,
            "time": 1347334462,
            "comments": 55,
        },
        "reposts": [
            {"mid": "c3", "uid": "1911046455", "parent": "b2", "date": "2012-09-11 12:00:00",
             "text": "回复@b:好", "kids": []},
            {"mid": "b2", "uid": "liminguo", "parent": "", "date": "2012-09-11 11:00:00",
             "text": "每个人都有自己的角色", "kids": ["c3"]},
            {"mid": "a1", "uid": 1682763621, "parent": "", "date": "2012-09-11 10:00:00",
             "text": "", "kids": []},
        ],
    }  # fmt: skip
    thread.update(changes)
    return thread


def write_gzip(path, lines):
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for line in lines:
            out.write(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False))
            out.write("\n")
    return path


def test_weibo_ced_thread(tmp_path):
    second = ced_thread(
        thread="t2",
        root={"mid": "R2", "uid": "42", "text": "有图", "time": "2014-07-24 14:37:38",
              "pics": ["a.jpg", "b.jpg"]},
        reposts=[{"mid": "d4", "uid": "7", "parent": "R2", "date": 1406183858, "text": "嗯"}],
    )  # fmt: skip
    rows, errors = split(read_weibo_ced(write_gzip(tmp_path / "threads.jsonl.gz",
                                                   [ced_thread(), second])))  # fmt: skip
    assert errors == []
    assert_contract(rows)
    assert_parents_first(rows)
    assert [(r.line, r.fields["id"], r.fields["parent_id"]) for r in rows] == [
        (1, "0_yBmepBtUB_2279086572", ""),
        (2, "b2", "0_yBmepBtUB_2279086572"),
        (3, "a1", "0_yBmepBtUB_2279086572"),
        (4, "c3", "b2"),
        (5, "R2", ""),
        (6, "d4", "R2"),
    ]
    posts = by_id(rows)
    root = posts["0_yBmepBtUB_2279086572"]
    assert root["created_at"] == "2012-09-11T11:34:22+08:00"  # 1347334462 in China time
    assert root["author"] == "2279086572", "from the CED file stem: the profile has no id"
    assert root["images"] == [], "pics is a count in CED, not file names"
    assert posts["b2"]["created_at"] == "2012-09-11T11:00:00+08:00"
    assert posts["a1"]["author"] == "1682763621"
    assert posts["R2"]["author"] == "42"
    assert posts["R2"]["images"] == ["a.jpg", "b.jpg"]
    assert posts["R2"]["created_at"] == "2014-07-24T14:37:38+08:00"
    assert posts["d4"]["created_at"] == "2014-07-24T14:37:38+08:00"
    assert {post["language"] for post in posts.values()} == {"zh"}
    assert {post["label"] for post in posts.values()} == {""}, "rumour is not an emotion"
    # CED reposts without a comment have empty text: validate_row rejects them.
    assert [(e.line, e.field) for e in invalid(rows)] == [(3, "text")]


def test_weibo_ced_bad_lines_are_row_errors_and_reading_goes_on(tmp_path):
    lines = [
        ced_thread(thread="1_a_1"),
        "{not json",
        ["a", "list"],
        ced_thread(thread="4_b_2", reposts=[{"uid": "x", "date": "2012-01-01 00:00:00"},
                                            {"mid": "m", "date": "tomorrow"}, "x"]),
        ced_thread(thread="5_c_3", reposts=[], root=None),
        ced_thread(thread="6_d_4", reposts=[]),
    ]  # fmt: skip
    rows, errors = split(read_weibo_ced(write_gzip(tmp_path / "t.jsonl.gz", lines)))
    assert [r.fields["id"] for r in rows] == ["1_a_1", "b2", "a1", "c3", "4_b_2", "6_d_4"]
    assert [(e.line, e.field, e.message.split(": ", 1)[1][:22]) for e in errors] == [
        (5, "", "not valid JSON (Expect"),
        (6, "", "each line must be a JS"),
        (8, "id", "thread '4_b_2': a repo"),
        (9, "created_at", "date 'tomorrow' of rep"),
        (10, "", "thread '4_b_2': a repo"),
        (11, "root", "thread '5_c_3' has no "),
    ]
    assert errors[0].message.startswith("line 2 of the file: ")
    assert {e.file for e in errors} == {"t.jsonl.gz"}


def test_weibo_ced_time_formats(tmp_path):
    dates = [1406183858000, "1406183858", "2014-07-24T06:37:38Z", "2014-07-24 14:37", "2014-07-24"]
    reposts = [
        {"mid": f"m{n}", "uid": "1", "parent": "", "date": date, "text": "x"}
        for n, date in enumerate(dates)
    ]
    path = tmp_path / "t.jsonl.gz"
    write_gzip(path, [ced_thread(reposts=reposts)])
    with gzip.open(path, "ab") as out:
        out.write(b"\n" + b'{"thread": "caf\xe9"}\n')  # a blank line, then broken UTF-8
    rows, errors = split(read_weibo_ced(path))
    assert [r.fields["created_at"] for r in rows[1:]] == [
        "2014-07-24T14:37:38+08:00",  # unix milliseconds
        "2014-07-24T14:37:38+08:00",  # unix seconds as text
        "2014-07-24T06:37:38Z",  # ISO with a zone: as is
        "2014-07-24T14:37:00+08:00",  # Weibo's local time without seconds
    ]
    bad_date = "line 1 of the file: date '2014-07-24' of repost m4 is not a known date format"
    assert [(e.line, e.field, e.message) for e in errors] == [
        (6, "created_at", bad_date),
        (7, "", "line 3 of the file: not valid UTF-8 text (byte 15)"),
    ]


def test_weibo_ced_file_problems(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        read_weibo_ced(tmp_path / "threads.jsonl.gz")
    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps(ced_thread()) + "\n")
    with pytest.raises(ValueError, match="not a gzip file"):
        read_weibo_ced(plain)


def test_weibo_ced_streams_until_a_damaged_gzip_ends(tmp_path):
    whole = write_gzip(tmp_path / "whole.gz", [ced_thread(thread=f"{n}_x_1") for n in range(50)])
    cut = tmp_path / "cut.gz"
    cut.write_bytes(whole.read_bytes()[:-40])
    reader = read_weibo_ced(cut)
    first = next(reader)
    assert first.fields["id"] == "0_x_1", "rows come out before the file is read to its end"
    with pytest.raises(ValueError, match="gzip stream is damaged"):
        list(reader)


# --- GoEmotions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "comments", "labelled"),
    [("train.tsv", 43410, 39555), ("dev.tsv", 5426, 4946), ("test.tsv", 5427, 4968)],
)
def test_goemotions_real_ekman(data, file_name, comments, labelled):
    rows, errors = split(read_goemotions(data / "goemotions" / "ekman" / file_name))
    assert errors == []
    assert len(rows) == comments
    assert sum(1 for row in rows if row.fields["label"]) == labelled
    assert_contract(rows)
    assert {row.fields["label"] for row in rows} == {*EMOTIONS, ""}
    assert {(row.fields["source"], row.fields["language"]) for row in rows} == {("reddit", "en")}
    dates = [row.fields["created_at"] for row in rows]
    assert dates == sorted(dates), "synthetic dates keep the file order"
    assert invalid(rows) == []


def test_goemotions_labels_map_by_name_not_position(data):
    rows, _ = split(read_goemotions(data / "goemotions" / "ekman" / "test.tsv"))
    first = rows[0].fields
    # Label id 5 is "sadness" in labels.txt, while index 5 of the project's taxonomy is surprise.
    assert first["text"].startswith("I\u2019m really sorry about your situation :(")
    assert (first["id"], first["label"], EMOTIONS[5]) == ("eecwqtt", "sadness", "surprise")
    assert first["created_at"] == "2019-01-01T00:00:01+00:00"
    counts = collections.Counter(row.fields["label"] for row in rows)
    assert counts == {
        "joy": 1863, "neutral": 1606, "anger": 572, "surprise": 488, "sadness": 283,
        "fear": 80, "disgust": 76, "": 459,
    }  # fmt: skip


def test_goemotions_original_28_labels_are_refused(data):
    with pytest.raises(ValueError, match="goemotions/ekman folder"):
        read_goemotions(data / "goemotions" / "original" / "test.tsv")


def goemotions_folder(tmp_path, text):
    (tmp_path / "labels.txt").write_text("anger\ndisgust\nfear\njoy\nneutral\nsadness\nsurprise")
    tsv = tmp_path / "test.tsv"
    tsv.write_text(text, encoding="utf-8")
    return tsv


def test_goemotions_bad_rows(tmp_path):
    tsv = goemotions_folder(
        tmp_path,
        'He said "no" and left\t0\tid1\n'
        "bad id\t9\tid2\n"
        "not a number\tx\tid3\n"
        "two cells\t3\n"
        "\n"
        "two labels\t3,6\tid6\n",
    )
    rows, errors = split(read_goemotions(tsv))
    assert [(r.line, r.fields["id"], r.fields["label"]) for r in rows] == [
        (1, "id1", "anger"),
        (6, "id6", ""),
    ]
    assert rows[0].fields["text"] == 'He said "no" and left', "quotes are text"
    assert [(e.line, e.field) for e in errors] == [(2, "label"), (3, "label"), (4, "")]
    assert errors[0].message == "label id '9' is not an index of labels.txt (0-6)"


def test_goemotions_file_problems(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        read_goemotions(tmp_path / "test.tsv")
    (tmp_path / "test.tsv").write_text("a\t1\tx\n")
    with pytest.raises(ValueError, match=r"labels\.txt: missing"):
        read_goemotions(tmp_path / "test.tsv")


# --- MELD ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "utterances", "dialogues"),
    [("train_sent_emo.csv", 9989, 1038), ("dev_sent_emo.csv", 1109, 114)],
)
def test_meld_real_split(data, file_name, utterances, dialogues):
    rows, errors = split(read_meld(data / "meld" / file_name))
    assert errors == []
    assert len(rows) == utterances
    assert_contract(rows)
    assert_parents_first(rows)
    assert sum(1 for row in rows if not row.fields["parent_id"]) == dialogues
    prefix = file_name.split("_")[0] + "-d"
    assert all(row.fields["id"].startswith(prefix) for row in rows)
    assert {row.fields["label"] for row in rows} == set(EMOTIONS)
    posts = by_id(rows)
    for post in posts.values():
        parent = posts.get(post["parent_id"])
        if parent:
            assert post["id"].split("-u")[0] == parent["id"].split("-u")[0], "same dialogue"
            assert when(post) > when(parent), "a reply never predates its parent"
    assert invalid(rows) == []


def test_meld_train_facts(data):
    rows, _ = split(read_meld(data / "meld" / "train_sent_emo.csv"))
    counts = collections.Counter(row.fields["label"] for row in rows)
    assert counts == {
        "neutral": 4710, "joy": 1743, "surprise": 1205, "anger": 1109, "sadness": 683,
        "disgust": 271, "fear": 268,
    }  # fmt: skip
    first, second = rows[0].fields, rows[1].fields
    assert (rows[0].line, first["id"], first["parent_id"]) == (2, "train-d0-u0", "")
    assert (second["id"], second["parent_id"]) == ("train-d0-u1", "train-d0-u0")
    assert (second["author"], second["author_name"]) == ("the-interviewer", "The Interviewer")
    assert first["topics"] == ["s08e21"]
    assert first["created_at"] == "2000-01-01T00:16:16.059000+00:00"


MELD_HEADER = (
    "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,"
    "StartTime,EndTime\r\n"
)


def test_meld_bad_rows_and_synthetic_times(tmp_path):
    csv_file = tmp_path / "test_sent_emo.csv"
    csv_file.write_text(
        MELD_HEADER
        + '1,"Hi, you.",Ross,joy,positive,3,0,1,2,"00:01:00,500","00:01:02,000"\r\n'
        + '2,Missing a cell,Ross,joy,positive,3,1,1,2,"00:01:03,000"\r\n'
        + '3,Overlap,Rachel,surprise,positive,3,2,1,2,"00:00:59,000","00:01:04,000"\r\n'
        + "4,No clip,Mr.  Geller,neutral,neutral,3,3,1,2,?,?\r\n"
        + '5,Bored,Joey,boredom,negative,3,4,1,2,"00:01:09,000","00:01:10,000"\r\n'
        + '6,Next,Joey,anger,negative,x,0,1,2,"00:01:09,000","00:01:10,000"\r\n',
        encoding="utf-8",
        newline="",
    )
    rows, errors = split(read_meld(csv_file))
    assert [(r.fields["id"], r.fields["parent_id"], r.fields["created_at"]) for r in rows] == [
        ("test-d3-u0", "", "2000-01-04T00:01:00.500000+00:00"),
        ("test-d3-u2", "test-d3-u0", "2000-01-04T00:01:00.501000+00:00"),  # clips overlap
        ("test-d3-u3", "test-d3-u2", "2000-01-04T00:01:00.502000+00:00"),  # no StartTime
    ]
    assert rows[0].fields["text"] == "Hi, you."
    assert (rows[2].fields["author"], rows[2].fields["author_name"]) == ("mr.-geller", "Mr. Geller")
    assert [(e.line, e.field, e.message) for e in errors] == [
        (3, "", "10 cells but the header has 11 columns"),
        (6, "label", "emotion 'boredom' is not one of MELD's " + ", ".join(EMOTIONS)),
        (7, "id", "Dialogue_ID 'x' / Utterance_ID '0' are not whole numbers"),
    ]


def test_meld_start_time_fallback_is_utterance_seconds(tmp_path):
    csv_file = tmp_path / "dev_sent_emo.csv"
    csv_file.write_text(MELD_HEADER + "1,Hey,Ross,joy,positive,0,7,1,1,,\r\n", newline="")
    rows, _ = split(read_meld(csv_file))
    assert rows[0].fields["created_at"] == "2000-01-01T00:00:07+00:00"


def test_meld_file_problems(tmp_path, data):
    with pytest.raises(ValueError, match="does not exist"):
        read_meld(tmp_path / "train_sent_emo.csv")
    renamed = tmp_path / "friends.csv"
    shutil.copy(data / "meld" / "dev_sent_emo.csv", renamed)
    with pytest.raises(ValueError, match="cannot tell the split"):
        read_meld(renamed)
    no_speaker = tmp_path / "train_sent_emo.csv"
    no_speaker.write_text(MELD_HEADER.replace("Speaker,", "") + "1,Hi,joy,positive,0,0,1,1,,\n")
    with pytest.raises(ValueError, match=r"line 1: missing column\(s\) Speaker"):
        read_meld(no_speaker)


# --- SMP2020-EWECT ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "posts", "labels"),
    [
        ("virus_train.txt", 8606, {"anger", "fear", "joy", "sadness", "surprise", "neutral"}),
        (
            "virus_test_labeled.txt",
            3000,
            {"anger", "fear", "joy", "sadness", "surprise", "neutral"},
        ),
    ],
)
def test_smp2020_real_files(data, file_name, posts, labels):
    rows, errors = split(read_smp2020(data / "smp2020_ewect" / file_name))
    assert errors == []
    assert len(rows) == posts
    assert {row.fields["label"] for row in rows} == labels  # no disgust in SMP2020
    assert {row.fields["language"] for row in rows} == {"zh"}
    assert_contract(rows)
    assert invalid(rows) == []
    first = rows[0].fields
    assert first["id"] == f"{Path(file_name).stem}-1"
    assert first["created_at"] == "2020-01-01T00:00:01+08:00"


def test_smp2020_bad_items_are_row_errors(tmp_path):
    file = tmp_path / "usual_test.txt"
    items = [
        {"id": 1, "content": "好开心", "label": "happy"},
        {"id": 2, "content": "恶心", "label": "disgusted"},
        ["not", "an", "object"],
        {"id": 4, "content": "害怕", "label": "fear"},
    ]
    file.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    rows, errors = split(read_smp2020(file))
    assert [row.fields["label"] for row in rows] == ["joy", "fear"]
    assert [(e.line, e.field) for e in errors] == [(2, "label"), (3, "")]
    assert "'disgusted' is not one of angry, fear, happy" in errors[0].message


def test_smp2020_file_problems(tmp_path):
    with pytest.raises(FileRejected, match="does not exist"):
        read_smp2020(tmp_path / "missing.txt")
    (tmp_path / "object.txt").write_text('{"id": 1}')
    with pytest.raises(FileRejected, match="expected a JSON array"):
        read_smp2020(tmp_path / "object.txt")
    (tmp_path / "broken.txt").write_bytes(b'[{"id": 1, "content": "\xff')
    with pytest.raises(FileRejected, match="not a UTF-8 JSON array"):
        read_smp2020(tmp_path / "broken.txt")
