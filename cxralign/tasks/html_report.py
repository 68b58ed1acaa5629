"""A self-contained HTML report next to the results: tables plus embedded PNG plots.

Plots: CXR-Align per-finding accuracy bars (with intervals, n and the chance line;
a finding without items is marked, never drawn as a zero), zero-shot ROC curves as
per-class small multiples, and reliability diagrams for scores that are
probabilities. Everything is read back from the result files, so the report
is the same whether a result was computed now or skipped by ``--resume``.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, select_autoescape

from cxralign.tasks.classification import LABEL, SCORE
from cxralign.tasks.io import read_scores, slugify
from cxralign.tasks.results import MIN_FINDING_N
from cxralign.utils.atomic import atomic_write_text

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cxralign report: {{ spec }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.failed{color:#b00}
img{max-width:100%;border:1px solid #eee;margin:.5rem 0}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem}
</style></head><body>
<h1>cxralign evaluation of <code>{{ spec }}</code></h1>
<p>Model fingerprint <code>{{ fingerprint }}</code>. Figures are point estimates with 95% bootstrap intervals;
<em>chance</em> is what a random scorer gets, <em>blind</em> the text-only baseline from the benchmark build.</p>
{% if failures %}<h2>Failures</h2><ul>{% for f in failures %}<li class="failed">{{ f }}</li>{% endfor %}</ul>{% endif %}
{% for section in sections %}
<h2>{{ section.title }}</h2>
<table><tr><th>metric</th><th>value</th><th>95% CI</th><th>chance</th><th>blind</th><th>n</th></tr>
{% for row in section.rows %}<tr><td>{{ row[0] }}</td>{% for cell in row[1:] %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
</table>
{% for plot in section.plots %}<img alt="{{ plot.alt }}" src="data:image/png;base64,{{ plot.data }}">{% endfor %}
{% endfor %}
</body></html>
"""


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _fmt_value(metric) -> str:
    """A count (no interval, no chance, a whole number) prints as an integer: 404, not 404.000."""
    value = metric.value
    if metric.ci_low is None and metric.chance is None and float(value).is_integer():
        return str(int(value))
    return _fmt(value)


def _pyplot():  # noqa: ANN202
    """pyplot on the Agg backend, imported when the first plot is drawn (0.6 s of start-up otherwise)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(figure) -> str:
    plt = _pyplot()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def withheld_by_n(table: dict, low_n: dict, minimum: int) -> tuple[dict, dict]:
    """(shown, withheld) per-finding values: withheld when the task kept them apart (cxr-align 2.0's
    ``_low_n``) or, for results that did not (version 1), when their n is below ``minimum``."""
    shown = {name: m for name, m in table.items() if m.n is None or m.n >= minimum}
    return shown, {**low_n, **{name: m for name, m in table.items() if name not in shown}}


def _finding_bars(result) -> list[dict[str, str]]:
    """Per-finding accuracy of each op: n printed on every bar, a zero drawn, a finding without items said so;
    findings withheld for a small n (``<metric>/finding_low_n``) are drawn grey, without an interval, so nobody
    reads them as results."""
    suffix = ".accuracy/finding"
    groups = {g.removesuffix("_low_n") for g in result.per_group if g.endswith((suffix, suffix + "_low_n"))}
    minimum = int(result.config.get("min_finding_n", MIN_FINDING_N))  # results without it (v1): the default
    tables = {
        g: withheld_by_n(result.per_group.get(g, {}), result.per_group.get(g + "_low_n", {}), minimum)
        for g in sorted(groups)
    }
    tables = {g: pair for g, pair in tables.items() if pair[0] or pair[1]}
    every = sorted({name for table, low_n in tables.values() for name in (*table, *low_n)})
    plots = []
    for group, (table, low_n) in tables.items():
        names = every[::-1]  # first finding on top
        figure, axis = _pyplot().subplots(figsize=(7.5, 0.36 * len(names) + 1.3))
        for y, name in enumerate(names):
            m = table.get(name) or low_n.get(name)
            if m is None:
                axis.axhspan(y - 0.4, y + 0.4, color="#f1f1f1", zorder=0)
                axis.text(
                    0.01, y, "no items", va="center", ha="left", fontsize=8, color="#777", style="italic"
                )
                continue
            withheld = name not in table
            if withheld:
                axis.barh(y, m.value, color="#bbbbbb", height=0.7)
            else:
                low = m.value - (m.ci_low if m.ci_low is not None else m.value)
                high = (m.ci_high if m.ci_high is not None else m.value) - m.value
                axis.barh(y, m.value, xerr=[[low], [high]], color="#4c72b0", capsize=3, height=0.7)
            if m.value == 0:  # a zero, not a gap: a marker on the axis
                axis.plot([0], [y], marker="D", markersize=6, color="#b2182b", clip_on=False, zorder=5)
            n = "" if m.n is None else f"  n={m.n}"
            axis.text(1.01, y, f"{m.value:.2f}{n}", va="center", ha="left", fontsize=8,
                      color="#b2182b" if (m.n or 0) < minimum else "#222", transform=axis.get_yaxis_transform())  # fmt: skip
        chance = next((m.chance for m in (*table.values(), *low_n.values()) if m.chance is not None), None)
        if chance is not None:
            axis.axvline(chance, color="#c44", linestyle="--", linewidth=1, label=f"chance {chance:.2f}")
            axis.legend(loc="lower right", fontsize=8, framealpha=0.9)
        axis.set_yticks(range(len(names)), names)
        axis.set_ylim(-0.6, len(names) - 0.4)
        axis.set_xlim(0, 1)
        axis.set_xlabel(f"accuracy (95% CI); n items at right, red below {minimum}")
        note = f" (grey: n < {minimum}, withheld)" if low_n else ""
        axis.set_title(f"{group.split('/')[0]} per finding{note}")
        plots.append({"alt": f"{group} per finding", "data": _png(figure)})
    return plots


def _roc_grid(curves: list, title: str):
    """Small multiples: one ROC per class with its AUROC and counts, the chance diagonal in each."""
    from sklearn.metrics import roc_auc_score, roc_curve

    columns = min(5, len(curves))
    rows = -(-len(curves) // columns)
    figure, axes = _pyplot().subplots(rows, columns, figsize=(2.3 * columns, 2.75 * rows + 0.4), squeeze=False,
                                sharex=True, sharey=True)  # fmt: skip
    for axis in axes.flat[len(curves) :]:
        axis.set_visible(False)
    for axis, (cls, labels, values) in zip(axes.flat, curves, strict=False):
        fpr, tpr, _ = roc_curve(labels, values)
        axis.plot([0, 1], [0, 1], color="#999", linestyle="--", linewidth=0.8)
        axis.plot(fpr, tpr, color="#1f5fa8", linewidth=1.6)
        positives = int(labels.sum())
        axis.set_title(f"{cls}\nAUROC {roc_auc_score(labels, values):.2f} · {positives}+ / {len(labels) - positives}\u2212",
                       fontsize=8)  # fmt: skip
        axis.set_aspect("equal")
        axis.tick_params(labelsize=7)
    for axis in axes[-1]:
        axis.set_xlabel("false positive rate", fontsize=8)
    for axis in axes[:, 0]:
        axis.set_ylabel("true positive rate", fontsize=8)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure


def _roc_and_reliability(result, scores) -> list[dict[str, str]]:
    classes = result.config.get("classes") or []
    if "fraction" in scores.columns:
        top = scores["fraction"].max()
        scores = scores[(scores["fraction"] == top) & (scores["seed"] == scores["seed"].min())]
    curves = []
    for cls in classes:
        labels = scores[LABEL + cls].to_numpy(float)
        if result.config.get("kind") == "multiclass":
            truth = scores[[LABEL + c for c in classes]].to_numpy(float).argmax(1)
            labels = (truth == classes.index(cls)).astype(float)
        mask = np.isfinite(labels)
        if mask.sum() and 0 < labels[mask].sum() < mask.sum():
            curves.append((cls, labels[mask], scores[SCORE + cls].to_numpy(float)[mask]))
    plots = []
    if curves:
        plots.append(
            {
                "alt": "ROC curves",
                "data": _png(_roc_grid(curves, f"ROC per class: {result.task} on {result.dataset}")),
            }
        )
        pooled_labels = np.concatenate([c[1] for c in curves])
        pooled = np.concatenate([c[2] for c in curves])
        if pooled.min() >= 0 and pooled.max() <= 1:
            edges = np.linspace(0, 1, 11)
            which = np.clip(np.digitize(pooled, edges) - 1, 0, 9)
            centres, observed, counts = [], [], []
            for b in range(10):
                in_bin = which == b
                if in_bin.any():
                    centres.append(pooled[in_bin].mean())
                    observed.append(pooled_labels[in_bin].mean())
                    counts.append(int(in_bin.sum()))
            figure, axis = _pyplot().subplots(figsize=(5, 5))
            axis.plot([0, 1], [0, 1], "k--", linewidth=0.8)
            axis.plot(centres, observed, "o-", color="#4c72b0")
            for x, y, count in zip(centres, observed, counts, strict=True):
                axis.annotate(
                    f"n={count}", (x, y), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=7
                )
            axis.set_xlabel("predicted probability")
            axis.set_ylabel("observed positive rate")
            axis.set_title(f"Reliability: {result.task} on {result.dataset}")
            plots.append({"alt": "reliability diagram", "data": _png(figure)})
    return plots


def write_html_report(out: str | Path, spec: str, outcomes: list) -> Path:
    """Write ``OUT/<model-slug>/report.html`` and return its path."""
    sections, failures, fingerprint = [], [], ""
    for outcome in outcomes:
        if outcome.status == "failed":
            failures.append(f"{outcome.task} on {outcome.dataset}: {outcome.message}")
        for path, result in zip(outcome.paths, outcome.results, strict=True):
            fingerprint = result.model.fingerprint
            rows = [
                [
                    name,
                    _fmt_value(m),
                    "-" if m.ci_low is None else f"[{m.ci_low:.3f}, {m.ci_high:.3f}]",
                    _fmt(m.chance),
                    _fmt(m.blind),
                    _fmt(m.n),
                ]
                for name, m in sorted(result.metrics.items())
            ]
            plots = _finding_bars(result) if result.task == "cxr-align" else []
            if result.config.get("classes"):
                plots += _roc_and_reliability(result, read_scores(path, result))
            sections.append(
                {
                    "title": f"{result.task} v{result.task_version} on {result.dataset} ({result.split})",
                    "rows": rows,
                    "plots": plots,
                }
            )
    html = (
        Environment(autoescape=select_autoescape(default=True))
        .from_string(_TEMPLATE)
        .render(spec=spec, fingerprint=fingerprint, sections=sections, failures=failures)
    )
    path = Path(out) / slugify(spec) / "report.html"
    atomic_write_text(path, html)
    return path
