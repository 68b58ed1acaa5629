"""`leaderboard verify` re-runs the model: forged scores that `validate` accepts are caught."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cxralign.utils.hashing import sha256_file
from tests._console import assert_one_error, run_cli

MODEL = "open_clip:cxralign-tiny-vit@random"


@pytest.fixture(scope="module")
def submitted(phantom_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from cxralign.data.downstream import LoadOptions
    from cxralign.leaderboard import CardOverrides, Registry, assemble_submission
    from cxralign.models import load_model
    from cxralign.tasks.runner import DataSpec, Evaluation

    root = tmp_path_factory.mktemp("verify")
    model = load_model(MODEL, device="cpu")
    evaluation = Evaluation(
        model,
        [DataSpec.parse(f"phantoms={phantom_dataset}")],
        root / "results",
        bootstrap=0,
        load_options=LoadOptions(views=None),
    )
    (outcome,) = evaluation.run(["zeroshot"])
    assert outcome.status == "ok", outcome.message
    known = root / "known.yaml"
    result = outcome.results[0]
    entry = {"name": result.dataset, "hashes": [result.dataset_hash], "source": "phantoms", "description": "t"}
    known.write_text(yaml.safe_dump({"datasets": [entry]}))
    results_dir = next((root / "results").iterdir())
    overrides = CardOverrides("Tiny random", "1", None, 1000, "MIT", ["phantoms"], None)
    folder = assemble_submission(
        results_dir, "tiny-random", root / "subs", overrides, registry=Registry.default([known])
    ).parent
    return {"folder": folder, "known": known, "data": phantom_dataset}


def _verify(s: dict[str, Path], folder: Path, model: str = MODEL):
    return run_cli(
        "leaderboard", "verify", str(folder), "--model", model, "--data", f"phantoms={s['data']}",
        "--datasets", str(s["known"]), "--device", "cpu",
    )  # fmt: skip


def test_random_init_is_recorded_and_shown(submitted: dict[str, Path], tmp_path: Path) -> None:
    data = json.loads((submitted["folder"] / "submission.json").read_text())
    assert data["model"]["weights"] == "random"
    done = run_cli(
        "leaderboard", "render", "--submissions", str(submitted["folder"].parent), "--out", str(tmp_path / "site"),
        "--no-reported", "--datasets", str(submitted["known"]),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "random init" in (tmp_path / "site" / "index.html").read_text()
    assert "random init" in (tmp_path / "site" / "leaderboard.md").read_text()


def test_verify_reproduces_honest_scores(submitted: dict[str, Path]) -> None:
    done = _verify(submitted, submitted["folder"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "match: zeroshot" in done.stdout and "verified: 1 result(s)" in done.stderr


def test_forged_scores_pass_validate_but_fail_verify(submitted: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    from cxralign.tasks import get_task

    forged = tmp_path / "tiny-random"
    shutil.copytree(submitted["folder"], forged)
    data = json.loads((forged / "submission.json").read_text())
    entry = data["tasks"][0]
    scores_path = forged / entry["scores_file"]
    scores = pd.read_parquet(scores_path)
    score_columns = [c for c in scores.columns if c.startswith("score::")]
    label_columns = [c.replace("score::", "label::") for c in score_columns]
    for score, label in zip(score_columns, label_columns, strict=True):
        scores[score] = scores[label].fillna(0.0).astype(float)  # a perfect model, forged
    scores.to_parquet(scores_path, index=False)
    metrics, per_group = get_task(entry["task"], entry["task_version"]).metrics_from_scores(scores, entry["config"])
    entry["metrics"] = {k: v.model_dump(mode="json") for k, v in metrics.items()}
    entry["per_group"] = {g: {k: v.model_dump(mode="json") for k, v in m.items()} for g, m in per_group.items()}
    entry["scores_sha256"] = sha256_file(scores_path)
    (forged / "submission.json").write_text(json.dumps(data, indent=2))

    valid = run_cli("leaderboard", "validate", str(forged), "--datasets", str(submitted["known"]))
    assert valid.returncode == 0, valid.stdout + valid.stderr  # validate only proves self-consistency
    done = _verify(submitted, forged)
    assert_one_error(done, 1, "not reproduced")
    assert "items differ beyond" in done.stdout
