"""Static SVG plots for the leaderboard, drawn at render time (no script, no CDN, no plotting library).

Three views: Task A against the image-reading headline (a text prior sits at the
right edge at chance height, and that region is labelled), per-finding scores
with their intervals and n, and paired differences from ``cxralign compare``.
Each function returns one standalone SVG document as a string; every text from
a submission is XML-escaped, and the output depends only on its inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from cxralign.tasks.results import MetricValue

PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442")
"""Okabe-Ito: distinguishable with the common colour-vision deficiencies."""
INK, MUTED, GRID, PRIOR = "#1b1f24", "#5b6470", "#e3e7ec", "#fbe3cf"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"


@dataclass(frozen=True)
class Series:
    """One model in a plot: its label, colour and values."""

    label: str
    colour: str
    values: dict[str, MetricValue | None]


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".") if abs(x - round(x)) > 1e-9 else str(round(x))


def _text(x: float, y: float, body: str, *, anchor: str = "start", size: int = 12, fill: str = INK,
          weight: str = "normal", extra: str = "") -> str:  # fmt: skip
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" font-size="{size}" fill="{fill}"'
        f' font-weight="{weight}"{extra}>{escape(body)}</text>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, width: float = 1, dash: str = "") -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" stroke="{stroke}"'
        f' stroke-width="{width}"{dashed}/>'
    )


def _document(width: float, height: float, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(width)} {_num(height)}"'
        f' width="{_num(width)}" height="{_num(height)}" role="img" aria-label={quoteattr(title)}'
        f' font-family="{FONT}"><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _interval(m: MetricValue) -> str:
    return "" if m.ci_low is None or m.ci_high is None else f" [{m.ci_low:.3f}, {m.ci_high:.3f}]"


def _axis_low(values: Sequence[float], floor: float = 0.0) -> float:
    """A lower axis bound at a tenth below the smallest value (and never above 0.4)."""
    low = min([*values, 0.4]) - 0.05
    return max(floor, math.floor(low * 10) / 10)


def _ticks(low: float, high: float, step: float) -> list[float]:
    first = math.ceil(low / step - 1e-9) * step
    return [round(first + i * step, 6) for i in range(int((high - first) / step + 1e-9) + 1)]


def _legend(series: Sequence[Series], x: float, y: float, width: float) -> tuple[list[str], float]:
    """Colour keys in rows that wrap at ``width``; returns the elements and the height used."""
    out, cx, cy = [], x, y
    for s in series:
        label = s.label if len(s.label) <= 34 else s.label[:33] + "…"
        span = 22 + 7.2 * len(label)
        if cx + span > x + width and cx > x:
            cx, cy = x, cy + 18
        out.append(f'<circle cx="{_num(cx + 5)}" cy="{_num(cy - 4)}" r="5" fill="{s.colour}"/>')
        out.append(_text(cx + 14, cy, label))
        cx += span + 12
    return out, cy - y + 18


def text_prior_plot(
    series: Sequence[Series], x_metric: str, y_metric: str, x_chance: float, y_chance: float,
    blind: tuple[float, float] | None = None,
) -> str:  # fmt: skip
    """Task A (x) against the image-reading headline (y), one point per model with 95% intervals.

    A model that wins Task A from the text alone sits at the right edge at chance
    height; that region is shaded and labelled. ``blind`` places the benchmark's own
    text-only baseline where both of its figures are known.
    """
    width, left, right, top = 560.0, 58.0, 18.0, 30.0
    plot_w = width - left - right
    plot_h = 330.0
    legend, legend_h = _legend(series, left, top + plot_h + 52, plot_w)
    height = top + plot_h + 52 + legend_h
    points = [(s, s.values.get(x_metric), s.values.get(y_metric)) for s in series]
    shown = [(s, x, y) for s, x, y in points if x is not None and y is not None]
    values = [v for _, x, y in shown for v in (x.value, y.value, x.ci_low or x.value, y.ci_low or y.value)]
    low = _axis_low([*values, x_chance, y_chance, *(blind or ())])

    def px(v: float) -> float:
        return left + (v - low) / (1 - low) * plot_w

    def py(v: float) -> float:
        return top + (1 - (v - low) / (1 - low)) * plot_h

    body = []
    for t in _ticks(low, 1.0, 0.1):
        body += [_line(px(t), top, px(t), top + plot_h, GRID), _line(left, py(t), left + plot_w, py(t), GRID)]
        body += [_text(px(t), top + plot_h + 16, f"{t:.1f}", anchor="middle", size=11, fill=MUTED)]
        body += [_text(left - 6, py(t) + 4, f"{t:.1f}", anchor="end", size=11, fill=MUTED)]
    # the text-prior region: Task A well above chance, the image-reading score at chance
    x0 = max(low, x_chance + 0.6 * (1 - x_chance))
    band = 0.06
    body.append(
        f'<rect x="{_num(px(x0))}" y="{_num(py(min(1.0, y_chance + band)))}" width="{_num(px(1.0) - px(x0))}"'
        f' height="{_num(py(max(low, y_chance - band)) - py(min(1.0, y_chance + band)))}" fill="{PRIOR}"'
        ' stroke="#e8a46a" stroke-dasharray="3 2"><title>A text prior lands here: it wins Task A without'
        " reading the image, and scores chance where the image decides</title></rect>"
    )
    body.append(_text(px(1.0) - 4, py(max(low, y_chance - band)) + 14, "text prior: Task A won without the image",
                      anchor="end", size=11, fill="#9a4b0f", weight="600"))  # fmt: skip
    body.append(_line(left, py(y_chance), left + plot_w, py(y_chance), MUTED, 1, "5 4"))
    body.append(_text(left + 4, py(y_chance) - 4, f"chance {y_chance:.2f}", size=10, fill=MUTED))
    body.append(_line(px(x_chance), top, px(x_chance), top + plot_h, MUTED, 1, "5 4"))
    body.append(_line(px(low), py(low), px(1.0), py(1.0), "#c9ced6", 1, "2 3"))  # y = x
    body.append(f'<rect x="{_num(left)}" y="{_num(top)}" width="{_num(plot_w)}" height="{_num(plot_h)}"'
                f' fill="none" stroke="{MUTED}" stroke-width="0.8"/>')  # fmt: skip
    if blind is not None:
        bx, by = px(blind[0]), py(blind[1])
        body.append(
            f'<path d="M{_num(bx)} {_num(by - 7)} l7 7 l-7 7 l-7 -7 z" fill="#fff" stroke="{INK}" stroke-width="1.5">'
            f"<title>text-only baseline of the benchmark build: {blind[0]:.3f}, {blind[1]:.3f}</title></path>"
        )
        body.append(_text(bx - 10, by + 4, "text-only baseline", anchor="end", size=10, fill=INK))
    for s, x, y in shown:
        cx, cy = px(x.value), py(y.value)
        if x.ci_low is not None and x.ci_high is not None:
            body.append(_line(px(x.ci_low), cy, px(x.ci_high), cy, s.colour, 1.6))
        if y.ci_low is not None and y.ci_high is not None:
            body.append(_line(cx, py(y.ci_low), cx, py(y.ci_high), s.colour, 1.6))
        tip = f"{s.label}: {x_metric} {x.value:.3f}{_interval(x)}, {y_metric} {y.value:.3f}{_interval(y)}"
        body.append(
            f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="6" fill="{s.colour}" stroke="#fff" stroke-width="1.5">'
            f"<title>{escape(tip)}</title></circle>"
        )
    body.append(_text(left + plot_w / 2, top + plot_h + 36, f"{x_metric} (Task A; 95% CI)", anchor="middle"))
    body.append(_text(16, top + plot_h / 2, f"{y_metric} (95% CI)", anchor="middle",
                      extra=f' transform="rotate(-90 16 {_num(top + plot_h / 2)})"'))  # fmt: skip
    missing = [s.label for s, x, y in points if x is None or y is None]
    if missing:
        body.append(
            _text(left, 18, f"not plotted (no {y_metric}): {', '.join(missing)}", size=10, fill=MUTED)
        )
    body += legend
    return _document(width, height, f"{x_metric} against {y_metric}", body)


def forest_plot(
    rows: Sequence[str], series: Sequence[Series], *, chance: float | None, title: str,
    row_labels: dict[str, str] | None = None, n_label: str = "n",
) -> str:  # fmt: skip
    """One row per finding (or metric), one dot with its 95% interval per model, n at the right.

    A value of zero is drawn as a dot at 0; a row a model has no items for says
    "no items" instead, so a zero never looks like missing data.
    """
    label_w, n_w, width, top = 196.0, 64.0, 660.0, 46.0
    left, plot_w = label_w, width - label_w - n_w - 10
    step = 15.0
    row_h = step * max(len(series), 1) + 10
    legend, legend_h = _legend(series, 10, 18, width - 20)
    top += legend_h - 18
    height = top + row_h * len(rows) + 34
    values = [v.value for s in series for v in s.values.values() if v is not None]
    low = 0.0 if not values or min(values) < 0.4 else _axis_low(values)

    def px(v: float) -> float:
        return left + (max(min(v, 1.0), low) - low) / (1 - low) * plot_w

    body = list(legend)
    for t in _ticks(low, 1.0, 0.1 if low > 0 else 0.25):
        body.append(_line(px(t), top - 4, px(t), top + row_h * len(rows), GRID))
        body.append(_text(px(t), top + row_h * len(rows) + 16, f"{t:.2f}".rstrip("0").rstrip(".") if t else "0",
                          anchor="middle", size=11, fill=MUTED))  # fmt: skip
    if chance is not None:
        body.append(_line(px(chance), top - 8, px(chance), top + row_h * len(rows), MUTED, 1, "5 4"))
        body.append(_text(px(chance), top - 10, f"chance {chance:.2f}", anchor="middle", size=10, fill=MUTED))
    body.append(_text(width - 8, top - 10, n_label, anchor="end", size=10, fill=MUTED, weight="600"))
    for r, row in enumerate(rows):
        y0 = top + r * row_h
        if r % 2:
            body.append(
                f'<rect x="0" y="{_num(y0)}" width="{_num(width)}" height="{_num(row_h)}" fill="#f6f8fa"/>'
            )
        label = (row_labels or {}).get(row, row)
        body.append(_text(label_w - 10, y0 + row_h / 2 + 4, label, anchor="end", size=12))
        for k, s in enumerate(series):
            y = y0 + 5 + step * k + step / 2
            m = s.values.get(row)
            if m is None:
                body.append(
                    _text(px(low) + 4, y + 4, "no items", size=10, fill=MUTED, extra=' font-style="italic"')
                )
                body.append(_text(width - 8, y + 4, "0", anchor="end", size=11, fill=MUTED))
                continue
            if m.ci_low is not None and m.ci_high is not None:
                body.append(_line(px(m.ci_low), y, px(m.ci_high), y, s.colour, 1.8))
            n = "" if m.n is None else f", n = {m.n}"
            tip = f"{s.label} · {label}: {m.value:.3f}{_interval(m)}{n}"
            body.append(f'<circle cx="{_num(px(m.value))}" cy="{_num(y)}" r="4.5" fill="{s.colour}">'
                        f"<title>{escape(tip)}</title></circle>")  # fmt: skip
            body.append(_text(width - 8, y + 4, "–" if m.n is None else str(m.n), anchor="end", size=11,
                              fill=INK if (m.n or 0) >= 30 else "#9b1c0c"))  # fmt: skip
    body.append(_line(left, top - 4, left, top + row_h * len(rows), MUTED, 0.8))
    return _document(width, height, title, body)


@dataclass(frozen=True)
class Difference:
    """One paired comparison row: B - A on the same items, with its interval and p-value."""

    metric: str
    diff: float
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    test: str


def difference_plot(
    rows: Sequence[Difference], a_label: str, b_label: str, *, row_labels: dict[str, str]
) -> str:
    """Paired differences (B - A) with 95% intervals around a zero line; the figures printed at the right."""
    label_w, text_w, width, top, row_h = 110.0, 222.0, 640.0, 40.0, 26.0
    left, plot_w = label_w, width - label_w - text_w
    extent = max([abs(v) for r in rows for v in (r.diff, r.ci_low or 0.0, r.ci_high or 0.0)] + [0.02])
    extent = math.ceil(extent * 20 + 1e-9) / 20

    def px(v: float) -> float:
        return left + (v + extent) / (2 * extent) * plot_w

    def short(label: str) -> str:
        return label if len(label) <= 20 else label[:19] + "…"

    height = top + row_h * len(rows) + 34
    body = [
        _text(10, 16, f"{b_label} minus {a_label} on the same items", size=12, weight="600"),
        _text(px(-extent), top - 8, f"← {short(a_label)} better", size=10, fill=MUTED),
        _text(px(extent), top - 8, f"{short(b_label)} better →", anchor="end", size=10, fill=MUTED),
    ]
    for t in _ticks(-extent, extent, extent / 2):
        body.append(_line(px(t), top - 2, px(t), top + row_h * len(rows), GRID))
        body.append(_text(px(t), top + row_h * len(rows) + 16, f"{t:+.2f}" if t else "0", anchor="middle",
                          size=11, fill=MUTED))  # fmt: skip
    body.append(_line(px(0), top - 2, px(0), top + row_h * len(rows), INK, 1))
    for r, row in enumerate(rows):
        y = top + r * row_h + row_h / 2
        if r % 2:
            body.append(f'<rect x="0" y="{_num(y - row_h / 2)}" width="{_num(width)}" height="{_num(row_h)}"'
                        ' fill="#f6f8fa"/>')  # fmt: skip
        body.append(_text(label_w - 10, y + 4, row_labels.get(row.metric, row.metric), anchor="end"))
        significant = row.p_value is not None and row.p_value < 0.05
        shade = PALETTE[0] if significant else MUTED
        if row.ci_low is not None and row.ci_high is not None:
            body.append(_line(px(row.ci_low), y, px(row.ci_high), y, shade, 2))
        ci = "" if row.ci_low is None else f" [{row.ci_low:+.3f}, {row.ci_high:+.3f}]"
        p = "" if row.p_value is None else "p < 0.001" if row.p_value < 0.001 else f"p = {row.p_value:.3g}"
        tip = f"{row.metric}: {row.diff:+.3f}{ci}, {p} ({row.test})"
        body.append(f'<circle cx="{_num(px(row.diff))}" cy="{_num(y)}" r="5" fill="{shade}">'
                    f"<title>{escape(tip)}</title></circle>")  # fmt: skip
        body.append(_text(width - 8, y + 4, f"{row.diff:+.3f}{ci}  {p}", anchor="end", size=11,
                          fill=INK if significant else MUTED))  # fmt: skip
    return _document(width, height, f"paired differences: {b_label} minus {a_label}", body)
