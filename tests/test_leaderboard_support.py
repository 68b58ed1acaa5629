"""Helpers for the leaderboard tests (no tests here): real CXR-Align results on fabricated scores.

Results are written the way ``cxralign eval`` writes them: metrics from the real
``cxr-align`` task's ``metrics_from_scores``, files through ``cxralign.tasks.io.write_result``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxralign.leaderboard import CardOverrides, Registry, assemble_submission
from cxralign.leaderboard.registry import KnownDataset, _default_get_task
from cxralign.tasks import get_task
from cxralign.tasks.io import result_path, write_result
from cxralign.tasks.results import ModelInfo, TaskResult, ToolkitInfo

DATASET = "cxr-align-phantoms"
DATASET_HASH = "a" * 64
FINDINGS = ("Cardiomegaly", "Edema", "Pleural Effusion", "Pneumothorax", "Atelectasis")
CONFIG = {"seed": 7, "bootstrap": 200, "similarity": "cosine", "blind": {}}


def fake_scores(skill: float, n_items: int = 30 * len(FINDINGS), seed: int = 0) -> pd.DataFrame:
    """Score rows in the cxr-align layout; ``skill`` shifts the true report's similarity up."""
    rng = np.random.default_rng(seed)
    rows = []
    for op in ("negation", "omission", "affirmation"):
        for i in range(n_items):
            s_var = float(rng.normal(0.2, 0.05))
            rows.append(
                {
                    "item_id": f"item-{i:03d}",
                    "image_id": f"img-{i:03d}",
                    "op": op,
                    "target": FINDINGS[i % len(FINDINGS)],
                    "location": ("first", "middle", "last")[i % 3],
                    "target_present": op != "affirmation",
                    "scored": True,
                    "s_original": s_var + float(rng.normal(skill, 0.05)),
                    "s_variant": s_var,
                    "control_margins": [float(x) for x in rng.normal(0.0, 0.05, size=3)],
                    "n_controls_unresolved": 0,
                }
            )
    return pd.DataFrame(rows)


def write_fake_result(
    results_dir: Path,
    spec: str,
    skill: float,
    *,
    seed: int = 0,
    card: dict[str, Any] | None = None,
    dataset: str = DATASET,
    dataset_hash: str = DATASET_HASH,
    split: str = "test",
    created: str = "2025-03-01T12:00:00+00:00",
) -> Path:
    task = get_task("cxr-align")
    scores = fake_scores(skill, seed=seed)
    metrics, per_group = task.metrics_from_scores(scores, CONFIG)
    result = TaskResult(
        **task.metadata.result_fields(),
        dataset=dataset,
        dataset_hash=dataset_hash,
        split=split,
        model=ModelInfo(spec=spec, fingerprint=f"fp{abs(hash(spec)) % 10**12:012d}", card=card),
        toolkit=ToolkitInfo(version="0.1.0"),
        config=CONFIG,
        metrics=metrics,
        per_group=per_group,
        scores_file="pending",
        scores_sha256="0" * 64,
        created=created,
    )
    path = result_path(results_dir, spec, result.task, dataset, split)
    write_result(path, result, scores)
    return path


def registry(**extra: KnownDataset) -> Registry:
    datasets = {DATASET: KnownDataset(DATASET, (DATASET_HASH,), ("phantoms",), "test phantoms")}
    datasets.update(extra)
    return Registry(get_task=_default_get_task, datasets=datasets)


def make_submission(
    root: Path,
    name: str,
    skill: float,
    *,
    model_name: str | None = None,
    training: tuple[str, ...] = ("phantoms",),
    seed: int = 0,
    out: Path | None = None,
    reg: Registry | None = None,
    created: str = "2025-03-01T12:00:00+00:00",
) -> Path:
    """Results for one model, assembled into ``out/name/submission.json``."""
    spec = f"reference:{name}"
    results = root / "results" / name
    write_fake_result(results, spec, skill, seed=seed, created=created)
    overrides = CardOverrides(
        name=model_name or f"Model {name}",
        version="1.0",
        weights=f"hf-hub:example/{name}",
        parameter_count=1_234_567,
        licence="Apache-2.0",
        training_datasets=list(training),
        citation="Example et al. 2025",
    )
    return assemble_submission(
        results, name, out or root / "submissions", overrides, registry=reg or registry()
    )


def edit_json(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    """Apply ``change(data)`` to a submission JSON in place."""
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))
