"""Classification metrics shared by zero-shot, linear probe and fine-tune.

Score tables hold one ``score::<class>`` and one ``label::<class>`` column per
class (labels 1 / 0 / NaN where unknown or ignored by the uncertain-label policy;
a NaN label removes the item from that class only). Multi-label and binary
tasks report per-class AUROC and AP and their unweighted means over classes
that have both positives and negatives (degenerate classes are counted, never
averaged in as 0.5). Multi-class tasks report accuracy and balanced accuracy of
the arg-max class. F1 is reported only at thresholds fixed beforehand on
validation data (``config["thresholds"]``), never tuned on the split it scores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxralign.tasks.base import Metrics, PerGroup
from cxralign.tasks.metrics import (
    Statistic,
    ap_metric,
    auroc_metric,
    bootstrap_statistic_ci,
    mean_metric,
    weighted_auroc,
    weighted_average_precision,
)
from cxralign.tasks.results import MetricValue

SCORE, LABEL = "score::", "label::"


def score_table(
    ids: list[str], classes: tuple[str, ...], scores: np.ndarray, labels: np.ndarray, **extra
) -> pd.DataFrame:
    """The per-item table: ``item_id``, any extra columns, then scores and labels per class."""
    frame = pd.DataFrame({"item_id": [str(i) for i in ids], **extra})
    for k, cls in enumerate(classes):
        frame[SCORE + cls] = np.asarray(scores[:, k], dtype=np.float64)
    for k, cls in enumerate(classes):
        frame[LABEL + cls] = np.asarray(labels[:, k], dtype=np.float64)
    return frame


def arrays(scores: pd.DataFrame, classes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    return (
        scores[[SCORE + c for c in classes]].to_numpy(dtype=np.float64),
        scores[[LABEL + c for c in classes]].to_numpy(dtype=np.float64),
    )


def best_f1_threshold(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """The score threshold with the best F1 (for validation data only)."""
    mask = np.isfinite(labels)
    labels, scores = labels[mask], scores[mask]
    if labels.size == 0 or labels.max() <= 0:
        return None
    from sklearn.metrics import precision_recall_curve  # imported when used (start-up)

    precision, recall, thresholds = precision_recall_curve(labels, scores)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)[:-1]
    return float(thresholds[int(np.argmax(f1))])


def _weighted_f1(labels: np.ndarray, predicted: np.ndarray, weights: np.ndarray) -> np.ndarray:
    tp = weights @ (predicted & (labels == 1)).astype(np.float64)
    fp = weights @ (predicted & (labels == 0)).astype(np.float64)
    fn = weights @ (~predicted & (labels == 1)).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)


def _masked(weights: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return weights * mask[None, :]


def multilabel_metrics(
    scores: pd.DataFrame,
    classes: list[str],
    seed: int,
    n_boot: int,
    thresholds: dict[str, float] | None = None,
    prefix: str = "",
) -> tuple[Metrics, PerGroup]:
    """Per-class and mean AUROC / AP (and F1 at validation thresholds) for binary and multi-label tasks."""
    s, y = arrays(scores, classes)
    metrics: Metrics = {}
    per_class: dict[str, dict[str, MetricValue]] = {"auroc": {}, "ap": {}, "f1": {}, "positives": {}}
    usable = []
    for k, cls in enumerate(classes):
        mask = np.isfinite(y[:, k])
        labels, values = y[mask, k], s[mask, k]
        per_class["positives"][cls] = MetricValue(value=float(labels.sum()), n=int(mask.sum()))
        m = auroc_metric(labels, values, seed, f"{prefix}auroc/{cls}", n_boot)
        if m is None:
            continue
        usable.append(k)
        per_class["auroc"][cls] = m
        per_class["ap"][cls] = ap_metric(labels, values, seed, f"{prefix}ap/{cls}", n_boot)
        if thresholds and thresholds.get(cls) is not None:
            predicted = values >= thresholds[cls]
            f1 = _weighted_f1(labels, predicted, np.ones((1, labels.size)))[0]
            lo, hi = bootstrap_statistic_ci(
                lambda w, lab=labels, pred=predicted: _weighted_f1(lab, pred, w),
                labels.size,
                seed,
                f"{prefix}f1/{cls}",
                n_boot,
            )
            per_class["f1"][cls] = MetricValue(value=float(f1), ci_low=lo, ci_high=hi, n=int(labels.size))
    metrics[f"{prefix}classes.evaluated"] = MetricValue(value=float(len(usable)), n=len(classes))
    metrics[f"{prefix}classes.degenerate"] = MetricValue(
        value=float(len(classes) - len(usable)), n=len(classes)
    )
    if usable:
        finite = np.isfinite(y)
        y0 = np.nan_to_num(y)

        def mean_over_classes(fn, w):
            return np.nanmean(
                np.stack([fn(y0[:, k], s[:, k], _masked(w, finite[:, k])) for k in usable]), axis=0
            )

        for name, fn in (("auroc", weighted_auroc), ("ap", weighted_average_precision)):
            value = float(np.mean([per_class[name][classes[k]].value for k in usable]))
            lo, hi = bootstrap_statistic_ci(
                lambda w, fn=fn: mean_over_classes(fn, w), len(scores), seed, f"{prefix}{name}.mean", n_boot
            )
            chance = (
                0.5
                if name == "auroc"
                else float(np.mean([per_class["ap"][classes[k]].chance for k in usable]))
            )
            metrics[f"{prefix}{name}.mean"] = MetricValue(
                value=value, ci_low=lo, ci_high=hi, n=len(scores), chance=chance
            )
        if per_class["f1"]:
            metrics[f"{prefix}f1.mean"] = MetricValue(
                value=float(np.mean([m.value for m in per_class["f1"].values()])), n=len(per_class["f1"])
            )
    per_group = {f"{prefix}{name}/class": table for name, table in per_class.items() if table}
    return metrics, per_group


def multiclass_metrics(
    scores: pd.DataFrame, classes: list[str], seed: int, n_boot: int, prefix: str = ""
) -> tuple[Metrics, PerGroup]:
    """Accuracy and balanced accuracy of the arg-max class, plus one-vs-rest AUROC per class."""
    s, y = arrays(scores, classes)
    truth = np.argmax(np.nan_to_num(y, nan=-1), axis=1)
    predicted = np.argmax(s, axis=1)
    correct = (truth == predicted).astype(np.float64)
    chance = 1.0 / len(classes)
    metrics: Metrics = {
        f"{prefix}accuracy": mean_metric(correct, seed, f"{prefix}accuracy", chance=chance, n_boot=n_boot)
    }
    present = np.unique(truth)
    onehot = (truth[:, None] == present[None, :]).astype(np.float64)

    def balanced(w):
        hits = (w * correct) @ onehot
        totals = w @ onehot
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.nanmean(np.where(totals > 0, hits / totals, np.nan), axis=1)

    from sklearn.metrics import balanced_accuracy_score

    lo, hi = bootstrap_statistic_ci(balanced, len(correct), seed, f"{prefix}balanced_accuracy", n_boot)
    metrics[f"{prefix}balanced_accuracy"] = MetricValue(
        value=float(balanced_accuracy_score(truth, predicted)),
        ci_low=lo,
        ci_high=hi,
        n=len(correct),
        chance=chance,
    )
    one_vs_rest = scores.copy()
    for k, cls in enumerate(classes):
        one_vs_rest[LABEL + cls] = (truth == k).astype(np.float64)
    ovr_metrics, ovr_groups = multilabel_metrics(one_vs_rest, classes, seed, n_boot, prefix=prefix)
    metrics[f"{prefix}auroc.mean"] = ovr_metrics.get(f"{prefix}auroc.mean")
    recall = {
        cls: mean_metric(correct[truth == k], seed, f"{prefix}recall/{cls}", chance=chance, n_boot=n_boot)
        for k, cls in enumerate(classes)
        if (truth == k).any()
    }
    per_group = {
        f"{prefix}recall/class": recall,
        f"{prefix}auroc/class": ovr_groups.get(f"{prefix}auroc/class", {}),
    }
    return {k: v for k, v in metrics.items() if v is not None}, per_group


def classification_metrics(scores: pd.DataFrame, config: dict, prefix: str = "") -> tuple[Metrics, PerGroup]:
    """Dispatch on ``config["kind"]``; classes come from ``config["classes"]``."""
    classes = list(config["classes"])
    seed, n_boot = int(config.get("seed", 0)), int(config.get("bootstrap", 1000))
    if config["kind"] == "multiclass":
        return multiclass_metrics(scores, classes, seed, n_boot, prefix)
    return multilabel_metrics(scores, classes, seed, n_boot, config.get("thresholds"), prefix)


def classification_statistics(scores: pd.DataFrame, config: dict) -> tuple[pd.Series, dict[str, Statistic]]:
    """Paired-comparison statistics: mean AUROC (multi-class: accuracy); probes at the 100% fraction, first seed."""
    classes = list(config["classes"])
    if "fraction" in scores.columns:
        top = scores["fraction"].max()
        scores = scores[
            (scores["fraction"] == top)
            & (scores["seed"] == scores.loc[scores["fraction"] == top, "seed"].min())
        ]
        suffix = f"@{top * 100:g}%"
    else:
        suffix = ""
    scores = scores.reset_index(drop=True)
    s, y = arrays(scores, classes)
    stats: dict[str, Statistic] = {}
    if config["kind"] == "multiclass":
        correct = (np.argmax(s, 1) == np.argmax(np.nan_to_num(y, nan=-1), 1)).astype(float)
        stats[f"accuracy{suffix}"] = lambda w: (w @ correct) / w.sum(axis=1)
    else:
        finite, y0 = np.isfinite(y), np.nan_to_num(y)
        usable = [
            k
            for k in range(len(classes))
            if y0[finite[:, k], k].min(initial=1) != y0[finite[:, k], k].max(initial=0)
        ]

        def macro(w: np.ndarray) -> np.ndarray:
            return np.nanmean(
                np.stack([weighted_auroc(y0[:, k], s[:, k], w * finite[:, k]) for k in usable]), axis=0
            )

        if usable:
            stats[f"auroc.mean{suffix}"] = macro
    return scores["item_id"].astype(str), stats
