"""Linear probe on frozen, cached image embeddings with scikit-learn logistic regression.

Features are standardised on the training subset. Binary and multi-label tasks
fit one L2 logistic regression per class (one-vs-rest); multi-class tasks fit one
multinomial model. The inverse regularisation ``C`` is swept over a log grid
(warm-started along the path) and chosen per class on the validation split by
AUROC (multi-class: accuracy); the test split is never looked at while fitting.
Label fractions (default 1%, 10%, 100%) subsample the training split with each
seed; 100% is fitted once because every seed would see the same data.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from cxralign.data.downstream.base import DownstreamDataset
from cxralign.tasks.base import RunContext
from cxralign.tasks.metrics import weighted_auroc
from cxralign.tasks.registry import register_task
from cxralign.tasks.shared import TrainedTask, image_embeddings, trained_metadata

DEFAULT_C_GRID = (1e-3, 1e-2, 1e-1, 1.0, 10.0)


def _sweep(x_tr, y_tr, x_va, y_va, grid, score) -> tuple[Any, float]:
    """The logistic regression (sklearn's, imported only when a probe runs) with the best C of ``grid``."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    model = LogisticRegression(C=grid[0], max_iter=1000, warm_start=True)
    best, best_c, best_coef = -np.inf, grid[0], None
    # One BLAS thread: scipy's L-BFGS-B step is tiny, and threaded BLAS there costs 20x on busy machines.
    with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        for c in grid:
            model.set_params(C=c)
            model.fit(x_tr, y_tr)
            value = (
                score(model, x_va, y_va) if x_va is not None and len(x_va) else -c
            )  # no validation: smallest C
            if value > best:
                best, best_c, best_coef = value, c, (model.coef_.copy(), model.intercept_.copy())
    model.set_params(C=best_c)
    model.coef_, model.intercept_ = best_coef
    return model, best_c


def _val_auroc(model, x, y) -> float:
    """Validation AUROC for choosing C (the vectorised Mann-Whitney form: sklearn's value, without its
    per-call input checks, which dominate small sweeps)."""
    if not 0 < y.sum() < len(y):
        return -np.inf
    return float(weighted_auroc(y, model.decision_function(x), np.ones((1, len(y))))[0])


def _val_accuracy(model, x, y) -> float:
    return float(np.mean(model.predict(x) == y))


def fit_and_score(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    x_test: np.ndarray,
    kind: str,
    grid: tuple[float, ...] = DEFAULT_C_GRID,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Test-set scores (N, C) and what was chosen (C per class, degenerate classes)."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x_train)
    x_tr, x_va, x_te = scaler.transform(x_train), scaler.transform(x_val), scaler.transform(x_test)
    chosen: dict[str, Any] = {"C": [], "constant": []}
    if kind == "multiclass":
        t_tr, t_va = np.argmax(y_train, axis=1), np.argmax(y_val, axis=1)
        if len(np.unique(t_tr)) < 2:
            return np.tile(np.eye(y_train.shape[1])[t_tr[0]], (len(x_te), 1)), {"C": [None], "constant": [0]}
        model, c = _sweep(x_tr, t_tr, x_va, t_va, grid, _val_accuracy)
        probs = np.zeros((len(x_te), y_train.shape[1]))
        probs[:, model.classes_] = model.predict_proba(x_te)
        return probs, {"C": [c], "constant": []}
    out = np.zeros((len(x_te), y_train.shape[1]))
    for k in range(y_train.shape[1]):
        train_mask, val_mask = np.isfinite(y_train[:, k]), np.isfinite(y_val[:, k])
        labels = y_train[train_mask, k]
        if labels.size == 0 or labels.min() == labels.max():
            out[:, k] = labels.mean() if labels.size else 0.0  # one class seen: the prior, a constant score
            chosen["C"].append(None)
            chosen["constant"].append(k)
            continue
        model, c = _sweep(x_tr[train_mask], labels, x_va[val_mask], y_val[val_mask, k], grid, _val_auroc)
        out[:, k] = model.decision_function(x_te)
        chosen["C"].append(c)
    return out, chosen


@register_task
class LinearProbeTask(TrainedTask):
    metadata = trained_metadata(
        "linear-probe",
        "Logistic regression on frozen image embeddings, C swept on validation, "
        "at 1/10/100% of the training labels over several seeds: AUROC and AP with spread.",
        metrics=("auroc.mean@1%", "auroc.mean@10%", "auroc.mean@100%", "ap.mean@100%"),
        reference="CLIP_benchmark linear probe; BenchX label fractions",
    )

    def settings(self, ctx: RunContext) -> dict[str, Any]:
        return {"c_grid": [float(c) for c in ctx.options.get("c_grid", DEFAULT_C_GRID)]}

    def features(self, ctx: RunContext, data: DownstreamDataset, frame: pd.DataFrame, split: str) -> np.ndarray:
        """Frozen image embeddings (cached)."""
        return image_embeddings(ctx, data, frame, split)

    def fit(self, ctx, settings, train, valid, x_test, seed) -> tuple[np.ndarray, dict[str, Any]]:
        return fit_and_score(*train, *valid, x_test, ctx.data.kind, tuple(settings["c_grid"]))

    def fit_config(self, log: dict[str, Any]) -> dict[str, Any]:
        return {
            "selection": "validation AUROC per class (multi-class: accuracy)",
            "chosen": log,
            "standardise": True,
        }
