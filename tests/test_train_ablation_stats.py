"""Paired item-level tests between ablation rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
