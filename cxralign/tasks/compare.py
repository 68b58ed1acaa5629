"""Paired comparison of two result sets: the same items, resampled together.

For every (task, dataset, split) present in both, with the same task version
and dataset hash, each shared headline metric is recomputed from both score
tables under the *same* item resamples (paired bootstrap), giving the
difference B - A with its 95% interval and a two-sided p-value. Each task says
which metrics (``Task.paired_statistics``) and which classes' AUROC get DeLong's
test (``Task.delong_classes``); this module names no task.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxralign.errors import ConfigError, InputError
from cxralign.tasks.base import Task
from cxralign.tasks.classification import LABEL, SCORE
from cxralign.tasks.io import find_results, read_result, read_scores
from cxralign.tasks.metrics import delong_test, paired_bootstrap
from cxralign.tasks.registry import get_task
from cxralign.tasks.results import TaskResult


@dataclass
class ComparisonRow:
    task: str
    dataset: str
    split: str
    metric: str
    a: float
    b: float
    diff: float
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    test: str


def _index(root: str | Path) -> dict[tuple[str, str, str], tuple[Path, TaskResult]]:
    out = {}
    for path in find_results(root):
        try:
            result = read_result(path)
        except InputError:
            continue
        out[(result.task, result.dataset, result.split)] = (path, result)
    return out


def _task(result: TaskResult) -> Task | None:
    """The task that wrote ``result`` (its own version when still registered); None when unknown."""
    try:
        return get_task(result.task, result.task_version)
    except ConfigError:
        try:
            return get_task(result.task)
        except ConfigError:
            return None


def _statistics(result: TaskResult, scores: pd.DataFrame):
    task = _task(result)
    return task.paired_statistics(scores, result.config) if task else (pd.Series([], dtype=str), {})


def _lift(weights: np.ndarray, statistic, positions: np.ndarray, n: int) -> np.ndarray:
    """Apply weights over the shared items to a statistic defined over one side's own rows."""
    full = np.zeros((weights.shape[0], n))
    full[:, positions] = weights
    return statistic(full)


def compare_results(
    root_a: str | Path, root_b: str | Path, n_boot: int = 1000, seed: int = 0
) -> list[ComparisonRow]:
    a_index, b_index = _index(root_a), _index(root_b)
    shared = sorted(set(a_index) & set(b_index))
    if not shared:
        raise InputError(f"{root_a} and {root_b} share no (task, dataset, split) result")
    rows: list[ComparisonRow] = []
    for key in shared:
        (pa, ra), (pb, rb) = a_index[key], b_index[key]
        if ra.task_version != rb.task_version or ra.dataset_hash != rb.dataset_hash:
            raise InputError(f"{pa} and {pb} differ in task version or dataset hash; they are not comparable")
        rows.extend(compare_scored(key, ra, read_scores(pa, ra), rb, read_scores(pb, rb), n_boot, seed))
    return rows


def compare_scored(
    key: tuple[str, str, str],
    ra: TaskResult,
    scores_a: pd.DataFrame,
    rb: TaskResult,
    scores_b: pd.DataFrame,
    n_boot: int = 1000,
    seed: int = 0,
) -> list[ComparisonRow]:
    """Paired rows for one (task, dataset, split) whose two results and score tables are in hand.

    The leaderboard calls this with submitted results (same task version and dataset hash).
    """
    rows: list[ComparisonRow] = []
    keys_a, stats_a = _statistics(ra, scores_a)
    keys_b, stats_b = _statistics(rb, scores_b)
    common = sorted(set(keys_a) & set(keys_b))
    if not common:
        return rows
    pos_a = pd.Series(range(len(keys_a)), index=keys_a.to_numpy())
    pos_b = pd.Series(range(len(keys_b)), index=keys_b.to_numpy())
    ia, ib = pos_a.loc[common].to_numpy(), pos_b.loc[common].to_numpy()
    for metric in sorted(set(stats_a) & set(stats_b)):
        fa, fb = stats_a[metric], stats_b[metric]

        def diff(w, fa=fa, fb=fb, ia=ia, ib=ib, na=len(keys_a), nb=len(keys_b)):
            return _lift(w, fb, ib, nb) - _lift(w, fa, ia, na)

        ones = np.ones((1, len(common)))
        a_value, b_value = (
            float(_lift(ones, fa, ia, len(keys_a))[0]),
            float(_lift(ones, fb, ib, len(keys_b))[0]),
        )
        boot = paired_bootstrap(diff, len(common), seed, f"compare/{'/'.join(key)}/{metric}", n_boot)
        rows.append(
            ComparisonRow(
                *key,
                metric,
                a_value,
                b_value,
                b_value - a_value,
                boot["ci_low"],
                boot["ci_high"],
                boot["p_value"],
                "paired bootstrap",
            )
        )
    rows.extend(_delong_rows(key, ra, scores_a, scores_b))
    return rows


def _delong_rows(key, ra: TaskResult, sa: pd.DataFrame, sb: pd.DataFrame) -> list[ComparisonRow]:
    task = _task(ra)
    classes = task.delong_classes(ra.config) if task else []
    if not classes:
        return []
    merged = sa.merge(sb, on="item_id", suffixes=("_a", "_b"))
    rows = []
    for cls in classes:
        labels = merged[f"{LABEL}{cls}_a"].to_numpy(float)
        mask = np.isfinite(labels)
        if mask.sum() == 0 or labels[mask].min() == labels[mask].max():
            continue
        out = delong_test(
            labels[mask],
            merged[f"{SCORE}{cls}_a"].to_numpy(float)[mask],
            merged[f"{SCORE}{cls}_b"].to_numpy(float)[mask],
        )
        diff = -out["diff"]  # B - A
        rows.append(
            ComparisonRow(
                *key,
                f"auroc/{cls}",
                out["auroc_a"],
                out["auroc_b"],
                diff,
                diff - 1.96 * out["se"],
                diff + 1.96 * out["se"],
                out["p_value"],
                "DeLong",
            )
        )
    return rows
