"""Which plots a benchmark table gets, and the numbers they are drawn from.

Headline metrics are read by key with a fallback: the image-reading headline is
the first of ``IMAGE_HEADLINES`` that a submission carries (older results have
no balanced accuracy), and the plot names the one it used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxralign.leaderboard.aggregate import BenchmarkTable, Entry, finding_values
from cxralign.leaderboard.labels import metric_label
from cxralign.leaderboard.plots import (
    Difference,
    Series,
    colour,
    difference_plot,
    forest_plot,
    text_prior_plot,
)
from cxralign.vocab import CHEXPERT_14

TASK_A = "negation.accuracy"
IMAGE_HEADLINES = ("balanced.accuracy", "grounded.accuracy", "negation.grounded", "overall.grounded")
"""The image-reading headline, best first: balanced accuracy, then grounded accuracies."""
PAIRED_BOOTSTRAP = 1000


@dataclass(frozen=True)
class Figure:
    """One plot of a benchmark: ``plots/<slug>.svg`` on disk and inline on the page."""

    slug: str
    title: str
    caption: str
    svg: str


def _series(entries: list[Entry], values: list[Mapping]) -> list[Series]:
    return [
        Series(e.submission.model.name, colour(i), dict(v))
        for i, (e, v) in enumerate(zip(entries, values, strict=True))
    ]


def _chance(entries: list[Entry], metric: str, default: float = 0.5) -> float:
    for e in entries:
        m = e.result.metrics.get(metric)
        if m is not None and m.chance is not None:
            return float(m.chance)
    return default


def _blind(entry: Entry, metric: str) -> float | None:
    m = entry.result.metrics.get(metric)
    if m is not None and m.blind is not None:
        return float(m.blind)
    value = (entry.result.config.get("blind") or {}).get(metric)
    return None if value is None else float(value)


def text_prior_figure(table: BenchmarkTable) -> Figure | None:
    """Task A against the balanced / grounded headline, for CXR-Align tables."""
    entries = table.entries
    if not any(TASK_A in e.result.metrics for e in entries):
        return None
    y_metric = next((m for m in IMAGE_HEADLINES if any(m in e.result.metrics for e in entries)), None)
    if y_metric is None:
        return None
    series = _series(entries, [e.result.metrics for e in entries])
    bx, by = _blind(entries[0], TASK_A), _blind(entries[0], y_metric)
    svg = text_prior_plot(
        series, TASK_A, y_metric, _chance(entries, TASK_A), _chance(entries, y_metric),
        blind=(bx, by) if bx is not None and by is not None else None,
    )  # fmt: skip
    shown = f"{y_metric} is the image-reading score shown"
    fallback = (
        f" ({IMAGE_HEADLINES[0]} is not in these results; {shown})."
        if y_metric != IMAGE_HEADLINES[0]
        else "."
    )
    return Figure(
        f"{table.key.slug}-text-prior",
        f"Task A against {y_metric}",
        "A model that wins Task A by a text prior sits in the shaded band: high on Task A, at chance where "
        "the image decides. Points above the dashed line read the image; bars are 95% intervals" + fallback,
        svg,
    )


def _per_finding(entry: Entry) -> dict:
    values = finding_values(entry.result)
    if values:
        return values
    head = entry.result.main_score.split(".")[0]  # zero-shot: auroc.mean -> auroc/class
    return dict(entry.result.per_group.get(f"{head}/class", {}))


def per_finding_figure(table: BenchmarkTable) -> Figure | None:
    values = [_per_finding(e) for e in table.entries]
    names = {f for v in values for f in v}
    if not names:
        return None
    findings = [f for f in CHEXPERT_14 if f in names] + sorted(names - set(CHEXPERT_14))
    metric = table.main_score
    svg = forest_plot(
        findings, _series(table.entries, values), chance=_chance(table.entries, metric),
        title=f"{metric} per finding", n_label="n items",
    )  # fmt: skip
    return Figure(
        f"{table.key.slug}-per-finding",
        f"{metric} per finding",
        "Dots are point estimates with 95% intervals; n is the number of items per model (in red below 30, "
        "where an interval is wide). \u201cno items\u201d means the benchmark has none for that finding, or "
        "fewer than 30 (withheld), not a zero.",
        svg,
    )


def _scores(directory: Path, entry: Entry) -> pd.DataFrame:
    return pd.read_parquet(directory / entry.result.scores_file)


def paired_figures(table: BenchmarkTable, submission_dirs: Mapping[str, Path]) -> list[Figure]:
    """``cxralign compare`` of every entry against the leader, on the items both scored."""
    from cxralign.tasks.compare import compare_scored

    entries = [e for e in table.entries if e.submission.name in submission_dirs]
    if len(entries) < 2:
        return []
    leader, wanted = entries[0], set(table.metric_names)
    seed = int(leader.result.config.get("seed", 0))
    leader_scores = _scores(submission_dirs[leader.submission.name], leader)
    figures = []
    for other in entries[1:]:
        with np.errstate(invalid="ignore", divide="ignore"):  # a resample may draw no item of a rare op
            rows = compare_scored(
                leader.result.key, leader.result, leader_scores, other.result,
                _scores(submission_dirs[other.submission.name], other), n_boot=PAIRED_BOOTSTRAP, seed=seed,
            )  # fmt: skip
        picked = [r for r in rows if r.metric in wanted] or [r for r in rows if r.test == "paired bootstrap"]
        if not picked:
            continue
        order = {m: i for i, m in enumerate(table.metric_names)}
        picked.sort(key=lambda r: (order.get(r.metric, len(order)), r.metric))
        a, b = leader.submission.model.name, other.submission.model.name
        figures.append(
            Figure(
                f"{table.key.slug}-paired-{other.submission.name}",
                f"Paired difference: {b} minus {a}",
                f"From cxralign compare: {PAIRED_BOOTSTRAP} paired bootstrap resamples of the items both models "
                "scored (seed of the evaluation). Blue: the 95% interval excludes zero (p < 0.05).",
                difference_plot(
                    [Difference(r.metric, r.diff, r.ci_low, r.ci_high, r.p_value, r.test) for r in picked],
                    a,
                    b,
                    row_labels={r.metric: metric_label(r.metric) for r in picked},
                ),  # fmt: skip
            )
        )
    return figures


def table_figures(table: BenchmarkTable, submission_dirs: Mapping[str, Path] | None = None) -> list[Figure]:
    """Every plot of one benchmark table, in page order."""
    figures = [f for f in (text_prior_figure(table), per_finding_figure(table)) if f is not None]
    return figures + paired_figures(table, submission_dirs or {})
