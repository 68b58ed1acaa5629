"""Paired item-level tests between ablation rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxralign.train.ablation_stats import compare_rows, paired_markdown


def _frame(task_a: np.ndarray, affirm: np.ndarray, grounded: float) -> pd.DataFrame:
    n = len(task_a)
    rows = []
    for k in range(n):
        for op, credit in (("negation", task_a[k]), ("affirmation", affirm[k])):
            rows.append({"op": op, "item_id": f"i{k}", "image_id": f"m{k}", "target": ["Edema", "Fracture"][k % 2],
                         "credit": float(credit), "grounded": grounded, "seed": 0})  # fmt: skip
    return pd.DataFrame(rows)


def test_a_text_side_gain_shows_on_task_a_only():
    rng = np.random.default_rng(0)
    base_a = (rng.random(300) < 0.6).astype(float)
    base_f = (rng.random(300) < 0.6).astype(float)
    better_a = np.maximum(base_a, (rng.random(300) < 0.5).astype(float))  # Task A up ...
    worse_f = base_f * (rng.random(300) < 0.5)  # ... bought by losing affirm items: a text prior
    tests = compare_rows(_frame(better_a, worse_f, 0.5), _frame(base_a, base_f, 0.5), n_boot=500)
    task_a, balanced = tests["negation.accuracy"], tests["balanced.accuracy"]
    assert task_a["diff"] > 0.1 and task_a["p_value"] < 0.01 and task_a["mcnemar_p"] < 0.01
    assert task_a["discordant"][1] == 0  # never worse on an item
    assert balanced["ci_low"] < 0.05 and balanced["diff"] < task_a["diff"]
    assert tests["grounded.accuracy"]["diff"] == 0.0
    assert "balanced" in paired_markdown({"+negatives": tests})


def test_identical_rows_differ_by_nothing():
    rng = np.random.default_rng(1)
    frame = _frame((rng.random(50) < 0.5).astype(float), (rng.random(50) < 0.5).astype(float), 0.7)
    tests = compare_rows(frame, frame, n_boot=200)
    assert tests["negation.accuracy"]["diff"] == 0.0 and tests["negation.accuracy"]["mcnemar_p"] is None
    assert tests["balanced.accuracy"]["p_value"] == 1.0


def test_seeds_are_strata_with_their_own_items():
    """Distinct items per seed: each seed's difference is paired on its own items; the t-test over
    seeds sees a gain that flips sign between seeds as no gain, whatever the item counts."""
    rng = np.random.default_rng(2)
    parts_a, parts_b = [], []
    for seed, shift in ((0, 0.3), (1, -0.3), (2, 0.3), (3, -0.3)):
        base = (rng.random(200) < 0.5).astype(float)
        moved = np.clip(base + (rng.random(200) < abs(shift)) * np.sign(shift), 0, 1)
        frame_b = _frame(base, base, 0.5).assign(seed=seed)
        frame_a = _frame(moved, base, 0.5).assign(seed=seed)
        for frame in (frame_a, frame_b):  # distinct item ids per seed
            frame["item_id"] = f"s{seed}-" + frame["item_id"]
        parts_a.append(frame_a)
        parts_b.append(frame_b)
    tests = compare_rows(pd.concat(parts_a), pd.concat(parts_b), n_boot=300)
    task_a = tests["negation.accuracy"]
    assert task_a["seeds"] == 4 and task_a["n"] == 800 and task_a["seeds_up"] == 2
    assert [v > 0 for v in task_a["per_seed"].values()] == [True, False, True, False]
    assert task_a["seed_t_p"] > 0.5 and abs(task_a["diff"]) < 0.05
    # a gain in every seed: both the stratified bootstrap and the t over seeds see it
    same = compare_rows(pd.concat([p for k, p in enumerate(parts_a) if k % 2 == 0]),
                        pd.concat([p for k, p in enumerate(parts_b) if k % 2 == 0]), n_boot=300)  # fmt: skip
    assert same["negation.accuracy"]["p_value"] < 0.01 and same["negation.accuracy"]["seeds_up"] == 2
    table = paired_markdown({"+negatives": tests})
    assert "| +negatives | Task A |" in table and "2/4:" in table and "p (seeds, t)" in table


def test_stratified_bootstrap_resamples_within_each_seed():
    """A stratum of constant differences has no spread of its own: the interval is the point."""
    from cxralign.train.ablation_stats import stratified_bootstrap

    strata = [(lambda w: w @ np.full(10, 0.2) / 10, 10), (lambda w: w @ np.full(30, 0.4) / 30, 30)]
    test = stratified_bootstrap(strata, 0, "k", n_boot=200)
    assert test["ci_low"] == pytest.approx(0.3) and test["ci_high"] == pytest.approx(0.3)
    assert test["p_value"] == 0.0
