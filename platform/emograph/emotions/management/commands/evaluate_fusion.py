"""python manage.py evaluate_fusion [--goemotions DIR] [--train N --dev N --test N]"""

import json
from pathlib import Path

import matplotlib
from django.conf import settings
from django.core.management.base import BaseCommand

from emograph.emotions.fusion import gate_save
from emograph.emotions.fusion_study import fusion_compare
from emograph.emotions.image_evidence import image_models
from emograph.emotions.pipelines import text_pipelines

FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


class Command(BaseCommand):
    help = (
        "Compare text-only, image-only, early, late and gated fusion on memes built from "
        "GoEmotions comments and real photos (see emotions/fusion_study.py for how)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--goemotions",
            type=Path,
            default=settings.REPO_DIR.parent / "shared" / "data" / "goemotions" / "ekman",
        )
        parser.add_argument("--train", type=int, default=1200)
        parser.add_argument("--dev", type=int, default=300)
        parser.add_argument("--test", type=int, default=800)
        parser.add_argument(
            "--save-gate", type=Path, help="Save the trained gated-fusion model here (.pt)."
        )

    def handle(self, *, goemotions, train, dev, test, save_gate, **options):
        result = fusion_compare(
            goemotions_dir=goemotions,
            pipeline=text_pipelines()["english"],
            image_models=image_models(),
            font=str(FONT),
            sizes=(train, dev, test),
            log=lambda line: self.stderr.write(line),
        )
        self.stdout.write(
            f"{'method':40} {'macro-F1':>9} {'acc':>7} "
            + " ".join(f"{'acc ' + k:>15}" for k in ("aligned", "unrelated", "image_only"))
        )
        for method, row in result["results"].items():
            self.stdout.write(
                f"{method:40} {row['macro_f1']:9.3f} {row['accuracy']:7.3f} "
                + " ".join(
                    f"{row['acc_' + k]:15.3f}" for k in ("aligned", "unrelated", "image_only")
                )
            )
        gate = result.pop("gate")
        if save_gate:
            gate_save(gate, save_gate, meta={"trained_by": "evaluate_fusion", **result})
            result["gate_saved"] = str(save_gate)
        self.stdout.write(json.dumps(result))
