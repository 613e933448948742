import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from emograph.propagation.models import PropagationRun
from emograph.propagation.services import graph_model
from gnn.artefact import GraphModel

MELD_DEV = Path(__file__).resolve().parents[2].parent / "shared/data/meld/dev_sent_emo.csv"
pytestmark = pytest.mark.skipif(not MELD_DEV.is_file(), reason="../shared/data/meld is missing")


def meld_subset(folder, dialogues, name="train_sent_emo.csv"):
    """The first `dialogues` dialogues of MELD dev under a split name the reader accepts."""
    with MELD_DEV.open(newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source))
    keep = [r for r in rows[1:] if int(r[5]) < dialogues]
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([rows[0], *keep])
    return path


def test_evaluate_graph_on_meld_dev_with_the_shipped_artefact(capsys, tmp_path):
    call_command("evaluate_graph", "--data", str(MELD_DEV), "--cache-dir", str(tmp_path))
    result = json.loads(capsys.readouterr().out)
    rows = result["rows"]
    assert result["posts"] == 1109
    assert set(rows) == {"content_only", "label_propagation", "gcn", "gcn_no_edges_control"}
    # The shipped model's claim, re-measured: at least 2 points of weighted-F1 over content.
    assert rows["gcn"]["weighted_f1"] >= rows["content_only"]["weighted_f1"] + 0.02
    assert result["graph_model"].endswith(graph_model().version)


def test_train_gnn_then_evaluate_graph_use_the_new_artefact(capsys, tmp_path, settings):
    train = meld_subset(tmp_path, 60)
    out = tmp_path / "graph.pt"
    call_command("train_gnn", "--data", str(train), "--out", str(out), "--cache-dir", str(tmp_path))
    model = GraphModel.load(out)
    assert model.meta["trained_on"] == str(train)
    assert {"content_only", "gcn_no_edges", "gcn_reply"} <= set(
        model.meta["validation_weighted_f1"]
    )
    settings.EMOGRAPH_GRAPH_MODEL = out
    capsys.readouterr()
    call_command("evaluate_graph", "--data", str(train), "--cache-dir", str(tmp_path))
    result = json.loads(capsys.readouterr().out)
    assert result["graph_model"].endswith(model.version)


def test_train_gnn_refuses_data_without_labels(tmp_path):
    path = tmp_path / "train_sent_emo.csv"
    with MELD_DEV.open(encoding="utf-8") as source:
        path.write_text(source.readline(), encoding="utf-8")  # the header only
    with pytest.raises(CommandError, match="no labelled utterances"):
        call_command("train_gnn", "--data", str(path), "--out", str(tmp_path / "g.pt"))


@pytest.mark.django_db
def test_train_gnn_on_a_platform_window_without_labels_says_so(tmp_path):
    with pytest.raises(CommandError, match="0 labelled posts; need at least 20"):
        call_command("train_gnn", "--platform", "--since", "2026-01-01T00:00Z",
                     "--until", "2026-02-01T00:00Z", "--out", str(tmp_path / "g.pt"))  # fmt: skip


def test_train_gnn_needs_a_zoned_window_and_one_source(tmp_path):
    with pytest.raises(CommandError, match="either --data PATH or --platform"):
        call_command("train_gnn")
    with pytest.raises(CommandError, match="--since: an ISO 8601"):
        call_command("train_gnn", "--platform", "--since", "2026-01-01", "--until", "x")


def test_evaluate_graph_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match=r"gone\.csv: no such file"):
        call_command("evaluate_graph", "--data", str(tmp_path / "gone.csv"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("2026-01-01", r"--since: an ISO 8601 date-time with a zone is required, got '2026-01-01'"),
        ("2026-13-01T00:00Z", r"--since: an ISO 8601 date-time with a zone is required"),
    ],
)
def test_propagate_emotions_names_a_bad_window_bound(since, expected):
    with pytest.raises(CommandError, match=expected):
        call_command("propagate_emotions", "--since", since, "--until", "2026-02-01T00:00Z")


@pytest.mark.django_db
def test_propagate_emotions_refuses_an_unknown_topic_and_an_empty_window():
    with pytest.raises(CommandError, match="--topic nope: no such topic"):
        call_command("propagate_emotions", "--since", "2026-01-01T00:00Z",
                     "--until", "2026-02-01T00:00Z", "--topic", "nope")  # fmt: skip
    with pytest.raises(CommandError, match="empty window"):
        call_command("propagate_emotions", "--since", "2026-01-01T00:00Z",
                     "--until", "2026-01-01T00:00Z")  # fmt: skip


@pytest.mark.django_db
def test_propagate_emotions_runs_a_window(capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("propagate_emotions", "--since", "2026-01-01T00:00Z",
                     "--until", "2026-02-01T00:00Z")  # fmt: skip
    run = PropagationRun.objects.get()
    assert capsys.readouterr().out == f"run {run.pk}: queued\n"  # runs when the test commits
    assert run.status == PropagationRun.Status.DONE
    assert run.window_start.isoformat() == "2026-01-01T00:00:00+00:00"


@pytest.mark.django_db(transaction=True)
def test_propagate_emotions_prints_what_an_eager_run_wrote():
    out = io.StringIO()
    call_command("propagate_emotions", "--since", "2026-01-01T00:00Z",
                 "--until", "2026-02-01T00:00Z", stdout=out)  # fmt: skip
    run = PropagationRun.objects.get()
    assert out.getvalue() == (
        f"run {run.pk}: done, 0 graph predictions written, 0 already stored as they are\n"
    )
