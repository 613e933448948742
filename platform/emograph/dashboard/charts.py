"""Server-drawn SVG line charts: no JavaScript library to vendor, readable without scripts."""

from emograph.emotions.taxonomy import EMOTIONS

WIDTH, HEIGHT, PAD = 960, 260, 32


def line_chart(series, *, start, end, focus=None):
    """Polylines for the negative share and each emotion's mean probability over time, on a
    0..1 axis; `series` rows come from `topic_series`."""
    span = max((end - start).total_seconds(), 1.0)

    def x(moment):
        return PAD + (WIDTH - 2 * PAD) * (moment - start).total_seconds() / span

    def y(value):
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * value

    def points(values):
        return " ".join(
            f"{x(row['start']):.1f},{y(v):.1f}" for row, v in zip(series, values, strict=True)
        )

    lines = [
        {
            "name": "negative share",
            "css": "negative",
            "points": points([r["negative_share"] for r in series]),
        }
    ]
    lines += [
        {"name": e, "css": e, "points": points([r["mean"][e] for r in series])} for e in EMOTIONS
    ]
    peak = max((r["n"] for r in series), default=0)
    volume = (
        [
            {
                "x": f"{x(r['start']):.1f}",
                "h": f"{(HEIGHT - 2 * PAD) * 0.25 * r['n'] / peak:.1f}",
                "y": f"{HEIGHT - PAD - (HEIGHT - 2 * PAD) * 0.25 * r['n'] / peak:.1f}",
            }
            for r in series
        ]
        if peak
        else []
    )
    grid = [{"y": f"{y(v):.1f}", "label": f"{v:.0%}"} for v in (0, 0.25, 0.5, 0.75, 1.0)]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "pad": PAD,
        "lines": lines,
        "volume": volume,
        "grid": grid,
        "focus": f"{x(focus):.1f}" if focus and start <= focus <= end else None,
        "start": start,
        "end": end,
    }
