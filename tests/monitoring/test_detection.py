"""The crisis detector on small deterministic timelines: quiet backgrounds stay quiet, injected
spikes open one episode each, and the baseline rules (rare emotions, quiet hours, past
episodes) hold."""

import numpy as np
import pytest

from emograph.monitoring.detection import (
    SERIES,
    BucketScore,
    DetectorSettings,
    bucket_score,
    calm,
    replay,
    series_counts,
    severity,
    weighted_median,
)

DAY = 24
HISTORY = 14 * DAY
# anger, disgust, fear, joy, sadness, surprise, neutral: 10% negative
MIX = np.array([0.04, 0.02, 0.02, 0.2, 0.02, 0.1, 0.6])
ANGER, NEUTRAL = 0, 6


def background(hours=HISTORY + 7 * DAY, posts=100, seed=0):
    """Label counts (7, hours) drawn from a fixed mix, and the volume per hour."""
    rng = np.random.default_rng(seed)
    n = np.full(hours, posts)
    return np.stack([rng.multinomial(k, MIX) for k in n], axis=1), n


def spike(labels, start, hours, posts=25, emotion=ANGER):
    """Relabel `posts` neutral posts per hour to `emotion` for `hours` hours from `start`."""
    labels = labels.copy()
    labels[NEUTRAL, start : start + hours] -= posts
    labels[emotion, start : start + hours] += posts
    return labels


def run(labels, n, settings=None):
    return replay(series_counts(labels), n, settings or DetectorSettings(), start=HISTORY)


def test_flat_binomial_background_opens_no_episode():
    labels, n = background()
    assert run(labels, n) == []


def test_two_hour_spike_opens_one_episode_within_one_bucket():
    labels, n = background()
    start = HISTORY + 3 * DAY + 10
    (episode,) = run(spike(labels, start, 2), n)
    assert start <= episode.detected <= start + 1
    assert SERIES[episode.series] in ("negative", "anger")
    assert episode.end is not None


def test_moderate_two_hour_spike_is_caught_by_the_pair_rule():
    labels, n = background()
    start = HISTORY + 2 * DAY + 15
    settings = DetectorSettings()
    spiked = series_counts(spike(labels, start, 2, posts=12))
    excluded = np.zeros(len(n), bool)
    first, second = (bucket_score(spiked, n, excluded, t, settings) for t in (start, start + 1))
    assert first.hot.any()
    assert second.hot.any()
    assert max(first.z.max(), second.z.max()) < settings.z_single  # neither hour alone opens
    (episode,) = replay(spiked, n, settings, start=HISTORY)
    assert episode.detected == start + 1
    assert episode.start == start


def test_long_spike_is_one_episode_that_closes_after_calm_hours():
    labels, n = background()
    start, hours = HISTORY + 2 * DAY, 30
    (episode,) = run(spike(labels, start, hours), n)
    assert episode.detected == start
    assert start + hours - 1 <= episode.end <= start + hours + 1


def test_weighted_median():
    assert weighted_median(np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 1.0])) == 2.0
    assert weighted_median(np.array([1.0, 2.0, 100.0]), np.array([1.0, 1.0, 0.0])) == 1.0
    assert weighted_median(np.array([1.0, 5.0, 3.0]), np.array([1.0, 1.0, 10.0])) == 3.0
    assert np.isnan(weighted_median(np.array([1.0, 2.0]), np.array([0.0, 0.0])))
    rows = weighted_median(np.array([[1.0, 9.0, 5.0], [4.0, 2.0, 8.0]]),
                           np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 2.0]]))  # fmt: skip
    np.testing.assert_array_equal(rows, [1.0, 8.0])


def test_one_post_of_an_emotion_never_seen_before_is_not_hot():
    labels, n = background()
    labels[NEUTRAL] += labels[1]  # disgust never occurs ...
    labels[1] = 0
    t = HISTORY + DAY
    labels[1, t], labels[NEUTRAL, t] = 1, labels[NEUTRAL, t] - 1  # ... until one post
    score = bucket_score(series_counts(labels), n, np.zeros(len(n), bool), t)
    assert score.expected[SERIES.index("disgust")] == 0.0
    assert not score.hot.any()
    assert run(labels, n) == []


def test_hours_below_min_posts_never_fire():
    settings = DetectorSettings()
    labels, n = background(posts=settings.min_posts - 1)
    spiked = labels.copy()
    spiked[ANGER, HISTORY:] += spiked[NEUTRAL, HISTORY:]  # every evaluated post angry
    spiked[NEUTRAL, HISTORY:] = 0
    assert run(spiked, n, settings) == []
    score = bucket_score(series_counts(spiked), n, np.zeros(len(n), bool), HISTORY + 5, settings)
    assert not score.hot.any()


def test_past_episode_stays_out_of_the_baseline():
    """A crisis of ten days would be most of the same-hour history of a later equal spike;
    its hours are excluded, so the second spike is still detected."""
    labels, n = background(hours=HISTORY + 14 * DAY)
    first, second = HISTORY, HISTORY + 11 * DAY
    spiked = spike(spike(labels, first, 10 * DAY), second, 2)
    episodes = run(spiked, n)
    assert [e.detected for e in episodes] == [first, second]
    # without the exclusion the same hour would look normal
    counts = series_counts(spiked)
    plain = bucket_score(counts, n, np.zeros(len(n), bool), second)
    assert not plain.hot.any()


def test_unscored_hour_counts_as_calm():
    nan = np.full(len(SERIES), np.nan)
    assert calm(BucketScore(nan, nan, nan, nan, np.zeros(len(SERIES), bool)))


@pytest.mark.parametrize(
    ("z", "name"),
    [(0.0, "warning"), (4.99, "warning"), (5.0, "major"), (7.99, "major"), (8.0, "critical")],
)
def test_severity_thresholds(z, name):
    assert severity(z) == name
