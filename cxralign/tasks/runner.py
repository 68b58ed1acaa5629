"""Run tasks for one model over the datasets a user names, and write the result files.

One (task, dataset) failing is recorded and the others still run; ``resume``
skips a (task, dataset) whose results already exist for the same run key (model
fingerprint, task version, dataset hash, seed and every option), so a changed
model, dataset or option is never silently served from an old file.

Under ``torchrun`` (an initialised ``torch.distributed`` group) every rank runs
the tasks, so each embeds its shard of images and texts (the model stage shards
and gathers); rank 0 alone computes the metrics and writes the files, and the
others return no results. The metrics equal a single-process run's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxralign.errors import ConfigError, CxrAlignError
from cxralign.tasks.base import RunContext, ScoredSplit, Task, TaskData
from cxralign.tasks.io import (
    environment_info,
    find_results,
    read_result,
    result_path,
    slugify,
    toolkit_info,
    utc_now,
    write_result,
)
from cxralign.tasks.registry import SUITES, get_task, known_datasets, resolve_tasks
from cxralign.tasks.results import ModelInfo, TaskResult
from cxralign.utils.hashing import sha256_json

__all__ = ["SUITES", "DataSpec", "Evaluation", "Outcome", "resolve_tasks", "run_models"]


@dataclass
class DataSpec:
    """``--data LOADER=PATH`` or ``--data LABEL:LOADER=PATH`` (the label names the result folder)."""

    name: str  # the label results are filed under; the loader name unless given
    path: Path
    loader: str = ""  # a downstream loader name or cxr-align

    def __post_init__(self) -> None:
        self.loader = self.loader or self.name

    @classmethod
    def parse(cls, text: str) -> DataSpec:
        if "=" not in text:
            raise ConfigError(
                f"--data takes NAME=PATH (e.g. chexpert=/data/CheXpert-v1.0-small), got {text!r}"
            )
        name, path = text.split("=", 1)
        label, _, loader = name.strip().lower().rpartition(":")
        return cls(label or loader, Path(path).expanduser(), loader)


@dataclass
class Outcome:
    task: str
    dataset: str
    status: str  # "ok" | "skipped" | "failed" | "not applicable"
    paths: list[Path] = field(default_factory=list)
    results: list[TaskResult] = field(default_factory=list)
    message: str = ""
    artifacts: list[dict[str, Any]] = field(default_factory=list)


def model_info(model: Any) -> ModelInfo:
    card = getattr(model, "card", None)
    if card is not None and hasattr(card, "model_dump"):
        card = card.model_dump(mode="json")
    return ModelInfo(
        spec=str(model.spec),
        fingerprint=model.fingerprint(),
        card=card if isinstance(card, dict) else None,
        weights="random" if getattr(model, "random_init", False) else None,
    )


def _world() -> tuple[int, int]:
    """(rank, world size) of an initialised process group, else (0, 1)."""
    from cxralign.utils.distributed import current

    info = current()
    return info.rank, info.world_size


def join_process_group(device: str) -> tuple[int, str]:
    """Under torchrun, join the group (nccl on GPUs, gloo on CPU), each rank on its own GPU: (rank, device)."""
    import os

    import torch

    from cxralign.utils.distributed import init_distributed, launched_by_torchrun

    if not launched_by_torchrun():
        return _world()[0], device
    if device in ("auto", "cuda") and torch.cuda.is_available():
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    elif device == "auto":
        device = "cpu"
    return init_distributed(device.split(":")[0]).rank, device


def _same_on_every_rank(value: Any) -> Any:
    """Rank 0's value everywhere: every rank must take the same branch around collective embedding calls."""
    import torch.distributed as dist

    holder = [value]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def _check_known(loader: str) -> None:
    """One error line for a ``--data`` kind that no registered task takes."""
    from cxralign.data.downstream import DATASETS

    known = known_datasets()
    if DATASETS.canonical(loader.lower()) not in known:
        raise DATASETS.unknown(loader, known=known)


class Evaluation:
    """Holds the model, loaded datasets and options for one ``cxralign eval`` invocation."""

    def __init__(
        self,
        model: Any,
        data: list[DataSpec],
        out: str | Path,
        *,
        seed: int = 0,
        batch_size: int = 64,
        device: str = "cpu",
        cache: Any = None,
        bootstrap: int = 1000,
        resume: bool = False,
        load_options: Any = None,
        task_options: dict[str, Any] | None = None,
        log: Callable[[str], None] = lambda message: None,
        loaded: dict[str, Any] | None = None,
    ):
        """``loaded`` is a dict shared between evaluations of several models, so each dataset is prepared once."""
        self.model = model
        labels = [spec.name for spec in data]
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise ConfigError(
                f"--data {repeated[0]} is given twice; name each one: --data LABEL:{repeated[0]}=PATH"
            )
        self.data = data
        self.out = Path(out)
        self.resume = resume
        self.load_options = load_options
        self.log = log
        self.ctx = RunContext(
            model=model,
            seed=seed,
            batch_size=batch_size,
            device=device,
            cache=cache,
            bootstrap=bootstrap,
            options=dict(task_options or {}),
        )
        self._loaded: dict[str, Any] = {} if loaded is None else loaded
        self.info = model_info(model)
        self.toolkit = toolkit_info()
        self.rank, self.world_size = _world()
        self.environment = environment_info(device)
        if self.world_size > 1:
            self.environment["world_size"] = str(self.world_size)

    def _load(self, task: Task, spec: DataSpec) -> tuple[TaskData, str]:
        """(data, content hash) for a data spec, loaded once (by the first task that takes it)."""
        if spec.name not in self._loaded:
            data = task.load_data(spec.loader, spec.path, self.load_options)
            self._loaded[spec.name] = (data, data.hash())
        return self._loaded[spec.name]

    def run_key(self, task_name: str, data_hash: str) -> str:
        task = get_task(task_name)
        return sha256_json(
            {
                "task": task.metadata.name,
                "version": task.metadata.version,
                "model": self.info.fingerprint,
                "data": data_hash,
                "seed": self.ctx.seed,
                "bootstrap": self.ctx.bootstrap,
                "options": self.ctx.options,
                "load_options": getattr(self.load_options, "as_dict", lambda: None)(),
            }
        )

    def _existing(self, task_name: str, dataset: str, key: str) -> list[Path]:
        folder = self.out / slugify(self.info.spec) / slugify(task_name) / slugify(dataset)
        if not folder.is_dir():
            return []
        paths = find_results(folder)
        try:
            results = [read_result(p) for p in paths]
        except CxrAlignError:
            return []
        if results and all(
            r.config.get("run_key") == key and r.model.fingerprint == self.info.fingerprint for r in results
        ):
            return paths
        return []

    def run_one(self, task_name: str, spec: DataSpec) -> Outcome:
        task = get_task(task_name)
        data, data_hash = self._load(task, spec)
        key = self.run_key(task_name, data_hash)
        existing = self._existing(task_name, spec.name, key) if self.resume and self.rank == 0 else []
        if self.world_size > 1:
            existing = _same_on_every_rank(existing)
        if existing and self.rank != 0:
            return Outcome(task_name, spec.name, "skipped", message="results exist (rank 0 read them)")
        if existing:
            return Outcome(
                task_name,
                spec.name,
                "skipped",
                existing,
                [read_result(p) for p in existing],
                "results exist for the same model fingerprint and config",
            )
        started = time.perf_counter()
        scored: list[ScoredSplit] = task.run(self.ctx.on(spec.name, data))
        outcome = Outcome(task_name, spec.name, "ok")
        if self.rank != 0:
            outcome.message = f"rank {self.rank}: embedded its shard; rank 0 scores and writes"
            return outcome
        for part in scored:
            config = {**part.config, "run_key": key, "batch_size": self.ctx.batch_size}
            metric_start = time.perf_counter()
            metrics, per_group = task.metrics_from_scores(part.scores, config)
            timings = {
                **part.timings,
                "metrics_s": time.perf_counter() - metric_start,
                "task_total_s": time.perf_counter() - started,
            }
            result = TaskResult(
                **task.metadata.result_fields(),
                dataset=part.dataset,
                dataset_hash=part.dataset_hash,
                split=part.split,
                model=self.info,
                toolkit=self.toolkit,
                config=config,
                metrics=metrics,
                per_group=per_group,
                scores_file="",
                scores_sha256="",
                timings=timings,
                environment=self.environment,
                created=utc_now(),
            )
            path = result_path(self.out, self.info.spec, task.metadata.name, part.dataset, part.split)
            outcome.results.append(write_result(path, result, part.scores))
            outcome.paths.append(path)
            outcome.artifacts.append({"scores": part.scores, "config": config})
        return outcome

    def run(self, tasks: list[str]) -> list[Outcome]:
        """Every task on every dataset it accepts; failures are caught per (task, dataset)."""
        outcomes = []
        for task_name in tasks:
            task = get_task(task_name)
            matched = False
            for spec in self.data:
                try:
                    if not task.takes(spec.loader):
                        _check_known(spec.loader)
                        continue
                    matched = True
                    verdict = task.accepts(self.model, self._load(task, spec)[0])
                    if not verdict:
                        outcomes.append(Outcome(task_name, spec.name, "not applicable", message=verdict.reason))
                        continue
                    self.log(f"{task_name} on {spec.name}")
                    outcomes.append(self.run_one(task_name, spec))
                except CxrAlignError as error:
                    outcomes.append(Outcome(task_name, spec.name, "failed", message=str(error)))
                except Exception as error:  # a bug in one task must not lose the others' results
                    outcomes.append(
                        Outcome(task_name, spec.name, "failed", message=f"{type(error).__name__}: {error}")
                    )
            if not matched:
                outcomes.append(
                    Outcome(task_name, "-", "not applicable", message="no --data entry this task accepts")
                )
        return outcomes


DEFAULT_TASK_OPTIONS: dict[str, Any] = {"fractions": [0.01, 0.1, 1.0], "n_seeds": 3, "epochs": 5}


def run_models(
    models: list[Any],
    load: Callable[[Any], Any],
    data: list[DataSpec],
    out: str | Path,
    tasks: list[str],
    **options: Any,
) -> list[tuple[Evaluation, list[Outcome]]]:
    """Evaluate each model in turn (``load(item)`` gives it, one in memory at a time); datasets are
    prepared once for all. ``options`` are ``Evaluation``'s keywords; ``device`` is each model's own."""
    loaded: dict[str, Any] = {}
    runs = []
    for item in models:
        model = load(item)
        evaluation = Evaluation(model, data, out, device=str(model.device), loaded=loaded, **options)
        runs.append((evaluation, evaluation.run(tasks)))
    return runs
