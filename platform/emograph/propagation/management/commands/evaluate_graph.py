import json
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from emograph.propagation.services import graph_model
from emograph.propagation.training import graph_evaluate, meld_inputs


class Command(BaseCommand):
    help = (
        "Weighted- and macro-F1 of content-only, label propagation and the GCN on a labelled "
        "conversation file, with the shipped artefacts (trains nothing). Prints JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", required=True, help="MELD-format CSV")
        parser.add_argument("--format", default="meld", choices=["meld"])
        parser.add_argument("--cache-dir", default="var/features")
        parser.add_argument("--out", help="also write the JSON to this file")

    def handle(self, *args, **options):
        if not Path(options["data"]).is_file():
            raise CommandError(f"{options['data']}: no such file")
        try:
            model = graph_model()
            inputs = meld_inputs(options["data"], cache_dir=options["cache_dir"])
        except (ImproperlyConfigured, ValueError) as problem:
            raise CommandError(str(problem)) from problem
        result = json.dumps(graph_evaluate(inputs, model), indent=1)
        if options["out"]:
            Path(options["out"]).parent.mkdir(parents=True, exist_ok=True)
            Path(options["out"]).write_text(result + "\n")
        self.stdout.write(result)
