from django.core.management.base import BaseCommand, CommandError

from emograph.monitoring.assign import post_topics_assign, watchlist_apply
from emograph.monitoring.trends import trend_buckets_rebuild
from emograph.social.models import Post, Topic


class Command(BaseCommand):
    help = (
        "Repair: recompute trend buckets from the raw predictions (every topic, or the named "
        "ones), optionally re-matching source topics and watchlists first."
    )

    def add_arguments(self, parser):
        parser.add_argument("topics", nargs="*", metavar="SLUG", help="Topic slugs (default all).")
        parser.add_argument(
            "--rematch",
            action="store_true",
            help="Re-match source topics and watchlist rules over every post.",
        )

    def handle(self, *args, topics, rematch, **options):
        topic_ids = None
        if topics:
            found = dict(Topic.objects.filter(slug__in=topics).values_list("slug", "id"))
            missing = sorted(set(topics) - set(found))
            if missing:
                raise CommandError(f"no topic with slug {', '.join(missing)}")
            topic_ids = list(found.values())
        if rematch:
            watchlists = Topic.objects.filter(kind=Topic.Kind.WATCHLIST)
            if topic_ids is not None:
                watchlists = watchlists.filter(id__in=topic_ids)
            for topic in watchlists:
                self.stdout.write(f"{topic.slug}: {watchlist_apply(topic_id=topic.id)} posts match")
            ids = list(Post.objects.values_list("id", flat=True))
            for start in range(0, len(ids), 5_000):
                post_topics_assign(post_ids=ids[start : start + 5_000])
        report = trend_buckets_rebuild(topic_ids=topic_ids, log=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"{report['hours']} topic-hours rebuilt; "
                f"{report['future_hours']} dated in the future left for later; "
                f"{report['stale_deleted']} buckets no post backs any more deleted"
            )
        )
