"""Zero-shot prompts, scoring policies and classification metrics against scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from cxralign.errors import ConfigError
from cxralign.tasks import get_task
from cxralign.tasks.classification import best_f1_threshold, score_table
from cxralign.tasks.prompts import build_prompts, policy_from_card


def test_uncovered_classes_are_named():
    with pytest.raises(ConfigError, match="'Zebra stripes'"):
        build_prompts(("Cardiomegaly", "Zebra stripes"), ("{}.",), ("No {}.",))
    prompts = build_prompts(("Cardiomegaly", "No Finding"), ("There is {}.",), ("No {}.",), {"Extra": "x"})
    assert prompts["Cardiomegaly"].positive == ("There is cardiomegaly.",)
    assert prompts["Cardiomegaly"].negative == ("No cardiomegaly.",)
    assert prompts["No Finding"].positive[0].startswith("No acute")
    user = build_prompts(
        ("Zebra",), ("{}.",), ("No {}.",), {"Zebra": {"positive": ["stripes"], "negative": ["plain"]}}
    )
    assert user["Zebra"].positive == ("stripes",)


def test_policy_from_card():
    assert policy_from_card(None)[0] == "pair"
    card = {"prompts": {"style": "single", "templates": ["a photo of {}"], "negative_templates": []}}
    style, positive, _ = policy_from_card(card)
    assert (style, positive) == ("single", ("a photo of {}",))


def _multilabel_scores(seed=0, n=200):
    rng = np.random.default_rng(seed)
    labels = (rng.random((n, 3)) < 0.3).astype(float)
    labels[:, 2] = 0.0  # a degenerate class: no positives
    labels[::10, 0] = np.nan  # unknown / ignored uncertain labels
    scores = np.round(np.nan_to_num(labels) + rng.normal(size=(n, 3)), 1)
    return score_table([f"i{k}" for k in range(n)], ("A", "B", "C"), scores, labels), labels, scores


def test_multilabel_metrics_match_sklearn_and_skip_degenerate_classes():
    table, labels, scores = _multilabel_scores()
    config = {"seed": 0, "bootstrap": 100, "kind": "multilabel", "classes": ["A", "B", "C"]}
    metrics, groups = get_task("zeroshot").metrics_from_scores(table, config)
    mask = np.isfinite(labels[:, 0])
    auc_a = roc_auc_score(labels[mask, 0], scores[mask, 0])
    auc_b = roc_auc_score(labels[:, 1], scores[:, 1])
    assert groups["auroc/class"]["A"].value == pytest.approx(auc_a)
    assert groups["auroc/class"]["A"].n == mask.sum()
    assert "C" not in groups["auroc/class"]
    assert metrics["auroc.mean"].value == pytest.approx((auc_a + auc_b) / 2)
    assert metrics["classes.degenerate"].value == 1
    assert groups["positives/class"]["C"].value == 0
    assert metrics["auroc.mean"].ci_low < metrics["auroc.mean"].value < metrics["auroc.mean"].ci_high
    assert "f1.mean" not in metrics  # no validation thresholds, so no F1


def test_f1_uses_given_thresholds_only():
    table, labels, scores = _multilabel_scores()
    config = {
        "seed": 0,
        "bootstrap": 50,
        "kind": "multilabel",
        "classes": ["A", "B", "C"],
        "thresholds": {"A": 0.5, "B": 0.5, "C": None},
    }
    _, groups = get_task("zeroshot").metrics_from_scores(table, config)
    pred = scores[:, 1] >= 0.5
    tp, fp, fn = (
        np.sum(pred & (labels[:, 1] == 1)),
        np.sum(pred & (labels[:, 1] == 0)),
        np.sum(~pred & (labels[:, 1] == 1)),
    )
    assert groups["f1/class"]["B"].value == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert best_f1_threshold(np.array([0, 0, 1, 1.0]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.35


def test_multiclass_accuracy_and_balanced_accuracy():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 3, 90)
    scores = rng.random((90, 3)) + np.eye(3)[truth] * 0.5
    table = score_table([str(k) for k in range(90)], ("x", "y", "z"), scores, np.eye(3)[truth])
    metrics, groups = get_task("zeroshot").metrics_from_scores(
        table, {"seed": 0, "bootstrap": 50, "kind": "multiclass", "classes": ["x", "y", "z"]}
    )
    predicted = scores.argmax(1)
    assert metrics["accuracy"].value == pytest.approx(np.mean(predicted == truth))
    assert metrics["balanced_accuracy"].value == pytest.approx(balanced_accuracy_score(truth, predicted))
    assert metrics["accuracy"].chance == pytest.approx(1 / 3)
    assert set(groups["recall/class"]) == {"x", "y", "z"}


def test_zero_shot_run_on_csv_dataset(tmp_path):
    from test_eval_runner import make_csv_dataset
    from test_tasks_support import TinyModel

    from cxralign.data.downstream import load_downstream
    from cxralign.tasks import RunContext

    data = load_downstream("csv", make_csv_dataset(tmp_path, n=30))
    (scored,) = get_task("zeroshot").run(RunContext(model=TinyModel(), bootstrap=20).on("csv", data))
    assert scored.split == "test" and len(scored.scores) == 10
    assert scored.config["prompt_policy"]["style"] == "pair"
    assert scored.config["prompt_policy"]["prompts"]["Cardiomegaly"]["negative"]
    probabilities = scored.scores[[c for c in scored.scores.columns if c.startswith("score::")]].to_numpy()
    assert ((probabilities >= 0) & (probabilities <= 1)).all()  # positive/negative pair softmax
    assert isinstance(scored.scores, pd.DataFrame)


@pytest.mark.parametrize("style", ["single", "ensemble", "pair"])
def test_zero_shot_multiclass_imagefolder_under_each_policy(tmp_path, style):
    from PIL import Image
    from test_tasks_support import TinyModel

    from cxralign.data.downstream import load_downstream
    from cxralign.tasks import RunContext

    for k in range(6):
        for cls in ("Atelectasis", "Edema"):
            path = tmp_path / "test" / cls / f"{k}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("L", (8, 8), 30 * k).save(path)
    data = load_downstream("imagefolder", tmp_path)
    ctx = RunContext(model=TinyModel(), bootstrap=20, options={"prompt_style": style})
    (scored,) = get_task("zeroshot").run(ctx.on("folder", data))
    probs = scored.scores[["score::Atelectasis", "score::Edema"]].to_numpy()
    assert np.allclose(probs.sum(axis=1), 1.0)  # softmax over classes
    metrics, _ = get_task("zeroshot").metrics_from_scores(scored.scores, scored.config)
    assert {"accuracy", "balanced_accuracy"} <= set(metrics)
    assert scored.config["prompt_policy"]["style"] == style
