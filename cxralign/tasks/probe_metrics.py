"""Metrics for tasks trained at several label fractions and seeds (linear probe, fine-tune).

Per fraction: the mean over seeds of each headline metric, a 95% bootstrap
interval over test items (the same resample applied to every seed's
predictions), and the standard deviation across seeds as ``<metric>.sd``.
Per-class AUROC is averaged over seeds in ``per_group``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cxralign.tasks.base import Metrics, PerGroup
from cxralign.tasks.classification import arrays, classification_metrics
from cxralign.tasks.metrics import bootstrap_statistic_ci, weighted_auroc
from cxralign.tasks.results import MetricValue


def fraction_label(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def _seed_mean_statistic(parts: list[pd.DataFrame], classes: list[str], kind: str):
    prepared = [arrays(p, classes) for p in parts]

    def statistic(w: np.ndarray) -> np.ndarray:
        per_seed = []
        for s, y in prepared:
            if kind == "multiclass":
                correct = (np.argmax(s, axis=1) == np.argmax(np.nan_to_num(y, nan=-1), axis=1)).astype(float)
                per_seed.append(w @ correct / w.sum(axis=1))
            else:
                finite = np.isfinite(y)
                y0 = np.nan_to_num(y)
                aucs = [
                    weighted_auroc(y0[:, k], s[:, k], w * finite[:, k][None, :]) for k in range(len(classes))
                ]
                with np.errstate(all="ignore"):
                    per_seed.append(np.nanmean(np.stack(aucs), axis=0))
        return np.mean(np.stack(per_seed), axis=0)

    return statistic


def probe_metrics(scores: pd.DataFrame, config: dict[str, Any]) -> tuple[Metrics, PerGroup]:
    seed, n_boot = int(config.get("seed", 0)), int(config.get("bootstrap", 1000))
    classes, kind = list(config["classes"]), config["kind"]
    headline = (
        ("accuracy", "balanced_accuracy", "auroc.mean") if kind == "multiclass" else ("auroc.mean", "ap.mean")
    )
    metrics: Metrics = {}
    per_group: PerGroup = {}
    for fraction in sorted(scores["fraction"].unique()):
        label = fraction_label(float(fraction))
        rows = scores[scores["fraction"] == fraction]
        parts = [
            part.sort_values("item_id", kind="mergesort").reset_index(drop=True)
            for _, part in rows.groupby("seed", sort=True)
        ]
        computed = [classification_metrics(p, {**config, "bootstrap": 0}) for p in parts]
        per_seed = [metrics_ for metrics_, _ in computed]
        per_seed_groups = [groups for _, groups in computed]
        for name in headline:
            values = [m[name].value for m in per_seed if name in m]
            if not values:
                continue
            lo = hi = None
            if name in ("auroc.mean", "accuracy") and not (kind == "multiclass" and name == "auroc.mean"):
                lo, hi = bootstrap_statistic_ci(
                    _seed_mean_statistic(parts, classes, kind), len(parts[0]), seed, f"{name}@{label}", n_boot
                )
            metrics[f"{name}@{label}"] = MetricValue(
                value=float(np.mean(values)),
                ci_low=lo,
                ci_high=hi,
                n=len(parts[0]),
                chance=per_seed[0][name].chance,
            )
            metrics[f"{name}@{label}.sd"] = MetricValue(
                value=float(np.std(values, ddof=1)) if len(values) > 1 else 0.0, n=len(values)
            )
        table: dict[str, list[float]] = {}
        for groups in per_seed_groups:
            for cls, m in groups.get("auroc/class", {}).items():
                table.setdefault(cls, []).append(m.value)
        per_group[f"auroc/class@{label}"] = {
            cls: MetricValue(value=float(np.mean(v)), n=len(v), chance=0.5) for cls, v in table.items()
        }
    return metrics, per_group
