"""Charts drawn on the server as SVG (pure: plain values in, markup and a table out).

Each chart is a ``Chart``: an ``<svg role="img">`` named by its ``<title>`` and ``<desc>``
(``aria-labelledby``), and the table of the very numbers it draws, which the page shows
behind it. The markup carries no ``style`` attribute and no script: colours and fill
patterns come from classes in ``static/verity/verity.css``, which points at the patterns
defined once per page (``templates/installcheck/_chart_defs.html``). Every series has a
pattern as well as a colour (verified solid, missing dotted, invalid hatched; old secret
hatched, new solid), so the charts never rely on colour alone.

Sizes are in viewBox units; the page scales the SVG to its box (CSS ``width: 100%``), and
the viewBox is narrow enough that the 12-unit labels stay legible on a 390 px phone.
"""

from dataclasses import dataclass, field
from html import escape

WIDTH = 400
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 10, 22
FONT = 12
MAX_BAR = 24


@dataclass(frozen=True)
class Series:
    key: str  # the CSS class suffix: s-verified, s-missing, s-invalid, s-old, s-new
    label: str
    values: tuple


@dataclass
class Chart:
    """An SVG chart and the table behind it (``headers``, ``rows`` of display strings)."""

    id: str
    title: str
    desc: str
    svg: str
    headers: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    # (series key, label) pairs for the legend under the chart; none for a single line.
    legend: list = field(default_factory=list)


def nice_max(value):
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value`` (at least 1): the axis top."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover (the loop always returns)


def percent(part, whole):
    """``part`` of ``whole`` as a display string ("92.5%"), or "–" when nothing."""
    if not whole:
        return "–"
    value = round(part * 100 / whole, 1)
    return f"{value:g}%"


def _legend(series):
    return [(s.key, s.label) for s in series]


def _number(value):
    return f"{value:,}"


def _f(value):
    """A coordinate, short."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _is_tick(i, n, every):
    """Whether label ``i`` of ``n`` is printed: the last one (today), and every
    ``every``-th counting back from it, so the newest day is always named."""
    return (n - 1 - i) % every == 0


def _anchor(i, n):
    """Labels at the edges stay inside the chart."""
    if i == n - 1 and n > 1:
        return "end"
    return "start" if i == 0 else "middle"


def _open(chart_id, title, desc, height):
    return (
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg" data-chart="{chart_id}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def _text(x, y, text, cls="chart-label", anchor="start"):
    return (
        f'<text class="{cls}" x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" '
        f'font-size="{FONT}">{escape(text)}</text>'
    )


def stacked_bars(
    chart_id,
    title,
    desc,
    labels,
    series,
    *,
    row_labels=None,
    tick_every=7,
    height=200,
    marker=None,
):
    """Vertical bars, one per label (a day), each the stack of ``series`` values.

    ``marker``: (index, text), a dashed line before that bar, named (e.g. the rotation).

    ``labels``: the x labels (short, e.g. "Dec 2"); one in ``tick_every`` is printed.
    The table has one row per label (``row_labels``, e.g. ISO dates, when given): each
    series, then the total.
    """
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = nice_max(max(totals, default=0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = height - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    # A bar is never wider than a few days' worth, however few days there are.
    bar_w = min(max(slot * 0.75, 1), MAX_BAR)
    parts = [_open(chart_id, title, desc, height)]
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_f(y)}" y2="{_f(y)}"/>'
        )
        parts.append(_text(LEFT - 4, y + 4, _number(round(top * fraction)), anchor="end"))
    for i, label in enumerate(labels):
        x = LEFT + slot * i + (slot - bar_w) / 2
        base = TOP + plot_h
        for s in series:
            value = s.values[i]
            if not value:
                continue
            h = plot_h * value / top
            base -= h
            parts.append(
                f'<rect class="bar s-{s.key}" x="{_f(x)}" y="{_f(base)}" '
                f'width="{_f(bar_w)}" height="{_f(h)}" data-value="{value}">'
                f"<title>{escape(label)}: {_number(value)} {escape(s.label.lower())}</title></rect>"
            )
        if _is_tick(i, len(labels), tick_every):
            anchor = _anchor(i, len(labels))
            tx = x + bar_w if anchor == "end" else x if anchor == "start" else x + bar_w / 2
            parts.append(_text(tx, height - 6, label, anchor=anchor))
    parts.append(
        f'<line class="chart-axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
        f'y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>'
    )
    if marker is not None:
        index, text = marker
        mx = LEFT + slot * index
        parts.append(
            f'<line class="chart-marker" x1="{_f(mx)}" x2="{_f(mx)}" '
            f'y1="{TOP}" y2="{TOP + plot_h}"/>'
        )
        # Named on the side with room: left of a line in the chart's right half.
        right_half = mx > LEFT + plot_w / 2
        parts.append(
            _text(
                mx - 3 if right_half else mx + 3,
                TOP + FONT,
                text,
                cls="chart-label chart-marker-label",
                anchor="end" if right_half else "start",
            )
        )
    parts.append("</svg>")
    headers = ["Day", *[s.label for s in series], "Total"]
    rows = [
        [label, *[_number(s.values[i]) for s in series], _number(totals[i])]
        for i, label in enumerate(row_labels or labels)
    ]
    return Chart(chart_id, title, desc, "".join(parts), headers, rows, _legend(series))


def share_line(chart_id, title, desc, labels, shares, *, row_labels=None, tick_every=7, height=150):
    """A line of percentages (0–100) per label; ``None`` (no traffic that day) breaks the
    line. Every point is also marked, so a single day still shows."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = height - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    parts = [_open(chart_id, title, desc, height)]
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_f(y)}" y2="{_f(y)}"/>'
        )
        parts.append(_text(LEFT - 4, y + 4, f"{round(fraction * 100)}%", anchor="end"))
    runs, run = [], []
    for i, (label, share) in enumerate(zip(labels, shares, strict=True)):
        x = LEFT + slot * i + slot / 2
        if share is None:
            if run:
                runs.append(run)
            run = []
        else:
            y = TOP + plot_h * (1 - share / 100)
            run.append((x, y, label, share))
        if _is_tick(i, len(labels), tick_every):
            parts.append(_text(x, height - 6, label, anchor=_anchor(i, len(labels))))
    if run:
        runs.append(run)
    for run in runs:
        points = " ".join(f"{_f(x)},{_f(y)}" for x, y, _, _ in run)
        parts.append(f'<polyline class="chart-line" points="{points}"/>')
        for x, y, label, share in run:
            parts.append(
                f'<circle class="chart-point" cx="{_f(x)}" cy="{_f(y)}" r="2.5" '
                f'data-value="{share:g}"><title>{escape(label)}: {share:g}%</title></circle>'
            )
    parts.append("</svg>")
    rows = [
        [label, "–" if share is None else f"{share:g}%"]
        for label, share in zip(row_labels or labels, shares, strict=True)
    ]
    return Chart(chart_id, title, desc, "".join(parts), ["Day", "With valid proof"], rows)


def horizontal_bars(chart_id, title, desc, labels, series):
    """One horizontal stacked bar per label (an app version), the label and its share
    with valid proof written above the bar, so long version names fit on a phone. The
    first series is the one whose share is written ("92% valid")."""
    row_h = 36
    height = TOP + row_h * max(len(labels), 1)
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = max(totals, default=0) or 1
    plot_w = WIDTH - 8
    parts = [_open(chart_id, title, desc, height)]
    for i, label in enumerate(labels):
        y = TOP + row_h * i
        share = percent(series[0].values[i], totals[i])
        caption = f"{label} · {_number(totals[i])} · {share} {series[0].label.lower()}"
        parts.append(_text(0, y + FONT - 2, caption))
        x = 0.0
        for s in series:
            value = s.values[i]
            if not value:
                continue
            w = plot_w * value / top
            parts.append(
                f'<rect class="bar s-{s.key}" x="{_f(x)}" y="{_f(y + FONT + 2)}" '
                f'width="{_f(w)}" height="14" data-value="{value}">'
                f"<title>{escape(label)}: {_number(value)} {escape(s.label.lower())}</title></rect>"
            )
            x += w
    parts.append("</svg>")
    headers = [
        "App version",
        *[s.label for s in series],
        "Total",
        f"Share {series[0].label.lower()}",
    ]
    rows = [
        [
            label,
            *[_number(s.values[i]) for s in series],
            _number(totals[i]),
            percent(series[0].values[i], totals[i]),
        ]
        for i, label in enumerate(labels)
    ]
    return Chart(chart_id, title, desc, "".join(parts), headers, rows, _legend(series))
