"""Item-level paired tests between ablation rows: is a row's gain over the baseline real, and is it
in the image or in the text?

Every row of one seed is scored on the same CXR-Align items, so per seed the two rows' per-item
credits are paired and give one paired difference per metric (Task A, balanced accuracy, grounded
accuracy). Seeds are strata, never pooled into one sample: with distinct item sets per seed (the
default on phantoms) each seed has its own items and its own trained models. Two tests combine them:

- a **stratified paired bootstrap**: items are resampled within each seed (the same resample for
  both rows, which makes it paired) and the per-seed differences averaged; its interval and p-value
  say whether the difference is bigger than item sampling noise for these trained models;
- a **one-sample t-test over the per-seed differences** (df = seeds - 1): whether the difference
  holds from one training seed (and item set) to the next, the question an ablation asks.

Task A also gets an exact McNemar test on its discordant items summed over seeds (the
Mantel-Haenszel form for matched pairs). A gain on Task A with none on the balanced and grounded
figures is a text-side gain: it fits a prior against negated reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cxralign.tasks.cxr_align_common import grounded_credit
from cxralign.tasks.metrics import difference_test, metric_rng, pairwise_credit

KEYS = ["op", "item_id", "image_id"]
METRICS = ("negation.accuracy", "balanced.accuracy", "grounded.accuracy")
TITLES = {"negation.accuracy": "Task A", "balanced.accuracy": "balanced", "grounded.accuracy": "grounded"}
Statistic = Callable[[np.ndarray], np.ndarray]


def item_credits(results: Path) -> pd.DataFrame | None:
    """Per scored CXR-Align item of a run's result folder: pairwise credit and grounded credit."""
    files = sorted(Path(results).glob("*/cxr-align/*/*.scores.parquet"))
    if not files:
        return None
    scores = pd.read_parquet(files[0])
    scores = scores[scores["scored"].astype(bool)]
    scores = scores[(scores["op"] != "affirmation") | ~scores["target_present"].astype(bool)]
    out = scores[[*KEYS, "target"]].copy()
    out["balanced"] = scores["balanced"].to_numpy() if "balanced" in scores else True  # the headline's set
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


def _cells(frame: pd.DataFrame, both_ops: bool) -> np.ndarray:
    """One-hot (finding, op) cells; with ``both_ops`` only findings that have both ops count."""
    cells = frame["target"] + "|" + frame["op"]
    if both_ops:
        cells = cells.where(frame.groupby("target")["op"].transform("nunique") == 2)
    codes, names = pd.factorize(cells)
    onehot = np.zeros((len(frame), max(len(names), 1)))
    onehot[np.flatnonzero(codes >= 0), codes[codes >= 0]] = 1.0
    return onehot


def seed_statistics(joined: pd.DataFrame) -> dict[str, tuple[Statistic, int]]:
    """One seed's paired items (``a`` and ``b`` columns) -> {metric: (weights -> a - b, items)}."""
    out: dict[str, tuple[Statistic, int]] = {}
    negation = joined[joined["op"] == "negation"]
    if len(negation):
        diff = (negation["credit_a"] - negation["credit_b"]).to_numpy()
        out["negation.accuracy"] = (lambda w, diff=diff: w @ diff / len(diff), len(diff))
    pairs = joined[joined["op"].isin(["negation", "affirmation"])].reset_index(drop=True)
    for metric, column in (("balanced.accuracy", "credit"), ("grounded.accuracy", "grounded")):
        rows = pairs[np.isfinite(pairs[f"{column}_a"]) & np.isfinite(pairs[f"{column}_b"])]
        if metric == "balanced.accuracy" and "balanced_a" in rows:
            rows = rows[rows["balanced_a"].astype(bool)]
        rows = rows.reset_index(drop=True)
        onehot = _cells(rows, both_ops=metric == "balanced.accuracy")
        if not len(rows) or not onehot.any():
            continue
        va, vb = rows[f"{column}_a"].to_numpy(), rows[f"{column}_b"].to_numpy()
        out[metric] = (
            lambda w, va=va, vb=vb, onehot=onehot: _cell_macro(va, onehot, w) - _cell_macro(vb, onehot, w),
            len(rows),
        )
    return out


def stratified_bootstrap(
    strata: Sequence[tuple[Statistic, int]], seed: int, key: str, n_boot: int = 2000
) -> dict[str, float | None]:
    """Interval and two-sided p-value of the mean over strata of a paired difference, items resampled
    within each stratum (the same resample for both systems)."""
    if not strata:
        return {"ci_low": None, "ci_high": None, "p_value": None}
    rng = metric_rng(seed, key)
    total = np.zeros(n_boot)
    for statistic, n in strata:
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float64)
        total += statistic(weights)
    return difference_test(total / len(strata))


def seed_t_test(per_seed: Sequence[float]) -> float | None:
    """Two-sided one-sample t-test of the per-seed differences against 0 (None below 2 seeds)."""
    from scipy.stats import ttest_1samp

    values = np.asarray(per_seed, dtype=np.float64)
    if values.size < 2:
        return None
    if np.allclose(values, values[0]):
        return 1.0 if values[0] == 0 else 0.0
    return float(ttest_1samp(values, 0.0).pvalue)


def compare_rows(a: pd.DataFrame, b: pd.DataFrame, seed: int = 0, n_boot: int = 2000) -> dict[str, dict]:
    """Paired differences a - b on Task A, balanced and grounded accuracy (frames of ``item_credits``
    with a ``seed`` column; items are paired within a seed, seeds are strata)."""
    joined = a.merge(b, on=[*KEYS, "target", "seed"], suffixes=("_a", "_b"))
    per_metric: dict[str, list[tuple[int, Statistic, int]]] = {metric: [] for metric in METRICS}
    for run_seed, part in joined.groupby("seed", sort=True):
        for metric, (statistic, n) in seed_statistics(part.reset_index(drop=True)).items():
            per_metric[metric].append((int(run_seed), statistic, n))
    out: dict[str, dict] = {}
    for metric, strata in per_metric.items():
        if not strata:
            continue
        per_seed = {s: float(stat(np.ones((1, n)))[0]) for s, stat, n in strata}
        values = list(per_seed.values())
        test = stratified_bootstrap([(stat, n) for _, stat, n in strata], seed, f"ablation/{metric}", n_boot)
        out[metric] = {
            "diff": float(np.mean(values)),
            "n": sum(n for _, _, n in strata),
            "seeds": len(strata),
            "per_seed": per_seed,
            "seeds_up": sum(v > 0 for v in values),
            "seed_t_p": seed_t_test(values),
            **test,
        }
    if "negation.accuracy" in out:
        negation = joined[joined["op"] == "negation"]
        won_a = int(((negation["credit_a"] == 1) & (negation["credit_b"] == 0)).sum())
        won_b = int(((negation["credit_b"] == 1) & (negation["credit_a"] == 0)).sum())
        out["negation.accuracy"].update(mcnemar_p=_mcnemar(won_a, won_b), discordant=[won_a, won_b])
    return out


def _mcnemar(won_a: int, won_b: int) -> float | None:
    """Exact McNemar test: two-sided binomial test on the discordant items."""
    from scipy.stats import binomtest

    if won_a + won_b == 0:
        return None
    return float(binomtest(won_a, won_a + won_b, 0.5).pvalue)


def paired_tests(
    out: Path, rows: Sequence[str], seeds: Sequence[int], slug, baseline: str = "CLIP"
) -> dict[str, dict[str, dict]]:
    """Every row against ``baseline`` (``{row: {metric: test}}``) on the finished seeds both have;
    empty without item scores."""
    frames: dict[str, pd.DataFrame] = {}
    for row in rows:
        parts = []
        for seed in seeds:
            run_dir = out / "runs" / slug(row) / f"seed-{seed}"
            if not (run_dir / "evaluation.json").is_file():
                continue  # not finished (its scores may be there while its other tasks run)
            credits = item_credits(run_dir / "results")
            if credits is not None:
                parts.append(credits.assign(seed=seed))
        if parts:
            frames[row] = pd.concat(parts, ignore_index=True)
    if baseline not in frames:
        return {}
    return {row: compare_rows(frame, frames[baseline]) for row, frame in frames.items() if row != baseline}


def _cell(test: dict | None) -> list[str]:
    if test is None or test["ci_low"] is None:
        return ["-"] * 5
    t_p = test.get("seed_t_p")
    return [
        f"{100 * test['diff']:+.1f}",
        f"[{100 * test['ci_low']:+.1f}, {100 * test['ci_high']:+.1f}]",
        f"{test['p_value']:.3f}",
        "-" if t_p is None else f"{t_p:.3f}",
        f"{test['seeds_up']}/{test['seeds']}: "
        + " ".join(f"{100 * v:+.1f}" for v in test["per_seed"].values()),
    ]


def paired_markdown(tests: dict[str, dict[str, dict]], baseline: str = "CLIP") -> str:
    """The paired tests as a Markdown table, one line per (row, metric), differences x100."""
    if not tests:
        return ""
    lines = [
        f"Paired tests against {baseline} (row - {baseline}, x100): mean over seeds of the per-seed paired "
        "difference; 95% interval and p of a bootstrap over items stratified by seed; p of a t-test over "
        "the per-seed differences; seeds where the row is ahead, with each seed's difference; "
        "Task A also an exact McNemar test on discordant items summed over seeds.",
        "",
        "| row | metric | difference | 95% CI (items) | p (items) | p (seeds, t) | seeds ahead: per seed | McNemar p |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row, test in tests.items():
        for metric in METRICS:
            mcnemar = (test.get(metric) or {}).get("mcnemar_p")
            extra = "" if metric != "negation.accuracy" else "-" if mcnemar is None else f"{mcnemar:.3f}"
            lines.append(
                f"| {row} | {TITLES[metric]} | " + " | ".join(_cell(test.get(metric))) + f" | {extra} |"
            )
    return "\n".join(lines) + "\n"
