"""A self-contained HTML report next to the results: tables plus embedded PNG plots.

Plots: CXR-Align per-finding accuracy bars (with intervals and the chance line),
zero-shot ROC curves per class, and reliability diagrams for scores that are
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


def _png(figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def _finding_bars(result) -> list[dict[str, str]]:
    """Per-finding bars labelled with n; findings withheld for a small n (``<metric>/finding_low_n``)
    are drawn grey, without an interval, so nobody reads them as results."""
    import matplotlib.pyplot as plt

    plots = []
    groups = {g.removesuffix("_low_n") for g in result.per_group if g.endswith((".accuracy/finding", "_low_n"))}
    for group in sorted(g for g in groups if g.endswith(".accuracy/finding")):
        table, low_n = result.per_group.get(group, {}), result.per_group.get(group + "_low_n", {})
        if not (table or low_n):
            continue
        names = sorted(table) + sorted(low_n)
        cells = [table.get(n) or low_n[n] for n in names]
        values = np.array([c.value for c in cells])
        low = np.array([c.ci_low if c.ci_low is not None and n in table else c.value for n, c in zip(names, cells, strict=True)])
        high = np.array([c.ci_high if c.ci_high is not None and n in table else c.value for n, c in zip(names, cells, strict=True)])
        labels = [f"{n} (n={c.n})" for n, c in zip(names, cells, strict=True)]
        colours = ["#4c72b0" if n in table else "#bbbbbb" for n in names]
        figure, axis = plt.subplots(figsize=(7, 0.35 * len(names) + 1.2))
        axis.barh(labels, values, xerr=[values - low, high - values], color=colours, capsize=3)
        axis.axvline(0.5, color="#c44", linestyle="--", label="chance")
        axis.set_xlim(0, 1)
        minimum = result.config.get("min_finding_n")
        note = f" (grey: n < {minimum}, withheld)" if low_n and minimum else ""
        axis.set_title(f"{group.split('/')[0]} per finding{note}")
        axis.legend(loc="lower right")
        plots.append({"alt": f"{group} per finding", "data": _png(figure)})
    return plots


def _roc_and_reliability(result, scores) -> list[dict[str, str]]:
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

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
        figure, axis = plt.subplots(figsize=(5, 5))
        for cls, labels, values in curves:
            fpr, tpr, _ = roc_curve(labels, values)
            axis.plot(fpr, tpr, label=cls, linewidth=1)
        axis.plot([0, 1], [0, 1], "k--", linewidth=0.8)
        axis.set_xlabel("false positive rate")
        axis.set_ylabel("true positive rate")
        axis.set_title(f"ROC: {result.task} on {result.dataset}")
        axis.legend(fontsize=6, loc="lower right")
        plots.append({"alt": "ROC curves", "data": _png(figure)})
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
            figure, axis = plt.subplots(figsize=(5, 5))
            axis.plot([0, 1], [0, 1], "k--", linewidth=0.8)
            axis.plot(centres, observed, "o-", color="#4c72b0")
            axis.set_xlabel("predicted probability")
            axis.set_ylabel("observed positive rate")
            axis.set_title(f"Reliability: {result.task} on {result.dataset}")
            plots.append({"alt": "reliability diagram", "data": _png(figure)})
    return plots


def write_html_report(out: str | Path, spec: str, outcomes: list) -> Path:
    """Write ``OUT/<model-slug>/report.html`` and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    sections, failures, fingerprint = [], [], ""
    for outcome in outcomes:
        if outcome.status == "failed":
            failures.append(f"{outcome.task} on {outcome.dataset}: {outcome.message}")
        for path, result in zip(outcome.paths, outcome.results, strict=True):
            fingerprint = result.model.fingerprint
            rows = [
                [
                    name,
                    _fmt(m.value),
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
