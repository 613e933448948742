from django.core.management.base import BaseCommand

from emograph.monitoring.alerts import alerts_detect
from emograph.propagation.management.options import zoned_datetime


class Command(BaseCommand):
    help = "Judge the complete hours not judged yet and open or resolve alerts (as beat does)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            type=zoned_datetime,
            help="Pretend it is this time (ISO 8601), e.g. to replay history.",
        )

    def handle(self, *args, now, **options):
        report = alerts_detect(now=now)
        self.stdout.write(
            self.style.SUCCESS(
                f"{report['topics']} topics, {report['hours']} hours judged: {report['opened']} "
                f"alerts opened, {report['resolved']} resolved"
            )
        )
