"""python manage.py evaluate_emotion --data PATH --format F [--pipeline auto] [--out DIR]"""

import json
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from emograph.emotions.datasets import LABELLED_FORMATS
from emograph.emotions.evaluation import emotion_evaluate
from ingest.records import FileRejected


class Command(BaseCommand):
    help = (
        "Evaluate the shipped content emotion pipelines on a labelled file: accuracy, macro and "
        "weighted P/R/F1, per-class report, confusion matrix, one-vs-rest ROC-AUC, Cohen's kappa."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, required=True)
        parser.add_argument("--format", choices=LABELLED_FORMATS, required=True)
        parser.add_argument(
            "--pipeline",
            choices=("auto", "english", "multilingual"),
            default="auto",
            help="auto routes each text by language, as scoring does.",
        )
        parser.add_argument(
            "--out",
            type=Path,
            help="Also write metrics.json, confusion.txt and confusion.png here.",
        )

    def handle(self, *, data, format, pipeline, out, **options):
        try:
            result = emotion_evaluate(path=data, fmt=format, pipeline=pipeline, out_dir=out)
        except (FileRejected, ImproperlyConfigured, ValueError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(result, indent=1))
