"""Crisis monitoring on a real worker: a week of a town's posts with an angry spike at the
end is imported, scored by the real English pipeline, bucketed, judged, and the one alert it
raises is delivered to a local webhook."""

import datetime as dt
import json

import pytest

from emograph.monitoring.models import Alert, Notification, Subscription, TrendBucket
from emograph.monitoring.tasks import detect_crises
from emograph.social.models import Post, Topic
from ingest.models import ImportJob
from ingest.services import import_job_create, import_job_run
from tests.monitoring.webhook import signature_valid, webhook_server

from ..conftest import running_worker

pytestmark = pytest.mark.worker
CALM = [
    "The ferry timetable for next week is online now.",
    "Lovely sunny morning at the harbour, great coffee!",
    "The council meeting starts at 7pm in the town hall.",
    "Thanks everyone for coming to the festival, what a day!",
    "Road works on Main Street continue until Friday.",
]
ANGRY = [
    "This is outrageous, they lied to us again and I am furious!",
    "I am so angry at the council, absolutely disgraceful!",
    "How dare they cut the ferry service, this is infuriating!",
    "Disgusting behaviour from the mayor, I am livid.",
]
SPIKE = dt.datetime(2026, 11, 20, 17, tzinfo=dt.UTC)  # spike hours: 17:00 and 18:00
PER_HOUR = 24


def timeline(path):
    """The same two evening hours on the 7 days before the spike (2 angry posts in 24) and on
    the spike day (15 in 24): the detector compares an hour with the same hour of past days.
    Spike replies answer the first angry post, so the thread shows up in the explanation."""
    rows = []
    for day in range(7, -1, -1):
        for hour in (0, 1):
            start = SPIKE - dt.timedelta(days=day) + dt.timedelta(hours=hour)
            angry = 15 if day == 0 else 2
            for i in range(PER_HOUR):
                text = ANGRY[i % len(ANGRY)] if i < angry else CALM[i % len(CALM)]
                row = {"id": f"d{day}h{hour}p{i}", "source": "town",
                       "created_at": (start + dt.timedelta(minutes=2 * i)).isoformat(),
                       "text": text, "author": f"user{(i * 7 + day) % 13}",
                       "topics": ["harbour-town"], "language": "en"}  # fmt: skip
                if day == 0 and 0 < i < angry:
                    row["parent_id"] = "d0h0p0"
                rows.append(row)
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return len(rows)


@pytest.mark.django_db(transaction=True)
def test_a_spike_raises_one_explained_alert_delivered_once_to_a_webhook(tmp_path, settings):
    settings.EMOGRAPH_SCORE_ON_IMPORT = True
    settings.EMOGRAPH_SCORE_BATCH = 128
    data = tmp_path / "town.jsonl"
    total = timeline(data)
    env = {"EMOGRAPH_SCORE_ON_IMPORT": "1", "EMOGRAPH_BASE_URL": "https://emograph.test"}
    with webhook_server() as (url, received), running_worker(tmp_path, env=env) as worker:
        job = import_job_create(channel=ImportJob.Channel.CLI, format="jsonl", path=data)
        import_job_run(job_id=job.pk, path=data)
        assert Post.objects.count() == total
        town = Topic.objects.get(slug="harbour-town")
        Subscription.objects.create(channel="webhook", target=url, secret="s", topic=town)
        hours = TrendBucket.objects.filter(topic__slug="harbour-town", granularity="hour",
                                           stage="content")  # fmt: skip
        worker.wait_until(lambda: sum(hours.values_list("n", flat=True)) == total,
                          "the trend buckets did not take in every scored post")  # fmt: skip

        # The hourly beat, as it would run at 19:05 after the spike's second hour.
        detect_crises.delay((SPIKE + dt.timedelta(hours=2, minutes=5)).isoformat())
        worker.wait_until(lambda: Notification.objects.filter(state="sent").exists(),
                          "no notification was delivered")  # fmt: skip
        detect_crises.delay((SPIKE + dt.timedelta(hours=2, minutes=40)).isoformat())  # rerun
        worker.wait_until(lambda: detections_done(worker) == 2, "the rerun did not finish")
        log = worker.log.read_text()

    # The posts are in two topics, their tag and their source (all of "town"): one alert each.
    topics = Alert.objects.values_list("topic__slug", flat=True)
    assert sorted(topics) == ["harbour-town", "source-town"], log[-3000:]
    alert = Alert.objects.get(topic=town)
    assert alert.state == "open"
    assert alert.started_at == SPIKE
    assert alert.detected_at == SPIKE + dt.timedelta(hours=1)
    assert alert.emotion in ("negative", "anger")
    assert alert.observed > 0.4
    assert alert.expected < 0.2
    x = alert.explanation
    assert x["posts"] == PER_HOUR
    assert x["mix"]["change"]["anger"] > 0.2
    assert any(p["text"] in ANGRY for p in x["top_posts"])
    assert x["threads"][0]["root"]["text"] == ANGRY[0]
    assert x["threads"][0]["replies"] >= 10
    assert x["users"]
    assert len(received) == 1  # one delivery, none repeated by the rerun
    assert signature_valid(received[0], "s")
    body = received[0]["json"]
    assert body["event"] == "alert.opened"
    assert body["alert"]["id"] == alert.id
    assert body["alert"]["link"].startswith("https://emograph.test/topics/harbour-town/")
    assert Notification.objects.get().state == "sent"  # the source topic has no subscriber
    assert "emograph.monitoring.tasks.posts_scored" in log


def detections_done(worker):
    lines = worker.log.read_text().splitlines()
    return sum("tasks.detect_crises[" in line and "succeeded" in line for line in lines)
