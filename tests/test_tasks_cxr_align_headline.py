"""CXR-Align v2's headline: balanced and grounded accuracy need the image; Task A does not."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxralign.benchmark.controls import CONTROL_POLICY
from cxralign.tasks import get_task

TESTS = Path(__file__).resolve().parent


def _scores(rows: list[tuple]) -> pd.DataFrame:
    """(op, target, s_original, s_variant, control margins, target_present) -> a scores frame."""
    return pd.DataFrame(
        {
            "item_id": [f"i{k}" for k in range(len(rows))],
            "image_id": [f"img{k}" for k in range(len(rows))],
            "op": [r[0] for r in rows],
            "target": [r[1] for r in rows],
            "location": "first",
            "target_present": [r[5] if len(r) > 5 else r[0] != "affirmation" for r in rows],
            "scored": True,
            "s_original": [float(r[2]) for r in rows],
            "s_variant": [float(r[3]) for r in rows],
            "control_margins": [list(r[4]) for r in rows],
            "n_controls_unresolved": 0,
        }
    )


CONFIG = {"seed": 0, "bootstrap": 100, "controls": {"policy": CONTROL_POLICY}, "min_finding_n": 2}


def test_balanced_weights_each_finding_and_op_equally():
    rows = (
        [("negation", "Edema", 1, 0, [])] * 6  # Edema negate 1.0
        + [("affirmation", "Edema", 0, 1, [])] * 2  # Edema affirm 0.0 -> Edema 0.5
        + [("negation", "Pneumothorax", 1, 0, [])] * 2  # 1.0
        + [("affirmation", "Pneumothorax", 1, 0, [])] * 2  # 1.0 -> Pneumothorax 1.0
        + [("negation", "Fracture", 1, 0, [])] * 3  # no affirm: not in the balanced set
        + [("affirmation", "Edema", 1, 0, [], True)]  # target present: never an affirm item
    )
    metrics, per_group = get_task("cxr-align").metrics_from_scores(_scores(rows), CONFIG)
    balanced = metrics["balanced.accuracy"]
    assert balanced.value == pytest.approx(0.75)  # (0.5 + 1.0) / 2, not the pooled 10/12
    assert balanced.n == 12 and balanced.chance == 0.5
    assert balanced.ci_low <= balanced.value <= balanced.ci_high
    assert per_group["balanced.accuracy/finding"]["Edema"].value == pytest.approx(0.5)
    assert per_group["balanced.accuracy/finding"]["Edema"].n == 8
    assert "Fracture" not in per_group["balanced.accuracy/finding"]
    assert get_task("cxr-align").metadata.main_score == "balanced.accuracy"
    assert "overall.accuracy" not in metrics  # a pooled accuracy a text prior could win


def test_balanced_reads_only_the_builds_balanced_set_and_every_row_without_the_column():
    rows = (
        [("negation", "Edema", 1, 0, [])] * 4  # in the set: 1.0
        + [("affirmation", "Edema", 0, 1, [])] * 4  # in the set: 0.0 -> Edema 0.5
        + [("negation", "Edema", 0, 1, [])] * 4  # left out of the set (text-solvable rows)
    )
    scores = _scores(rows)
    scores["balanced"] = [True] * 8 + [False] * 4
    metrics, _ = get_task("cxr-align").metrics_from_scores(scores, CONFIG)
    assert metrics["balanced.accuracy"].value == pytest.approx(0.5) and metrics["balanced.accuracy"].n == 8
    assert metrics["negation.accuracy"].value == pytest.approx(0.5) and metrics["negation.accuracy"].n == 8
    # a result stored before the column existed: every negation and affirmation row, as then
    metrics, _ = get_task("cxr-align").metrics_from_scores(scores.drop(columns="balanced"), CONFIG)
    assert metrics["balanced.accuracy"].value == pytest.approx(0.25) and metrics["balanced.accuracy"].n == 12


def test_grounded_is_one_for_a_perfect_model_and_half_for_a_text_prior():
    perfect = [
        ("negation", "Edema", 0.9, 0.1, [-0.5, -0.7]),  # controls lack edema: the negation fits them
        ("affirmation", "Edema", 0.8, 0.2, [-0.6]),  # controls show edema: the affirmation fits them
        ("omission", "Edema", 0.9, 0.5, [-0.2]),
    ]
    metrics, _ = get_task("cxr-align").metrics_from_scores(_scores(perfect), CONFIG)
    assert metrics["negation.grounded"].value == 1.0
    assert metrics["affirmation.grounded"].value == 1.0
    assert metrics["grounded.accuracy"].value == 1.0
    prior = [(op, "Edema", 0.5, 0.25, [0.25, 0.25]) for op in ("negation", "affirmation", "omission")]
    metrics, _ = get_task("cxr-align").metrics_from_scores(_scores(prior), CONFIG)
    assert metrics["grounded.accuracy"].value == 0.5
    assert {metrics[f"{op}.grounded"].value for op in ("negation", "affirmation", "omission")} == {0.5}


def test_affirmation_grounded_needs_the_v2_control_policy():
    rows = [("affirmation", "Edema", 0.8, 0.2, [-0.6]), ("negation", "Edema", 0.9, 0.1, [-0.5])]
    old = {**CONFIG, "controls": {"policy": None}}  # affirm controls drawn without the finding
    metrics, _ = get_task("cxr-align").metrics_from_scores(_scores(rows), old)
    assert "affirmation.grounded" not in metrics and "negation.grounded" in metrics


def test_findings_below_the_minimum_n_are_withheld_not_lost():
    rows = [("negation", "Edema", 1, 0, [])] * 30 + [("negation", "Pneumothorax", 1, 0, [])] * 3
    config = {**CONFIG, "min_finding_n": 30}
    metrics, per_group = get_task("cxr-align").metrics_from_scores(_scores(rows), config)
    assert set(per_group["negation.accuracy/finding"]) == {"Edema"}
    low = per_group["negation.accuracy/finding_low_n"]
    assert set(low) == {"Pneumothorax"} and low["Pneumothorax"].n == 3
    assert metrics["negation.accuracy_macro"].n == 2  # the macro still counts every finding


def test_version_1_results_still_recompute():
    task = get_task("cxr-align", "1.0")
    assert task.metadata.main_score == "negation.accuracy"


def _eval_text_prior(bench: Path, out: Path) -> dict:
    """``cxralign eval`` of the text-prior adapter through the console script: the test result."""
    exe = shutil.which("cxralign", path=str(Path(sys.executable).parent)) or shutil.which("cxralign")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    args = [exe, "eval", "--model", "python:_text_prior:build", "--tasks", "cxr-align", "--no-cache",
            "--data", f"cxr-align={bench}", "--out", str(out), "--bootstrap", "200"]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (path,) = out.glob("*/cxr-align/cxr-align/test.json")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def prior_bench(tmp_path_factory) -> Path:
    from cxralign.benchmark import BuildOptions, build_benchmark
    from cxralign.data.phantoms import write_phantom_dataset

    root = tmp_path_factory.mktemp("text-prior")
    write_phantom_dataset(root / "phantoms", 1200, seed=3, size=64, prevalence=0.3)
    build_benchmark(
        BuildOptions(source="phantoms", root=root / "phantoms", out=root / "bench", blind_filter=False)
    )
    return root / "bench"


@pytest.fixture(scope="module")
def prior_results(prior_bench):
    return _eval_text_prior(prior_bench, prior_bench.parent / "results")


def _test_rows(bench: Path) -> pd.DataFrame:
    frames = [pd.read_parquet(path) for path in sorted(bench.glob("data/*/test.parquet"))]
    return pd.concat(frames, ignore_index=True)


@pytest.mark.slow
def test_a_text_prior_wins_task_a_and_scores_chance_on_the_headline(prior_results):
    metrics = prior_results["metrics"]
    assert prior_results["task_version"] == "2.0" and prior_results["main_score"] == "balanced.accuracy"
    assert metrics["negation.accuracy"]["value"] >= 0.95  # Task A: solved without the image
    assert abs(metrics["balanced.accuracy"]["value"] - 0.5) <= 0.05
    assert metrics["grounded.accuracy"]["value"] == pytest.approx(0.5)
    for name in ("balanced.accuracy", "grounded.accuracy"):
        low, high = metrics[name]["ci_low"], metrics[name]["ci_high"]
        assert low is not None and low <= 0.5 <= high, (name, metrics[name])
    assert metrics["affirmation.grounded"]["value"] == pytest.approx(0.5)  # the v2 controls are there
    assert "text-solvable" in prior_results["config"]["notes"]["negation.accuracy"]
    assert np.isfinite(metrics["balanced.accuracy"]["n"])


@pytest.mark.slow
def test_the_headline_is_scored_on_the_rows_the_build_flagged_balanced(prior_bench, prior_results):
    rows = _test_rows(prior_bench)
    flagged = rows[rows["balanced"]]
    assert set(flagged["op"]) == {"negate", "affirm"}
    assert (rows["op"] == "negate").sum() > (flagged["op"] == "negate").sum()  # not every negate row
    metrics = prior_results["metrics"]
    # a finding counts when the split holds flagged rows of both ops (the macro needs both cells)
    both = flagged[flagged.groupby("target")["op"].transform("nunique") == 2]
    assert len(both) >= 0.8 * len(flagged)
    assert metrics["balanced.accuracy"]["n"] == len(both)
    assert metrics["negation.accuracy"]["n"] == (rows["op"] == "negate").sum()
    assert prior_results["config"]["balanced_set"].startswith("the build's balanced set")


@pytest.mark.slow
def test_a_build_without_the_balanced_column_still_evaluates(prior_bench, tmp_path):
    """A build written before the column: every negate and affirm row is its balanced set."""
    import pyarrow.parquet as pq

    old = tmp_path / "old-bench"
    shutil.copytree(prior_bench, old)
    for path in old.glob("data/*/*.parquet"):
        pq.write_table(pq.read_table(path).drop(["balanced"]), path)
    result = _eval_text_prior(old, tmp_path / "results")
    rows = _test_rows(old)
    assert "balanced" not in rows.columns
    both = rows[rows["op"].isin(["negate", "affirm"])]
    both = both[both.groupby("target")["op"].transform("nunique") == 2]  # findings with both ops
    assert result["metrics"]["balanced.accuracy"]["n"] == len(both)
    assert abs(result["metrics"]["balanced.accuracy"]["value"] - 0.5) <= 0.05
    assert result["config"]["balanced_set"].startswith("every negate and affirm row")
