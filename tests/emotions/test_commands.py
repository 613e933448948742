import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from emograph.emotions.encoders.text import TransformerTextEncoder
from emograph.emotions.heads import EmotionHead

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
EKMAN = DATA / "goemotions" / "ekman"


def goemotions_slice(folder, name, start, count):
    folder.mkdir(exist_ok=True)
    shutil.copy(EKMAN / "labels.txt", folder / "labels.txt")
    lines = (EKMAN / name).read_text("utf-8").splitlines()[start : start + count]
    (folder / name).write_text("\n".join(lines) + "\n", "utf-8")
    return folder / name


def run(command, **options):
    out = StringIO()
    call_command(command, stdout=out, stderr=StringIO(), **options)
    return json.loads(out.getvalue())


def test_evaluate_emotion_reports_every_metric(tmp_path):
    data = goemotions_slice(tmp_path / "ge", "test.tsv", 0, 120)
    result = run("evaluate_emotion", data=data, format="goemotions", out=tmp_path / "report")
    assert result["pipelines"]["english"]["examples"] == result["examples"] > 90
    for key in ("accuracy", "macro", "weighted", "per_class", "roc_auc_ovr", "cohen_kappa"):
        assert key in result
    assert set(result["macro"]) == {"precision", "recall", "f1"}
    assert 0.3 < result["macro"]["f1"] <= 1.0  # the shipped head, not chance (~0.14)
    matrix = result["confusion_matrix"]["matrix"]
    assert sum(map(sum, matrix)) == result["examples"]
    report = tmp_path / "report"
    assert json.loads((report / "metrics.json").read_text())["examples"] == result["examples"]
    assert "true \\ predicted" in (report / "confusion.txt").read_text()
    assert (report / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_emotion_routes_chinese_to_the_multilingual_head(tmp_path):
    items = json.loads((DATA / "smp2020_ewect" / "virus_test_labeled.txt").read_text("utf-8"))
    file = tmp_path / "virus_test_labeled.txt"
    file.write_text(json.dumps(items[:40], ensure_ascii=False), "utf-8")
    result = run("evaluate_emotion", data=file, format="smp2020")
    assert set(result["pipelines"]) == {"multilingual"}
    assert "disgust" not in result["classes"]  # SMP2020 has none; macro runs over its classes


def test_evaluate_emotion_bad_input_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("evaluate_emotion", data=tmp_path / "none.tsv", format="goemotions")


def test_train_emotion_writes_an_artefact_that_names_its_encoder(tiny_bert, tmp_path):
    train = goemotions_slice(tmp_path / "ge", "train.tsv", 0, 300)
    dev = goemotions_slice(tmp_path / "ge", "dev.tsv", 0, 120)
    out = tmp_path / "head.pt"
    result = run(
        "train_emotion",
        format="goemotions",
        train=train,
        dev=dev,
        encoder=str(tiny_bert),
        layers="1",
        name="tiny-head",
        out=out,
        cache=tmp_path / "cache",
        hidden=16,
    )
    assert result["out"] == str(out)
    assert "dev" in result
    head = EmotionHead.load(out)
    encoder = TransformerTextEncoder(tiny_bert, extra_layers=(1,))
    assert head.meta["encoder"]["version"] == encoder.version
    assert head.meta["encoder"]["extra_layers"] == [1]
    assert head.in_dim == encoder.dim == 64
    assert head.meta["data"]["train"]["examples"] > 250
    assert list((tmp_path / "cache").glob("*.npy")), "features are cached for the next run"


def test_train_emotion_rejects_bad_layers(tmp_path):
    with pytest.raises(CommandError, match="--layers"):
        call_command(
            "train_emotion", format="goemotions", train=tmp_path, dev=tmp_path,
            layers="a,b", name="x", out=tmp_path / "x.pt",
        )  # fmt: skip
