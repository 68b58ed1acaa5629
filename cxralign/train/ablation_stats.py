"""Item-level paired tests between ablation rows: is a row's gain over the baseline real, and is it
in the image or in the text?

Seeds give a handful of numbers per row; the items give hundreds. Every row is scored on the same
CXR-Align items, so for each seed the two rows' per-item credits are paired, and items of all seeds
are pooled (an item of seed 0 and the same item of seed 1 count as two pairs). For Task A, the
balanced accuracy and the grounded accuracy the difference gets a paired bootstrap interval and
p-value (the same item resamples applied to both rows, ``cxralign.tasks.metrics.paired_bootstrap``);
Task A also gets an exact McNemar test on its won / lost items. A gain on Task A with none on the
balanced and grounded figures is a text-side gain: it fits a prior against negated reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cxralign.tasks.cxr_align_common import grounded_credit
from cxralign.tasks.metrics import paired_bootstrap, pairwise_credit

KEYS = ["op", "item_id", "image_id"]


def item_credits(results: Path) -> pd.DataFrame | None:
    """Per scored CXR-Align item of a run's result folder: pairwise credit and grounded credit."""
    files = sorted(Path(results).glob("*/cxr-align/*/*.scores.parquet"))
    if not files:
        return None
    scores = pd.read_parquet(files[0])
    scores = scores[scores["scored"].astype(bool)]
    scores = scores[(scores["op"] != "affirmation") | ~scores["target_present"].astype(bool)]
    out = scores[[*KEYS, "target"]].copy()
    out["credit"] = pairwise_credit(scores["s_original"].to_numpy(), scores["s_variant"].to_numpy())
    out["grounded"] = grounded_credit(
        scores["s_original"].to_numpy(), scores["s_variant"].to_numpy(), scores["control_margins"]
    )
    return out.reset_index(drop=True)


def _cell_macro(values: np.ndarray, onehot: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per weight row: the mean over (finding, op) cells of the weighted cell means."""
    counts = weights @ onehot
    sums = (weights * values) @ onehot
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nanmean(np.where(counts > 0, sums / counts, np.nan), axis=1)


def _balanced_cells(frame: pd.DataFrame) -> np.ndarray:
    """One-hot (finding, op) cells of negation / affirmation rows of findings that have both."""
    both = frame.groupby("target")["op"].transform("nunique") == 2
    cells = (frame["target"] + "|" + frame["op"]).where(both)
    codes, names = pd.factorize(cells)
    onehot = np.zeros((len(frame), max(len(names), 1)))
    onehot[np.flatnonzero(codes >= 0), codes[codes >= 0]] = 1.0
    return onehot


def compare_rows(a: pd.DataFrame, b: pd.DataFrame, seed: int = 0, n_boot: int = 2000) -> dict[str, dict]:
    """Paired differences a - b on Task A, balanced and grounded accuracy (frames of ``item_credits``,
    with a ``seed`` column, pooled over seeds)."""
    joined = a.merge(b, on=[*KEYS, "target", "seed"], suffixes=("_a", "_b"))
    out: dict[str, dict] = {}
    negation = joined[joined["op"] == "negation"]
    if len(negation):
        diff = (negation["credit_a"] - negation["credit_b"]).to_numpy()
        test = paired_bootstrap(lambda w: w @ diff / len(diff), len(diff), seed, "ablation/task_a", n_boot)
        won_a = int(((negation["credit_a"] == 1) & (negation["credit_b"] == 0)).sum())
        won_b = int(((negation["credit_b"] == 1) & (negation["credit_a"] == 0)).sum())
        out["negation.accuracy"] = {"diff": float(diff.mean()), "n": len(diff), **test,
                                    "mcnemar_p": _mcnemar(won_a, won_b), "discordant": [won_a, won_b]}  # fmt: skip
    balanced = joined[joined["op"].isin(["negation", "affirmation"])].reset_index(drop=True)
    for metric, column in (("balanced.accuracy", "credit"), ("grounded.accuracy", "grounded")):
        rows = balanced[np.isfinite(balanced[f"{column}_a"]) & np.isfinite(balanced[f"{column}_b"])]
        rows = rows.reset_index(drop=True)
        onehot = _balanced_cells(rows) if metric == "balanced.accuracy" else _any_cells(rows)
        if not len(rows) or not onehot.any():
            continue
        va, vb = rows[f"{column}_a"].to_numpy(), rows[f"{column}_b"].to_numpy()

        def statistic(w, va=va, vb=vb, onehot=onehot):
            return _cell_macro(va, onehot, w) - _cell_macro(vb, onehot, w)

        point = float(statistic(np.ones((1, len(rows))))[0])
        test = paired_bootstrap(statistic, len(rows), seed, f"ablation/{metric}", n_boot)
        out[metric] = {"diff": point, "n": len(rows), **test}
    return out


def _any_cells(frame: pd.DataFrame) -> np.ndarray:
    codes, names = pd.factorize(frame["target"] + "|" + frame["op"])
    onehot = np.zeros((len(frame), max(len(names), 1)))
    onehot[np.arange(len(frame)), codes] = 1.0
    return onehot


def _mcnemar(won_a: int, won_b: int) -> float | None:
    """Exact McNemar test: two-sided binomial test on the discordant items."""
    from scipy.stats import binomtest

    if won_a + won_b == 0:
        return None
    return float(binomtest(won_a, won_a + won_b, 0.5).pvalue)


def paired_tests(
    out: Path, rows: Sequence[str], seeds: Sequence[int], slug, baseline: str = "CLIP"
) -> dict[str, dict[str, dict]]:
    """Every row against ``baseline`` (``{row: {metric: test}}``); empty without item scores."""
    frames: dict[str, pd.DataFrame] = {}
    for row in rows:
        parts = []
        for seed in seeds:
            credits = item_credits(out / "runs" / slug(row) / f"seed-{seed}" / "results")
            if credits is not None:
                parts.append(credits.assign(seed=seed))
        if parts:
            frames[row] = pd.concat(parts, ignore_index=True)
    if baseline not in frames:
        return {}
    return {row: compare_rows(frame, frames[baseline]) for row, frame in frames.items() if row != baseline}


def paired_markdown(tests: dict[str, dict[str, dict]], baseline: str = "CLIP") -> str:
    """The paired tests as a Markdown table (differences x100 with 95% intervals and p-values)."""
    if not tests:
        return ""
    metrics = ("negation.accuracy", "balanced.accuracy", "grounded.accuracy")
    lines = [
        f"Paired item-level tests against {baseline} (difference x100 [95% paired bootstrap CI], p; "
        "Task A also McNemar p), items pooled over seeds.",
        "",
        "| row | Task A | balanced | grounded | Task A McNemar p |",
        "|---|---|---|---|---|",
    ]
    for row, test in tests.items():
        cells = []
        for metric in metrics:
            t = test.get(metric)
            cells.append("-" if t is None or t["ci_low"] is None else
                         f"{100 * t['diff']:+.1f} [{100 * t['ci_low']:+.1f}, {100 * t['ci_high']:+.1f}], p={t['p_value']:.3f}")  # fmt: skip
        mcnemar = (test.get("negation.accuracy") or {}).get("mcnemar_p")
        cells.append("-" if mcnemar is None else f"{mcnemar:.3f}")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
