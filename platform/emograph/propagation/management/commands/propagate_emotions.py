from django.core.management.base import BaseCommand, CommandError

from emograph.propagation.management.options import zoned_datetime
from emograph.propagation.models import PropagationRun
from emograph.propagation.services import propagation_run_create
from emograph.social.models import Topic


class Command(BaseCommand):
    help = "Queue graph propagation over a time window (optionally one topic)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--since", required=True, type=zoned_datetime, help="ISO 8601 with zone"
        )
        parser.add_argument(
            "--until", required=True, type=zoned_datetime, help="ISO 8601 with zone"
        )
        parser.add_argument("--topic", help="topic slug")

    def handle(self, *args, **options):
        topic = None
        if options["topic"]:
            topic = Topic.objects.filter(slug=options["topic"]).first()
            if topic is None:
                raise CommandError(f"--topic {options['topic']}: no such topic")
        try:
            run = propagation_run_create(
                window_start=options["since"], window_end=options["until"], topic=topic
            )
        except ValueError as problem:
            raise CommandError(str(problem)) from problem
        run.refresh_from_db()
        if run.status != PropagationRun.Status.DONE:  # queued for a worker (or failed)
            self.stdout.write(f"run {run.pk}: {run.status}")
            return
        self.stdout.write(
            f"run {run.pk}: done, {run.written} graph predictions written, "
            f"{run.report.get('unchanged', 0)} already stored as they are"
        )
