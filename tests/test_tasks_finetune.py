"""Fine-tuning and linear probe: training runs, selection on validation only, spread over seeds."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_eval_runner import make_csv_dataset
from test_tasks_support import TinyModel

from cxralign.data.downstream import load_downstream
from cxralign.tasks import RunContext, get_task
from cxralign.tasks.linear_probe import fit_and_score
from cxralign.tasks.shared import subsample


@pytest.fixture()
def csv_data(tmp_path):
    return load_downstream("csv", make_csv_dataset(tmp_path, n=90))


@pytest.mark.slow
def test_finetune_trains_a_copy_and_keeps_the_best_validation_epoch(csv_data):
    model = TinyModel()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ctx = RunContext(
        model=model,
        seed=0,
        bootstrap=30,
        options={"fractions": [0.5, 1.0], "n_seeds": 2, "epochs": 3, "patience": 1, "lr_encoder": 1e-3},
    )
    task = get_task("finetune")
    (scored,) = task.run(ctx.on("csv", csv_data))
    log = scored.config["training_log"]
    assert set(log) == {"0.5/0", "0.5/1", "1/0"}
    for entry in log.values():
        assert 1 <= entry["best_epoch"] <= 3 and entry["val_history"][entry["best_epoch"] - 1] == max(
            entry["val_history"]
        )
        assert len(entry["val_history"]) <= 3
    assert all(
        torch.equal(before[k], v) for k, v in model.state_dict().items()
    )  # the loaded model is untouched
    metrics, per_group = task.metrics_from_scores(scored.scores, scored.config)
    assert {"auroc.mean@50%", "auroc.mean@50%.sd", "auroc.mean@100%"} <= set(metrics)
    assert metrics["auroc.mean@50%.sd"].n == 2
    assert "auroc/class@100%" in per_group


def test_finetune_head_only_when_encoder_frozen(csv_data):
    ctx = RunContext(
        model=TinyModel(), bootstrap=10, options={"fractions": [1.0], "epochs": 1, "freeze_fraction": 1.0}
    )
    (scored,) = get_task("finetune").run(ctx.on("csv", csv_data))
    assert scored.config["training_log"]["1/0"]["trainable_tensors"] == 0


def test_linear_probe_selects_c_on_validation_and_beats_chance_on_separable_data():
    rng = np.random.default_rng(0)
    y = (rng.random((300, 2)) < 0.4).astype(float)
    x = rng.normal(size=(300, 6)) + 3 * np.c_[y, np.zeros((300, 4))]
    y[:5, 1] = np.nan  # unknown labels are dropped per class
    scores, chosen = fit_and_score(
        x[:200], y[:200], x[200:250], y[200:250], x[250:], "multilabel", (0.01, 1.0)
    )
    assert scores.shape == (50, 2) and len(chosen["C"]) == 2
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y[250:, 0], scores[:, 0]) > 0.9


def test_linear_probe_degenerate_training_class_gets_a_constant_score():
    x = np.random.default_rng(0).normal(size=(40, 3))
    y = np.zeros((40, 1))
    scores, chosen = fit_and_score(x[:20], y[:20], x[20:30], y[20:30], x[30:], "multilabel")
    assert np.all(scores == 0.0) and chosen["constant"] == [0]


def test_subsample_is_seeded_and_multiclass_keeps_every_class():
    labels = np.eye(3)[np.r_[np.zeros(50, int), np.ones(45, int), np.full(5, 2)]]
    a, b = subsample(labels, 0.05, 3, "multiclass"), subsample(labels, 0.05, 3, "multiclass")
    assert np.array_equal(a, b) and set(labels[a].argmax(1)) == {0, 1, 2}
    assert not np.array_equal(
        subsample(labels, 0.1, 1, "multilabel"), subsample(labels, 0.1, 2, "multilabel")
    )
    assert len(subsample(labels, 1.0, 0, "multilabel")) == 100


@pytest.mark.slow
def test_finetune_open_clip_adapter_on_phantoms(phantom_dataset):
    from cxralign.models import load_model

    model = load_model("open_clip:cxralign-tiny-vit@random", device="cpu")
    data = load_downstream("phantoms", phantom_dataset)
    ctx = RunContext(model=model, bootstrap=10, options={"fractions": [1.0], "epochs": 1})
    (scored,) = get_task("finetune").run(ctx.on("phantoms", data))
    assert scored.config["training_log"]["1/0"]["trainable_tensors"] > 0
    assert np.isfinite(scored.scores.filter(like="score::").to_numpy()).all()


def test_linear_probe_multiclass_probabilities():
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 3, 240)
    x = rng.normal(size=(240, 5)) + 2.5 * np.eye(3, 5)[truth]
    y = np.eye(3)[truth]
    probs, chosen = fit_and_score(
        x[:150], y[:150], x[150:190], y[150:190], x[190:], "multiclass", (0.01, 1.0)
    )
    assert probs.shape == (50, 3) and np.allclose(probs.sum(axis=1), 1.0)
    assert np.mean(probs.argmax(1) == truth[190:]) > 0.8 and len(chosen["C"]) == 1
