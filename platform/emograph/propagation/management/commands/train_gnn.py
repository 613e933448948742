import shlex
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from emograph.propagation.management.options import zoned_datetime
from emograph.propagation.training import graph_model_train, meld_inputs, platform_inputs


class Command(BaseCommand):
    help = (
        "Train the graph model (residual GCN over content probabilities) on labelled "
        "conversations: a MELD CSV (dialogues as reply chains), or the platform's own posts "
        "in a window (human annotations plus confident content predictions)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", help="MELD-format CSV (e.g. train_sent_emo.csv)")
        parser.add_argument("--format", default="meld", choices=["meld"])
        parser.add_argument("--platform", action="store_true", help="train on the database")
        parser.add_argument(
            "--since", type=zoned_datetime, help="platform window start, ISO 8601 with zone"
        )
        parser.add_argument(
            "--until", type=zoned_datetime, help="platform window end, ISO 8601 with zone"
        )
        parser.add_argument(
            "--confident",
            type=float,
            default=0.9,
            help="content predictions at least this sure count as labels",
        )
        parser.add_argument("--hidden", type=int, default=64)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", default=str(settings.EMOGRAPH_GRAPH_MODEL))
        parser.add_argument("--cache-dir", default="var/features")

    def handle(self, *args, **options):
        log = self.stdout.write
        if options["platform"] == bool(options["data"]):
            raise CommandError("give either --data PATH or --platform")
        try:
            if options["platform"]:
                for key in ("since", "until"):
                    if options[key] is None:
                        raise CommandError(
                            f"--{key}: an ISO 8601 date-time with a zone is required"
                        )
                inputs = platform_inputs(
                    options["since"], options["until"], confident=options["confident"]
                )
            else:
                if not Path(options["data"]).is_file():
                    raise CommandError(f"{options['data']}: no such file")
                inputs = meld_inputs(options["data"], cache_dir=options["cache_dir"])
            model = graph_model_train(
                inputs, hidden=options["hidden"], seed=options["seed"], log=log,
                command=shlex.join(["python", *sys.argv]),
            )  # fmt: skip
        except ValueError as problem:
            raise CommandError(str(problem)) from problem
        out = Path(options["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        model.save(out)
        log(f"saved {out} ({out.stat().st_size} bytes, version {model.version})")
