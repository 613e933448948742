"""Crisis-detector quality: synthetic negative spikes injected into real background timelines.

    .venv/bin/python bench/alerts.py [--tune] [--jobs 2]

Backgrounds: the posts, their labels and the volume profile are real; the hourly clock is
simulated (2 weeks of history, never evaluated, then 4 evaluated weeks; Monday 00:00 first).
- RumourEval 2017 (PHEME subset: real tweets and replies of 2014-2016 breaking-news events with
  real timestamps). Threads are grouped into events by root time (a gap of more than 5 days
  starts a new one) and neighbouring events merged until a topic holds TOPIC_POSTS posts. Every
  post is labelled by the shipped English content pipeline (MiniLM + GoEmotions-Ekman head,
  argmax; features cached under var/features, about a minute the first time). A topic's posts
  are replayed in their real time order, so replies of a thread arrive together (real temporal
  clustering of emotions), cycling on from a random first post when they run out. The pools are
  small (800-1,400 posts), so one heated thread comes back every 8-14 hours at 100 posts/hour:
  that is a real surge of the background, and the bench counts alerts on it as false.
- SMP2020-EWECT (Chinese Weibo posts with human emotion labels, no timestamps): replayed in
  file order with their human labels, as Chinese topics.
- Weibo CED (Chinese Weibo threads with repost times) is used when
  ../shared/data/weibo_ced/threads.jsonl.gz exists, labelled by the multilingual pipeline (at
  most CED_POSTS posts a topic; slow on CPU the first time, then cached). It is missing on the
  machine this was written on, so that path has not been run on the real file.
Hourly volume: Poisson around a level (30 or 100 posts/hour on average) times an hour-of-week
profile, the product of the hour-of-day and day-of-week histograms of all RumourEval posting
times (UTC), each shrunk halfway towards flat: they come from some 67 days of a dozen events, so
unshrunk they carry event timing (Saturday would be nearly empty). Peak/trough is about 8x, so
at 30 posts/hour the quietest hours hold about 10 posts.

Spikes: each timeline gets one spike size k and length L (hours); spikes start at random hours,
2-3 days apart (about 2.7 a week, which sets how precision and the false-alert rate relate). In
every spike hour round(k * sd * n_t) posts that are not negative (joy, surprise, neutral) are
relabelled to one negative emotion (anger, disgust, fear or sadness, drawn per spike). sd is the
standard deviation of the hourly negative share over the evaluated hours of the spike-free
timeline (the table; the issue's "negative-emotion spike"). Two other sizings are shown for the
target rows: "hourly" (that sd scaled to the hour's volume, so every spike is k sd for its own
hour) and "emotion" (the spiked emotion's own share: for a rare emotion such as disgust 3 sd can
be a single post, which no detector can tell from noise). A spike is detected by an episode
whose alert opens in [start, start + L + 1] (up to 2 hours after its last hour); delay = opening
hour - start, in hourly buckets. An episode that detects no spike is a false alert; on the
spike-free timelines every episode is one (reported per topic per simulated week).

Detectors, on the same timelines: `detection.replay` with the default DetectorSettings, and a
naive fixed threshold (negative share above mean + 3 sd of the history weeks, in hours with at
least min_posts posts, no seasonality), grouped into episodes the same way (one open alert per
topic until calm_buckets calm hours).

Tuning: the detector's defaults were chosen on the development timelines only (RumourEval
traindev events, SMP2020 virus_train; `--tune` prints the one-setting-at-a-time sweep); the
held-out timelines (RumourEval test events, SMP2020 virus_test + virus_eval and usual_eval) are
other posts. The last line is JSON: the detector on held-out timelines, spikes of at least 3 sd
lasting at least 2 hours, with the naive detector's figures beside it.
"""

import argparse
import gzip
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from itertools import product
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
CACHE = REPO / "var" / "features"
sys.path[:0] = [str(REPO / "platform"), str(REPO)]

from emograph.monitoring.detection import (  # noqa: E402
    DetectorSettings,
    Episode,
    replay,
    series_counts,
)

EMOTIONS = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
NEGATIVE_INDEX = np.array([0, 1, 2, 4])
OTHER_INDEX = np.array([3, 5, 6])  # joy, surprise, neutral: what a spike relabels
SMP2020 = {
    "dev": ("virus_train.txt",),
    "held-out": (("virus_test_labeled.txt", "virus_eval_labeled.txt"), ("usual_eval_labeled.txt",)),
}
HISTORY_WEEKS, EVALUATED_WEEKS = 2, 4
HISTORY = HISTORY_WEEKS * 168
HOURS = (HISTORY_WEEKS + EVALUATED_WEEKS) * 168
LEVELS = (30, 100)
SIZES = (1, 2, 3, 5)
LENGTHS = (1, 2, 4)
SEEDS = (0, 1, 2)
SPACING = 48  # hours at least between the end of one spike and the start of the next
TOPIC_POSTS = 800
EVENT_GAP = 5 * 86400
CED_POSTS = 4000  # per topic: e5-small scores about 26 texts/s on 2 CPU cores


@dataclass
class Topic:
    name: str
    labels: np.ndarray  # taxonomy index of each post, in replay order


def django_setup():
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


@dataclass
class Texts:  # what emotions.training.features_cached reads: the source file and its texts
    path: str
    texts: list

    def __len__(self):
        return len(self.texts)


def pipeline_labels(key, path, texts):
    """Argmax label of each text from the shipped pipeline `key`, features cached on disk."""
    from emograph.emotions.pipelines import text_pipelines
    from emograph.emotions.training import features_cached

    pipeline = text_pipelines()[key]
    features = features_cached(pipeline.encoder, Texts(str(path), texts), CACHE)
    return pipeline.head.probabilities(features).argmax(1)


def thread_posts(tree):
    return [post for key, kids in tree.items() for post in (key, *thread_posts(kids or {}))]


def rumoureval_topics(split):
    folder = DATA / "rumoureval2017" / split
    posts = json.loads((folder / "posts.json").read_text())
    ids = list(posts)
    labels = dict(
        zip(
            ids,
            pipeline_labels("english", folder / "posts.json", [posts[i]["text"] for i in ids]),
            strict=True,
        )
    )
    structures = json.loads((folder / "structures.json").read_text())
    threads = sorted(structures, key=lambda root: posts[root]["time"])
    events, last = [], None
    for root in threads:
        if last is None or posts[root]["time"] - last > EVENT_GAP:
            events.append([])
        events[-1].append(root)
        last = posts[root]["time"]
    topics, members = [], []
    for event in events:
        members += [p for root in event for p in thread_posts(structures[root]) if p in posts]
        if len(members) >= TOPIC_POSTS:
            topics.append(members)
            members = []
    if members:
        topics[-1] += members
    out = []
    for members in topics:
        members.sort(key=lambda p: (posts[p]["time"], p))
        days = [time.strftime("%Y-%m-%d", time.gmtime(posts[p]["time"])) for p in members]
        out.append(
            Topic(
                f"RumourEval {split} {days[0]}..{days[-1]}", np.array([labels[p] for p in members])
            )
        )
    return out


def smp2020_topics(split):
    from emograph.emotions.datasets import labelled_texts

    out = []
    for files in SMP2020[split]:
        files = (files,) if isinstance(files, str) else files
        labels = [labelled_texts(DATA / "smp2020_ewect" / f, "smp2020").y for f in files]
        name = " + ".join(f.split("_labeled")[0].removesuffix(".txt") for f in files)
        out.append(Topic(f"SMP2020 {name}", np.concatenate(labels)))
    return out


def ced_topics():
    """Weibo CED as two topics, rumour and non-rumour threads: each thread's source post, then
    its reposts with text in (date, time) order, threads in file order; labelled by the
    multilingual pipeline. Never run: the file is not on the machine this was written on."""
    path = DATA / "weibo_ced" / "threads.jsonl.gz"
    if not path.is_file():
        return []
    groups = {}
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            thread = json.loads(line)
            reposts = sorted(
                thread.get("reposts", []), key=lambda r: (r.get("date", ""), r.get("time", ""))
            )
            texts = [thread["root"].get("text", "")] + [r.get("text", "") for r in reposts]
            group = groups.setdefault(str(thread["label"]), [])
            group += [text for text in texts if text][: CED_POSTS - len(group)]
    texts = [text for group in groups.values() for text in group]
    labels = np.split(
        pipeline_labels("multilingual", path, texts),
        np.cumsum([len(group) for group in groups.values()])[:-1],
    )
    return [Topic(f"Weibo CED label {key}", y) for key, y in zip(groups, labels, strict=True)]


def volume_profile():
    """Hour-of-week (Monday 00 UTC first) volume multiplier, mean 1, from RumourEval times."""
    times = np.array(
        [
            post["time"]
            for split in ("traindev", "test")
            for post in json.loads(
                (DATA / "rumoureval2017" / split / "posts.json").read_text()
            ).values()
        ]
    )
    hour = np.bincount((times // 3600 % 24).astype(int), minlength=24)
    weekday = np.bincount(((times // 86400 + 3) % 7).astype(int), minlength=7)  # 1970-01-01: Thu
    shrunk = [0.5 + 0.5 * h / h.mean() for h in (hour, weekday)]
    profile = np.outer(shrunk[1], shrunk[0]).ravel()
    return profile / profile.mean()


def background(topic, level, profile, rng):
    """Label counts (7, HOURS) and volumes (HOURS,) of one spike-free timeline."""
    n = rng.poisson(level * np.resize(profile, HOURS))
    stream = np.resize(np.roll(topic.labels, -rng.integers(len(topic.labels))), n.sum())
    counts = np.zeros((7, HOURS), np.int64)
    np.add.at(counts, (stream, np.repeat(np.arange(HOURS), n)), 1)
    return counts, n


def inject(counts, n, size, length, rng, basis="negative"):
    """Spikes of `size` sd lasting `length` hours; returns the spiked counts and the starts.
    sd, per `basis`: "negative", of the negative share over the evaluated hours; "hourly", the
    binomial sd of the negative share at the hour's volume times the timeline's overdispersion
    (the sd of its standardised residuals); "emotion", of the spiked emotion's own share."""
    counts = counts.copy()
    busy = np.flatnonzero(n[HISTORY:] > 0) + HISTORY
    share = counts[:, busy] / n[busy]
    negative = share[NEGATIVE_INDEX].sum(0)
    rate = counts[NEGATIVE_INDEX][:, busy].sum() / n[busy].sum()
    overdispersion = np.std((negative - rate) / np.sqrt(rate * (1 - rate) / n[busy]))
    starts, start = [], HISTORY + int(rng.integers(24))
    while start + length + 2 <= HOURS:
        starts.append(start)
        emotion = int(rng.choice(NEGATIVE_INDEX))
        for t in range(start, start + length):
            sd = {
                "negative": np.std(negative),
                "hourly": overdispersion * np.sqrt(rate * (1 - rate) / max(n[t], 1)),
                "emotion": np.std(share[emotion]),
            }[basis]
            others = counts[OTHER_INDEX, t]
            moved = min(round(size * sd * n[t]), int(others.sum()))
            counts[OTHER_INDEX, t] -= rng.multivariate_hypergeometric(others, moved)
            counts[emotion, t] += moved
        start += length + SPACING + int(rng.integers(24))
    return counts, starts


def naive_replay(counts, n, settings, start=HISTORY):
    """Fixed threshold on the negative share: mean + 3 sd of the history hours."""
    negative = counts[NEGATIVE_INDEX].sum(0)
    busy = n >= settings.min_posts
    with np.errstate(invalid="ignore", divide="ignore"):
        share = negative / n
    history = share[:start][busy[:start]]
    hot = busy & (share > history.mean() + 3 * history.std())
    episodes, open_episode, quiet = [], None, 0
    for t in range(start, len(n)):
        if open_episode is None:
            if hot[t]:
                open_episode = Episode(t, t)
                episodes.append(open_episode)
                quiet = 0
        else:
            quiet = 0 if hot[t] else quiet + 1
            if quiet >= settings.calm_buckets:
                open_episode.end, open_episode = t - quiet, None
    return episodes


def detect(counts, n, detector, settings):
    if detector == "naive":
        return naive_replay(counts, n, settings)
    return replay(series_counts(counts), n, settings, start=HISTORY)


def match(episodes, starts, length):
    """Delay of each spike (None when missed) and the number of episodes that found none."""
    windows = [(s, s + length + 1) for s in starts]
    delays = [
        next((e.detected - s for e in episodes if s <= e.detected <= end), None)
        for s, end in windows
    ]
    false = sum(not any(s <= e.detected <= end for s, end in windows) for e in episodes)
    return delays, false


TOPICS: dict = {}  # set name -> topics, filled before the worker processes fork
PROFILE = None
PRIMARY = "negative"
CASES = [(PRIMARY, size, length) for size, length in product(SIZES, LENGTHS)] + [
    (basis, size, length) for basis in ("hourly", "emotion") for size in (3, 5) for length in (2, 4)
]


def run_job(job):
    """One background timeline: spike-free episodes, then every spike case, per detector."""
    split, topic_index, level, seed, settings_list = job
    topic = TOPICS[split][topic_index]
    counts, n = background(
        topic, level, PROFILE, np.random.default_rng([topic_index, level, seed, split == "dev"])
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        negative = counts[NEGATIVE_INDEX].sum(0) / n
    spiked = []
    for basis, size, length in CASES:
        rng = np.random.default_rng([topic_index, level, seed, size, length, len(basis)])
        spiked.append(inject(counts, n, size, length, rng, basis))
    rows = []
    for index, settings in enumerate(settings_list):
        for detector in ("detector", "naive") if index == 0 else ("detector",):
            row = {"settings": index, "detector": detector, "topic": topic.name, "level": level}
            free = [e.detected for e in detect(counts, n, detector, settings)]
            rows.append(
                {
                    **row,
                    "basis": None,
                    "delays": [],
                    "false": len(free),
                    "alert_share": list(negative[free]),
                    "share": np.nanmedian(negative[HISTORY:]),
                }
            )
            for (basis, size, length), (counts_k, starts) in zip(CASES, spiked, strict=True):
                delays, false = match(detect(counts_k, n, detector, settings), starts, length)
                rows.append(
                    {
                        **row,
                        "basis": basis,
                        "size": size,
                        "length": length,
                        "delays": delays,
                        "false": false,
                    }
                )
    return rows


def evaluate(split, settings_list, jobs):
    work = [
        (split, i, level, seed, settings_list)
        for i in range(len(TOPICS[split]))
        for level in LEVELS
        for seed in SEEDS
    ]
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=fork) as pool:
        return [row for rows in pool.map(run_job, work) for row in rows]


def summary(rows):
    delays = [d for row in rows for d in row["delays"]]
    found = [d for d in delays if d is not None]
    false = sum(row["false"] for row in rows)
    return {
        "spikes": len(delays),
        "detected": len(found),
        "recall": len(found) / max(len(delays), 1),
        "precision": len(found) / max(len(found) + false, 1),
        "median_delay_buckets": float(np.median(found)) if found else None,
        "mean_delay_buckets": float(np.mean(found)) if found else None,
    }


def false_rate(rows):
    """Episodes per topic per simulated week on the spike-free timelines."""
    free = [row for row in rows if row["basis"] is None]
    return sum(row["false"] for row in free) / max(len(free) * EVALUATED_WEEKS, 1)


def pick(rows, **match):
    return [row for row in rows if all(row.get(k) == v for k, v in match.items())]


def target(rows, basis=PRIMARY):
    return [r for r in pick(rows, basis=basis) if r["size"] >= 3 and r["length"] >= 2]


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def line(name, size, length, s):
    return (
        f"{name:<9} {size:>6} {length:>5} {s['spikes']:>6} {s['detected']:>8} "
        f"{s['recall']:>6.3f} {s['precision']:>9.3f} "
        f"{fmt(s['median_delay_buckets'], '.1f'):>12} "
        f"{fmt(s['mean_delay_buckets'], '.2f'):>10}"
    )


def table(title, rows):
    print(f"\n{title}; spike size in sd of the negative share")
    print(
        f"{'detector':<9} {'size':>6} {'hours':>5} {'spikes':>6} {'detected':>8} {'recall':>6} "
        f"{'precision':>9} {'median delay':>12} {'mean delay':>10}"
    )
    for detector in ("detector", "naive"):
        mine = pick(rows, detector=detector)
        for size, length in product(SIZES, LENGTHS):
            s = summary(pick(mine, basis=PRIMARY, size=size, length=length))
            print(line(detector, f"{size}sd", f"{length}h", s))
        print(line(detector, ">=3sd", ">=2h", summary(target(mine))))
    print(
        "spikes >= 3 sd lasting >= 2 h, other spike sizings (sd scaled to the hour's volume; "
        "sd of the spiked emotion's own share):"
    )
    for basis in ("hourly", "emotion"):
        for detector in ("detector", "naive"):
            print(
                line(
                    detector, ">=3sd", ">=2h", summary(target(pick(rows, detector=detector), basis))
                )
                + f"  {basis}"
            )
    print(
        "by volume level and topic (primary sizing, >= 3 sd, >= 2 h; false alerts per topic "
        "per week on spike-free timelines):"
    )
    groups = [("level", level) for level in LEVELS] + [
        ("topic", t) for t in dict.fromkeys(r["topic"] for r in rows)
    ]
    for key, value in groups:
        cells = []
        for detector in ("detector", "naive"):
            mine = pick(rows, detector=detector, **{key: value})
            s = summary(target(mine))
            cells.append(
                f"{detector} R {s['recall']:.3f} P {s['precision']:.3f} FA {false_rate(mine):.2f}"
            )
        free = pick(rows, detector="detector", basis=None, **{key: value})
        alerts = [share for row in free for share in row["alert_share"]]
        typical = np.nanmedian([row["share"] for row in free])
        print(
            f"  {value!s:<45} " + "  ".join(cells) + f"  (negative share at the "
            f"detector's false alerts {fmt(np.median(alerts) if alerts else None, '.2f')}, "
            f"typical hour {typical:.2f})"
        )
    for detector in ("detector", "naive"):
        print(
            f"{detector}: false alerts per topic per week on spike-free timelines "
            f"{false_rate(pick(rows, detector=detector)):.2f}"
        )


def figures(rows):
    s = summary(target(rows))
    return {
        "precision": round(s["precision"], 4),
        "recall": round(s["recall"], 4),
        "median_delay_buckets": s["median_delay_buckets"],
        "false_alerts_per_topic_week": round(false_rate(rows), 3),
    }


TUNE_GRID = {  # one setting at a time around the defaults
    "min_posts": (5, 20),
    "min_excess": (1.0, 3.0),
    "z_hot": (1.0, 2.0),
    "z_pair": (3.0, 4.0),
    "z_single": (3.5, 5.0),
    "neighbour_hours": (0, 1, 3),
    "weekday_weight": (1.0,),
}


def tune(jobs):
    global CASES
    CASES = [case for case in CASES if case[0] == PRIMARY and case[1] >= 3 and case[2] >= 2]
    base = DetectorSettings()
    grid = [base] + [
        replace(base, **{key: value}) for key, values in TUNE_GRID.items() for value in values
    ]
    rows = evaluate("dev", grid, jobs)
    print("\nTuning on dev timelines only (spikes >= 3 sd lasting >= 2 h; defaults first)")
    for index, settings in enumerate(grid):
        f = figures(pick(rows, settings=index, detector="detector"))
        changed = {
            k: getattr(settings, k) for k in TUNE_GRID if getattr(settings, k) != getattr(base, k)
        } or "defaults"
        print(
            f"{changed!s:<28} recall {f['recall']:.3f} precision {f['precision']:.3f} "
            f"median delay {f['median_delay_buckets']} false alerts per topic-week "
            f"{f['false_alerts_per_topic_week']:.2f}"
        )


def main():
    global PROFILE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="grid over settings on dev only")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    django_setup()
    PROFILE = volume_profile()
    ced = ced_topics()
    TOPICS["dev"] = rumoureval_topics("traindev") + smp2020_topics("dev")
    TOPICS["held-out"] = rumoureval_topics("test") + smp2020_topics("held-out") + ced
    print("Simulated hourly clock (2 history + 4 evaluated weeks, Monday 00:00 first); real posts,")
    print(
        "real labels and a real RumourEval hour-of-week volume profile "
        f"(peak/trough {PROFILE.max() / PROFILE.min():.1f}x)."
    )
    if not ced:
        print("Weibo CED: ../shared/data/weibo_ced/threads.jsonl.gz is missing; not used.")
    for split, topics in TOPICS.items():
        for topic in topics:
            mix = np.bincount(topic.labels, minlength=7) / len(topic.labels)
            print(
                f"  {split:<8} {topic.name:<45} {len(topic.labels):>6} posts  "
                + " ".join(f"{e[:3]} {m:.2f}" for e, m in zip(EMOTIONS, mix, strict=True))
            )
    if args.tune:
        tune(args.jobs)
        return
    settings = DetectorSettings()
    print(f"\nDetector settings: {settings}")
    print(f"Levels {LEVELS} posts/h, seeds {SEEDS}, spikes every >= {SPACING} h apart.")
    results = {split: evaluate(split, [settings], args.jobs) for split in TOPICS}
    table("Development timelines (settings tuned here)", results["dev"])
    held = results["held-out"]
    table("Held-out timelines (reported once)", held)
    print(f"\n{time.perf_counter() - started:.0f} s")
    out = figures(pick(held, detector="detector"))
    out["naive"] = figures(pick(held, detector="naive"))
    out["data"] = [t.name for t in TOPICS["held-out"]] + (
        [] if ced else ["Weibo CED missing: not used"]
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
