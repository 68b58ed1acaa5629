"""Trainer behaviour: exact resume, NaN stop with a checkpoint, atomic checkpoints, metrics log."""

from __future__ import annotations

import json
import math
import shutil
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))

from _train_support import keyword_annotator, tiny_config, write_csv_dataset  # noqa: E402

from cxralign.errors import ConfigError  # noqa: E402
from cxralign.train.checkpoint import latest_checkpoint  # noqa: E402
from cxralign.train.model import ReferenceModel  # noqa: E402
from cxralign.train.trainer import TrainingDivergedError, train  # noqa: E402

ALL = ["clip", "soft", "neg", "graph", "umcl"]


@pytest.fixture(scope="module")
def dataset_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv_dataset(tmp_path_factory.mktemp("train-data"), n=40)


@pytest.mark.slow
def test_resume_reproduces_uninterrupted_losses(dataset_csv: Path, tmp_path: Path) -> None:
    # dropout on, all losses (random variant choice, soft-label schedule): RNG and data position must be restored
    sections = {
        "losses": {"enabled": ALL},
        "model": {"text_dropout": 0.1},
        "train": {"steps": 6, "checkpoint_every": 3, "keep_checkpoints": 3},
    }
    full = train(tiny_config(dataset_csv, tmp_path / "full", **sections), annotator=keyword_annotator)
    assert len(full.losses) == 6
    # simulate a crash right after the step-3 checkpoint: a fresh directory holding only that checkpoint
    crashed = tmp_path / "crashed" / "checkpoints"
    crashed.mkdir(parents=True)
    shutil.copytree(tmp_path / "full" / "checkpoints" / "step-000003", crashed / "step-000003")
    (crashed / "latest.json").write_text(json.dumps({"step": 3, "path": "step-000003"}))
    resumed = train(
        tiny_config(dataset_csv, tmp_path / "crashed", **sections), resume=True, annotator=keyword_annotator
    )
    assert resumed.losses[:3] == full.losses[:3]
    assert resumed.losses[3:] == pytest.approx(full.losses[3:], abs=1e-6)
    a = ReferenceModel.from_pretrained(full.model_dir).state_dict()
    b = ReferenceModel.from_pretrained(resumed.model_dir).state_dict()
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_metrics_log_and_exported_model(dataset_csv: Path, tmp_path: Path) -> None:
    seen = []

    def validator(model, step):  # noqa: ANN001, ANN202
        seen.append((step, model.training))
        return {"cxr-align/negation.accuracy": 0.5 + step / 100}

    config = tiny_config(dataset_csv, tmp_path / "run", train={"steps": 4, "validate_every": 2})
    summary = train(config, annotator=keyword_annotator, validator=validator)
    assert seen == [(2, False), (4, False)]  # every 2 steps and at the end, in eval mode
    assert summary.validation == {"cxr-align/negation.accuracy": 0.54}
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    validation = [json.loads(line) for line in lines if "val/cxr-align/negation.accuracy" in line]
    assert [r["step"] for r in validation] == [2, 4]
    records = [json.loads(line) for line in lines if '"loss"' in line]
    assert [r["step"] for r in records] == [1, 2, 3, 4]
    assert {"loss", "loss/contrastive", "lr", "logit_scale", "samples_per_s", "truncated_texts"} <= set(
        records[0]
    )
    assert records[0]["lr"] < records[1]["lr"]  # warm-up
    assert summary.losses[-1] < summary.losses[0]
    model = ReferenceModel.from_pretrained(summary.model_dir)
    assert json.loads((summary.model_dir / "reference_config.json").read_text())["trained_steps"] == 4
    assert model.config.embed_dim == 16
    assert latest_checkpoint(tmp_path / "run" / "checkpoints").name == "step-000004"


def test_nan_loss_stops_with_step_and_batch_ids_after_checkpoint(
    dataset_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxralign.train import objective

    original = objective.Objective.__call__
    calls = {"n": 0}

    def poisoned(self, features, batch, progress):  # noqa: ANN001, ANN202
        calls["n"] += 1
        total, parts = original(self, features, batch, progress)
        return (total * float("nan"), parts) if calls["n"] == 3 else (total, parts)

    monkeypatch.setattr(objective.Objective, "__call__", poisoned)
    with pytest.raises(TrainingDivergedError, match=r"at step 3 .*batch sample ids: r\d{4}"):
        train(tiny_config(dataset_csv, tmp_path / "nan"), annotator=keyword_annotator)
    saved = latest_checkpoint(tmp_path / "nan" / "checkpoints")
    assert saved is not None and saved.name == "step-000002"
    ReferenceModel.from_pretrained(saved / "model")  # the last good state loads


def test_interrupted_checkpoint_write_keeps_previous_one(
    dataset_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxralign.train import checkpoint

    real_save = checkpoint.save_state
    count = {"n": 0}

    def failing_save(folder, state):  # noqa: ANN001, ANN202
        count["n"] += 1
        if count["n"] == 2:
            raise OSError(28, "No space left on device")
        return real_save(folder, state)

    monkeypatch.setattr(checkpoint, "save_state", failing_save)
    with pytest.raises(OSError, match="No space"):
        train(tiny_config(dataset_csv, tmp_path / "disk", train={"steps": 6}), annotator=keyword_annotator)
    root = tmp_path / "disk" / "checkpoints"
    assert sorted(p.name for p in root.iterdir()) == ["latest.json", "step-000003"]
    assert latest_checkpoint(root).name == "step-000003"


def test_refuses_to_overwrite_checkpoints_and_resume_without_any(dataset_csv: Path, tmp_path: Path) -> None:
    config = tiny_config(dataset_csv, tmp_path / "r", train={"steps": 3})
    with pytest.raises(ConfigError, match="no checkpoint"):
        train(config, resume=True, annotator=keyword_annotator)
    train(config, annotator=keyword_annotator)
    with pytest.raises(ConfigError, match="--resume"):
        train(config, annotator=keyword_annotator)
    changed = tiny_config(dataset_csv, tmp_path / "r", train={"steps": 3}, optim={"lr": 0.5})
    with pytest.raises(ConfigError, match="optim configuration differs"):
        train(changed, resume=True, annotator=keyword_annotator)


def test_batch_larger_than_dataset_fails_before_training(dataset_csv: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="exceeds the 40 training samples"):
        train(
            tiny_config(dataset_csv, tmp_path / "big", train={"batch_size": 64}), annotator=keyword_annotator
        )


@pytest.mark.slow
def test_trains_on_phantoms_with_the_real_report_and_rewriting_engines(
    phantom_dataset: Path, tmp_path: Path
) -> None:
    from cxralign.train.config import validate_config

    config = validate_config(
        {
            "out": str(tmp_path / "ph"),
            "data": {"source": "phantoms", "path": str(phantom_dataset)},
            "model": {
                "image_tower_kwargs": {"widths": [8, 16], "grid": 2},
                "text_hidden_size": 32,
                "text_layers": 1,
                "text_heads": 2,
                "text_intermediate_size": 64,
                "vocab_size": 300,
                "embed_dim": 16,
            },
            "losses": {"enabled": ALL},
            "train": {"batch_size": 16, "steps": 2, "device": "cpu", "checkpoint_every": 2},
        }
    )
    from cxralign.train.trainer import Trainer

    trainer = Trainer(config)
    data = trainer.data
    assert sum(1 for variants in data.variants if variants) > len(data.variants) // 3  # verified negations
    assert data.clinical.sum() > 0 and len(data.triple_vocab) > 10
    assert (data.label_key >= 0).all()
    summary = trainer.run()
    assert summary.steps == 2 and all(math.isfinite(loss) for loss in summary.losses)


def test_label_only_images_train_through_umcl_prompts(dataset_csv: Path, tmp_path: Path) -> None:
    import csv

    label_only = tmp_path / "labels.csv"
    with open(label_only, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image_path", "Pleural Effusion", "Cardiomegaly"])
        for index in range(16):
            writer.writerow(
                [str(dataset_csv.parent / f"images/{index:04d}.png"), 1 if index % 4 < 2 else 0, ""]
            )
    config = tiny_config(
        dataset_csv,
        tmp_path / "lo",
        data={"label_only": [str(label_only)]},
        losses={"enabled": ["clip", "umcl"], "umcl": {"context_length": 4, "position": "middle"}},
        train={"steps": 3},
    )
    from cxralign.train.trainer import Trainer

    trainer = Trainer(config, annotator=keyword_annotator)
    assert len(trainer.samples) == 40 + 16
    assert sum(report is None for report in trainer.data.reports) == 16
    assert (trainer.data.label_key[-16:] >= 0).all()
    prompts_before = trainer.step_module.prompts.context.detach().clone()
    summary = trainer.run()
    assert all(math.isfinite(loss) for loss in summary.losses)
    assert not torch.equal(prompts_before, trainer.step_module.prompts.context)  # the prompts learn
