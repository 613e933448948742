"""Crisis detection on hourly emotion shares, as plain numpy (no Django import): the service
that raises alerts and `bench/alerts.py` run exactly this code.

Per topic, five series are watched: the share of posts labelled negative (anger, disgust, fear
or sadness) and the share of each of those four. Shares are compared on the arcsine-square-root
scale, where binomial noise is 1/(2 sqrt n) whatever the rate, so a rare emotion's few posts are
not read as a Gaussian tail. For hour t the reference hours are the same hour and its
`neighbour_hours` neighbours on each of the previous `history_days` days, the same weekday
weighing `weekday_weight` times as much (hour-of-day and day-of-week seasonality). The expected
value is their weighted median (or their pooled rate when higher: a rare emotion's median is
often 0); the spread is the weighted MAD, floored by the binomial noise of the current hour's
volume (a quiet hour cannot look extreme) and inflated for the median's own estimation error
(sqrt(1 + pi / 2n) for n effective reference hours). Hours of past episodes are left out of
later baselines, so a crisis does not become the new normal.

An hour is *hot* in a series when its z-score passes `z_hot`, it has at least `min_posts` posts
and at least `min_excess` more posts of that emotion than expected. An episode opens when one
hour is extreme (`z_single`) or two hours in a row are hot and their combined z (the sum over
sqrt 2, a two-hour CUSUM) passes `z_pair`; it closes after `calm_buckets` hours in a row with
every series below `z_calm`. One episode per topic at a time: that is the no-storm rule.

Defaults were tuned with `python bench/alerts.py --tune` on development timelines only (real
RumourEval traindev and SMP2020 virus_train posts on a simulated clock, injected spikes); the
bench reports held-out timelines beside them.
"""

from dataclasses import dataclass

import numpy as np

NEGATIVE = ("anger", "disgust", "fear", "sadness")
SERIES = ("negative", *NEGATIVE)
HOURS_PER_DAY = 24
SEVERITIES = ((8.0, "critical"), (5.0, "major"), (0.0, "warning"))


@dataclass(frozen=True)
class DetectorSettings:
    history_days: int = 14
    weekday_weight: float = 3.0
    neighbour_hours: int = 2  # reference hours t-24d-k .. t-24d+k for each past day d
    min_history: int = 5  # reference hours needed before an hour can be scored
    min_posts: int = 10
    min_excess: float = 2.0
    z_hot: float = 1.5
    z_pair: float = 3.5
    z_single: float = 4.0
    z_calm: float = 2.0
    calm_buckets: int = 2
    sigma_floor: float = 0.01  # on the arcsine-square-root scale


@dataclass(frozen=True)
class BucketScore:
    """One hour of one topic, per series (SERIES order): observed and expected share, sigma
    (the spread on the arcsine-square-root scale z is measured on), z and hot."""

    observed: np.ndarray
    expected: np.ndarray
    sigma: np.ndarray
    z: np.ndarray  # NaN where the hour cannot be scored (no history, no posts)
    hot: np.ndarray  # bool

    @property
    def top(self) -> int:
        """Index of the series furthest above expectation (0 when none is scored)."""
        z = np.where(np.isfinite(self.z), self.z, -np.inf)
        return int(np.argmax(z))


def severity(z: float) -> str:
    return next(name for bound, name in SEVERITIES if z >= bound)


def weighted_median(values, weights):
    """Median of `values` along the last axis where each counts `weights` times (0 leaves it
    out); NaN where all weights are 0."""
    order = np.argsort(values, axis=-1)
    values = np.take_along_axis(values, order, axis=-1)
    cumulative = np.cumsum(np.take_along_axis(weights, order, axis=-1), axis=-1)
    total = cumulative[..., -1:]
    index = np.argmax(cumulative >= total / 2, axis=-1)[..., None]
    median = np.take_along_axis(values, index, axis=-1)[..., 0]
    return np.where(total[..., 0] > 0, median, np.nan)


def series_counts(n_label: np.ndarray) -> np.ndarray:
    """Per-hour counts of each watched series from label counts (7, T) in taxonomy order
    (anger, disgust, fear, joy, sadness, surprise, neutral)."""
    anger, disgust, fear, _joy, sadness = n_label[:5]
    return np.stack([anger + disgust + fear + sadness, anger, disgust, fear, sadness])


def reference_hours(t, settings):
    """Hours whose shares make hour t's baseline, and the day (1..history_days) each is from."""
    width = 2 * settings.neighbour_hours + 1
    days = np.repeat(np.arange(1, settings.history_days + 1), width)
    shift = np.tile(np.arange(width) - settings.neighbour_hours, settings.history_days)
    return t - HOURS_PER_DAY * days + shift, days


def bucket_score(counts, n, excluded, t, settings=DetectorSettings()) -> BucketScore:
    """Score hour `t` of one topic. `counts` (5, T) posts per series, `n` (T,) posts, `excluded`
    (T,) hours left out of baselines. Only hours before t are read as history."""
    counts, n = np.asarray(counts, np.float64), np.asarray(n, np.float64)
    ref, days = reference_hours(t, settings)
    inside = (ref >= 0) & (ref < t)
    ref = np.where(inside, ref, 0)
    usable = inside & (n[ref] >= settings.min_posts) & ~np.asarray(excluded, bool)[ref]
    weights = np.where(days % 7 == 0, settings.weekday_weight, 1.0) * usable
    with np.errstate(invalid="ignore", divide="ignore"):
        history = np.arcsin(np.sqrt(np.where(usable, counts[:, ref] / n[ref], 0.0)))
        observed = counts[:, t] / n[t] if n[t] > 0 else np.full(len(counts), np.nan)
        pooled = (counts[:, ref] * weights).sum(1) / (n[ref] * weights).sum()
    wide = np.broadcast_to(weights, history.shape)
    median = weighted_median(history, wide)
    spread = 1.4826 * weighted_median(np.abs(history - median[:, None]), wide)
    centre = np.fmax(median, np.arcsin(np.sqrt(np.clip(pooled, 0.0, 1.0))))
    binomial = 0.5 / np.sqrt(max(n[t], 1.0))
    effective = weights.sum() ** 2 / max((weights**2).sum(), 1e-12)
    sigma = np.maximum(np.fmax(spread, binomial), settings.sigma_floor)
    sigma = sigma * np.sqrt(1 + np.pi / (2 * max(effective, 1.0)))
    z = (np.arcsin(np.sqrt(observed)) - centre) / sigma
    expected = np.sin(centre) ** 2
    if usable.sum() < settings.min_history or n[t] == 0:
        z = np.full(len(counts), np.nan)
    excess = counts[:, t] - expected * n[t]
    with np.errstate(invalid="ignore"):
        hot = (z >= settings.z_hot) & (n[t] >= settings.min_posts) & (excess >= settings.min_excess)
    return BucketScore(observed, expected, sigma, z, hot)


def opens(previous: BucketScore | None, current: BucketScore, settings=DetectorSettings()):
    """Whether an episode opens at `current` (with `previous`, the hour before, or None)."""
    if not current.hot.any():
        return False
    z = np.where(current.hot, current.z, -np.inf)
    if z.max() >= settings.z_single:
        return True
    if previous is None or not previous.hot.any():
        return False
    pair = (np.nan_to_num(previous.z, nan=0.0) + z) / np.sqrt(2)
    return bool((previous.hot & current.hot & (pair >= settings.z_pair)).any())


def calm(score: BucketScore, settings=DetectorSettings()) -> bool:
    """An hour counts towards closing an episode when no series is raised (unscored is calm)."""
    return not (np.nan_to_num(score.z, nan=0.0) >= settings.z_calm).any()


@dataclass
class Episode:
    start: int  # first hot hour
    detected: int  # hour the alert opened
    end: int | None = None  # last hour before calm (None: still open)
    peak_z: float = 0.0
    series: int = 0


def replay(counts, n, settings=DetectorSettings(), *, start=0) -> list[Episode]:
    """Run the detector hour by hour over a whole timeline, as the hourly task would, and
    return its episodes. Hours before `start` are history only. The hours of each episode
    (start..end, and so far while it is open) are excluded from later baselines."""
    counts, n = np.asarray(counts, np.float64), np.asarray(n, np.float64)
    excluded = np.zeros(len(n), bool)
    episodes: list[Episode] = []
    open_episode, previous, quiet = None, None, 0
    for t in range(start, len(n)):
        score = bucket_score(counts, n, excluded, t, settings)
        if open_episode is None:
            if opens(previous, score, settings):
                first = t - 1 if previous is not None and previous.hot.any() else t
                open_episode = Episode(first, t, peak_z=float(score.z[score.top]),
                                       series=score.top)  # fmt: skip
                episodes.append(open_episode)
                excluded[first : t + 1] = True
                quiet = 0
        else:
            excluded[t] = True
            if np.isfinite(score.z[score.top]) and score.z[score.top] > open_episode.peak_z:
                open_episode.peak_z, open_episode.series = float(score.z[score.top]), score.top
            quiet = quiet + 1 if calm(score, settings) else 0
            if quiet >= settings.calm_buckets:
                open_episode.end = t - quiet
                excluded[open_episode.end + 1 : t + 1] = False
                open_episode = None
        previous = score
    return episodes
