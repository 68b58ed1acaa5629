"""Metric primitives every task shares: tie-aware pairwise credit, AUROC, AP,
seeded bootstrap intervals, DeLong's test and the paired bootstrap.

Why not loop over ``roc_auc_score`` for the bootstrap: 1,000 resamples x 14
classes would take tens of seconds. Resamples are drawn as integer weight
vectors instead, and AUROC under weights is a vectorised Mann-Whitney count that
equals ``sklearn.metrics.roc_auc_score(..., sample_weight=w)`` (ties count one
half), so intervals cost milliseconds. Every bootstrap is seeded from the
config's seed *and* the metric's name, so computing a subset of metrics, or in
another order, gives the same intervals.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable

import numpy as np

from cxralign.tasks.results import MetricValue

DEFAULT_BOOTSTRAP = 1000
_CELLS_PER_CHUNK = 4_000_000  # resamples x items held in memory at once


def metric_rng(seed: int, key: str) -> np.random.Generator:
    """A generator that depends only on the run's seed and the metric's name."""
    salt = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")
    return np.random.default_rng(np.random.SeedSequence([int(seed), salt]))


def pairwise_credit(better: np.ndarray, worse: np.ndarray) -> np.ndarray:
    """1 where ``better > worse``, 0.5 on an exact tie, 0 otherwise: a random scorer's expectation is 0.5."""
    better = np.asarray(better, dtype=np.float64)
    worse = np.asarray(worse, dtype=np.float64)
    return np.where(better > worse, 1.0, np.where(better == worse, 0.5, 0.0))


def _weight_chunks(rng: np.random.Generator, n: int, n_boot: int):
    """Yield (chunk, n) integer resample weights (multiplicities of each item)."""
    chunk = max(1, min(n_boot, _CELLS_PER_CHUNK // max(n, 1)))
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        idx = rng.integers(0, n, size=(b, n))
        offsets = (np.arange(b) * n)[:, None]
        yield np.bincount((idx + offsets).ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
        done += b


def _interval(samples: np.ndarray, alpha: float = 0.05) -> tuple[float | None, float | None]:
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return None, None
    lo, hi = np.percentile(finite, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(lo), float(hi)


def bootstrap_mean_ci(
    values: np.ndarray, seed: int, key: str, n_boot: int = DEFAULT_BOOTSTRAP
) -> tuple[float | None, float | None]:
    """Percentile 95% interval of a mean, resampling items with replacement."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0 or n_boot <= 0:
        return None, None
    rng = metric_rng(seed, key)
    means = np.concatenate([w @ values / values.size for w in _weight_chunks(rng, values.size, n_boot)])
    return _interval(means)


def bootstrap_group_macro_ci(
    values: np.ndarray, groups: np.ndarray, seed: int, key: str, n_boot: int = DEFAULT_BOOTSTRAP
) -> tuple[float | None, float | None]:
    """Interval of the unweighted mean of per-group means (items resampled, groups kept)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0 or n_boot <= 0:
        return None, None
    _, codes = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    onehot = np.zeros((values.size, codes.max() + 1))
    onehot[np.arange(values.size), codes] = 1.0
    rng = metric_rng(seed, key)
    out = []
    for w in _weight_chunks(rng, values.size, n_boot):
        counts = w @ onehot
        sums = (w * values) @ onehot
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.nanmean(np.where(counts > 0, sums / counts, np.nan), axis=1))
    return _interval(np.concatenate(out))


def mean_metric(
    values: np.ndarray,
    seed: int,
    key: str,
    *,
    chance: float | None = None,
    blind: float | None = None,
    n_boot: int = DEFAULT_BOOTSTRAP,
) -> MetricValue | None:
    """A mean with its bootstrap interval; ``None`` when there is nothing to average."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return None
    lo, hi = bootstrap_mean_ci(values, seed, key, n_boot)
    return MetricValue(
        value=float(values.mean()), ci_low=lo, ci_high=hi, n=int(values.size), chance=chance, blind=blind
    )


def is_degenerate(labels: np.ndarray) -> bool:
    """AUROC and AP are undefined unless both classes are present."""
    labels = np.asarray(labels)
    return labels.size == 0 or labels.min() == labels.max()


def weighted_auroc(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """AUROC for each row of ``weights`` (B, n): Mann-Whitney with ties counted one half.

    Equals ``roc_auc_score(labels, scores, sample_weight=w)`` row by row; NaN where
    a resample holds only one class.
    """
    labels = np.asarray(labels, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    w = weights[:, order]
    y = labels[order]
    pos = np.add.reduceat(w * y, starts, axis=1)
    neg = np.add.reduceat(w * (1.0 - y), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    n_pos, n_neg = pos.sum(axis=1), neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            (n_pos > 0) & (n_neg > 0), (pos * (below + 0.5 * neg)).sum(axis=1) / (n_pos * n_neg), np.nan
        )


def auroc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """``sklearn.metrics.roc_auc_score``, or ``None`` for a degenerate class."""
    from sklearn.metrics import roc_auc_score  # imported when used: ~1 s of start-up (scipy.stats with it)

    labels = np.asarray(labels)
    if is_degenerate(labels):
        return None
    return float(roc_auc_score(labels, np.asarray(scores, dtype=np.float64)))


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """``sklearn.metrics.average_precision_score``, or ``None`` without positives."""
    from sklearn.metrics import average_precision_score

    labels = np.asarray(labels)
    if labels.size == 0 or labels.max() <= 0:
        return None
    return float(average_precision_score(labels, np.asarray(scores, dtype=np.float64)))


Statistic = Callable[[np.ndarray], np.ndarray]
"""A metric as a function of item resample weights: (B, n) weights -> (B,) values."""


def masked_mean_statistic(mask: np.ndarray, values: np.ndarray) -> Statistic:
    """The mean of ``values`` over the items where ``mask`` is 1, under each row of weights."""
    return lambda w: (w @ (mask * values)) / (w @ mask)


def bootstrap_statistic_ci(
    statistic: Callable[[np.ndarray], np.ndarray],
    n: int,
    seed: int,
    key: str,
    n_boot: int = DEFAULT_BOOTSTRAP,
) -> tuple[float | None, float | None]:
    """Interval of ``statistic(weights) -> (B,)`` over item resamples drawn as weights."""
    if n == 0 or n_boot <= 0:
        return None, None
    rng = metric_rng(seed, key)
    return _interval(np.concatenate([statistic(w) for w in _weight_chunks(rng, n, n_boot)]))


def auroc_metric(
    labels: np.ndarray, scores: np.ndarray, seed: int, key: str, n_boot: int = DEFAULT_BOOTSTRAP
) -> MetricValue | None:
    """AUROC with a bootstrap interval and chance 0.5; ``None`` for a degenerate class."""
    return _ranking_metric(auroc(labels, scores), weighted_auroc, labels, scores, seed, key, n_boot, 0.5)


def _ranking_metric(
    value: float | None,
    weighted: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    labels: np.ndarray,
    scores: np.ndarray,
    seed: int,
    key: str,
    n_boot: int,
    chance: float,
) -> MetricValue | None:
    """``value`` with the bootstrap interval of ``weighted(labels, scores, weights)``; None stays None."""
    if value is None:
        return None
    lo, hi = bootstrap_statistic_ci(lambda w: weighted(labels, scores, w), len(labels), seed, key, n_boot)
    return MetricValue(value=value, ci_low=lo, ci_high=hi, n=len(labels), chance=chance)


def weighted_average_precision(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Step-wise average precision (sklearn's definition) for each row of ``weights``."""
    labels = np.asarray(labels, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores = scores[order]
    # thresholds at the last index of each block of equal scores (descending)
    ends = np.r_[np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1]), sorted_scores.size - 1]
    w = weights[:, order]
    tp = np.cumsum(w * labels[order], axis=1)[:, ends]
    fp = np.cumsum(w * (1.0 - labels[order]), axis=1)[:, ends]
    total_pos = tp[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = tp / total_pos
    d_recall = np.diff(np.concatenate([np.zeros((recall.shape[0], 1)), recall], axis=1), axis=1)
    ap = (d_recall * precision).sum(axis=1)
    return np.where(total_pos[:, 0] > 0, ap, np.nan)


def chance_average_precision(n: int, n_positive: int) -> float:
    """Expected AP of a random ranking of ``n`` items with ``n_positive`` positives (exact, not the prevalence).

    E[AP] = (H_n + (m - 1) / (n - 1) * (n - H_n)) / n, with H_n the n-th harmonic
    number; it exceeds the prevalence m / n noticeably on small test sets.
    """
    if n_positive <= 0 or n <= 0:
        return 0.0
    if n == 1:
        return 1.0
    harmonic = float(np.sum(1.0 / np.arange(1, n + 1)))
    return (harmonic + (n_positive - 1) / (n - 1) * (n - harmonic)) / n


def ap_metric(
    labels: np.ndarray, scores: np.ndarray, seed: int, key: str, n_boot: int = DEFAULT_BOOTSTRAP
) -> MetricValue | None:
    """Average precision with a bootstrap interval; chance is a random ranking's expected AP."""
    chance = chance_average_precision(len(labels), int(np.sum(np.asarray(labels) > 0)))
    value = average_precision(labels, scores)
    return _ranking_metric(value, weighted_average_precision, labels, scores, seed, key, n_boot, chance)


# --------------------------------------------------------------------------- DeLong


def _midranks(x: np.ndarray) -> np.ndarray:
    from scipy import stats

    return stats.rankdata(x, method="average")


def delong_test(labels: np.ndarray, scores_a: np.ndarray, scores_b: np.ndarray) -> dict[str, float]:
    """DeLong's test for two correlated AUROCs on the same items (Sun & Xu's fast algorithm).

    Returns the two AUROCs, their difference (a - b), its standard error and the
    two-sided p-value.
    """
    labels = np.asarray(labels).astype(bool)
    if is_degenerate(labels.astype(int)):
        raise ValueError("DeLong's test needs both positive and negative items")
    pos, neg = labels, ~labels
    m, n = int(pos.sum()), int(neg.sum())
    aucs, v01, v10 = [], [], []
    for s in (np.asarray(scores_a, dtype=np.float64), np.asarray(scores_b, dtype=np.float64)):
        tx, ty, tz = _midranks(s[pos]), _midranks(s[neg]), _midranks(np.concatenate([s[pos], s[neg]]))
        aucs.append((tz[:m].sum() - m * (m + 1) / 2) / (m * n))
        v01.append((tz[:m] - tx) / n)
        v10.append(1.0 - (tz[m:] - ty) / m)
    s01 = np.cov(np.vstack(v01)) if m > 1 else np.zeros((2, 2))
    s10 = np.cov(np.vstack(v10)) if n > 1 else np.zeros((2, 2))
    cov = s01 / m + s10 / n
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    diff = aucs[0] - aucs[1]
    se = math.sqrt(max(var, 0.0))
    if se == 0.0:
        p = 1.0 if diff == 0 else 0.0
    else:
        from scipy import stats

        p = float(2 * stats.norm.sf(abs(diff) / se))
    return {"auroc_a": float(aucs[0]), "auroc_b": float(aucs[1]), "diff": float(diff), "se": se, "p_value": p}


def paired_bootstrap(
    statistic: Callable[[np.ndarray], np.ndarray],
    n: int,
    seed: int,
    key: str,
    n_boot: int = DEFAULT_BOOTSTRAP,
) -> dict[str, float | None]:
    """Interval and two-sided p-value of a paired difference ``statistic(weights) -> (B,)``.

    The same item resamples are applied to both systems, which is what makes the
    comparison paired; the p-value is twice the smaller tail share around zero.
    """
    if n == 0:
        return {"ci_low": None, "ci_high": None, "p_value": None}
    rng = metric_rng(seed, key)
    return difference_test(np.concatenate([statistic(w) for w in _weight_chunks(rng, n, n_boot)]))


def difference_test(diffs: np.ndarray) -> dict[str, float | None]:
    """95% interval and two-sided p-value (twice the smaller tail share around zero) of bootstrap
    replicates of a paired difference."""
    diffs = diffs[np.isfinite(diffs)]
    if diffs.size == 0:
        return {"ci_low": None, "ci_high": None, "p_value": None}
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    p = min(1.0, 2 * min(np.mean(diffs <= 0), np.mean(diffs >= 0)))
    return {"ci_low": float(lo), "ci_high": float(hi), "p_value": float(p)}
