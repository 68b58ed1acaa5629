"""Periodic validation through the evaluation code (``cxralign.tasks``), never a copy of it.

The in-memory model is wrapped by the ``reference:`` adapter and handed to the
same ``Evaluation`` runner ``cxralign eval`` uses: CXR-Align on a built benchmark
split and zero-shot AUROC on a labelled dataset. Result files land in
``OUT/validation/step-N/`` and each task's headline metrics (``TaskMetadata.headline_metrics``,
defined with the task) are logged to metrics.jsonl.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cxralign.train.config import ValidationConfig


def run_tasks(
    model: Any,
    out: Path,
    *,
    benchmark: str | None,
    benchmark_split: str,
    labelled: str | None,
    labelled_split: str,
    tasks: tuple[str, ...] = ("cxr-align", "zeroshot"),
    seed: int = 0,
    batch_size: int = 128,
    bootstrap: int = 200,
    label: str = "reference:<in-memory>",
) -> dict[str, float]:
    """Evaluate a ReferenceModel with the registered tasks; returns ``{task/metric: value}``."""
    from cxralign.tasks import get_task
    from cxralign.tasks.runner import DataSpec, Evaluation
    from cxralign.train.adapter import adapter_for_model

    adapter = adapter_for_model(model, spec=label, device=str(next(model.parameters()).device))
    metrics: dict[str, float] = {}
    jobs = []
    metadata = {name: get_task(name).metadata for name in tasks}
    if benchmark:
        on_builds = [t for t in tasks if "cxr-align" in metadata[t].datasets]
        jobs.append((DataSpec("cxr-align", Path(benchmark)), on_builds, benchmark_split))
    if labelled:
        on_labels = [t for t in tasks if "phantoms" in metadata[t].datasets]
        untrained = [t for t in on_labels if not metadata[t].trained]
        jobs.append((DataSpec("phantoms", Path(labelled)), untrained, labelled_split))
        # a trained task fits on train and selects on valid: it is scored on test, whatever labelled_split says
        jobs.append(
            (DataSpec("phantoms", Path(labelled)), [t for t in on_labels if metadata[t].trained], "test")
        )
    for spec, names, split in jobs:
        if not names:
            continue
        evaluation = Evaluation(
            adapter,
            [spec],
            out,
            seed=seed,
            batch_size=batch_size,
            bootstrap=bootstrap,
            task_options={"splits": [split]},
        )
        for outcome in evaluation.run(names):
            if outcome.status != "ok":
                metrics[f"{outcome.task}/error"] = float("nan")
                continue
            for result in outcome.results:
                for name in metadata[outcome.task].headline_metrics:
                    if name in result.metrics:
                        metrics[f"{outcome.task}/{name}"] = result.metrics[name].value
    return metrics


class TaskValidator:
    """The trainer's validation hook built from the ``validation:`` config section."""

    def __init__(self, config: ValidationConfig, out: Path, seed: int = 0) -> None:
        self.config = config
        self.out = out
        self.seed = seed

    @property
    def enabled(self) -> bool:
        return bool(self.config.benchmark or self.config.zero_shot)

    def __call__(self, model: Any, step: int) -> dict[str, float]:
        return run_tasks(
            model,
            self.out / "validation" / f"step-{step:06d}",
            benchmark=self.config.benchmark,
            benchmark_split=self.config.split,
            labelled=self.config.zero_shot,
            labelled_split=self.config.zero_shot_split,
            seed=self.seed,
            batch_size=self.config.batch_size,
            label=f"reference:step-{step}",
        )
