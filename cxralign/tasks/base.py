"""The task contract, in the spirit of MTEB's ``AbsTask``: metadata, data, a run and its metrics.

A task is a class with

- ``metadata`` (name, version, modalities, datasets, main score, direction, headline metrics);
- ``load_data(loader, path, options)``: the data it runs on (downstream datasets by default);
- ``accepts(model, data)``: whether it can run on that model and data, with the reason if not;
- ``run(context) -> list[ScoredSplit]``: per-item score tables from a :class:`RunContext`;
- ``metrics_from_scores(scores, config)``: those tables back into metrics, deterministically.

The runner only ever calls these, so it knows no task by name. Bumping ``version`` is required
whenever ``run`` or ``metrics_from_scores`` changes what a result means; old versions stay
registered (``cxralign.tasks.registry``) so old result files still verify.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

import pandas as pd

from cxralign.tasks.results import MetricValue

if TYPE_CHECKING:  # the model stage imports torch; a task is defined without it
    from cxralign.data.downstream.base import LoadOptions
    from cxralign.models.base import ImageTextModel
    from cxralign.models.cache import EmbeddingCache
    from cxralign.tasks.metrics import Statistic

Metrics = dict[str, MetricValue]
PerGroup = dict[str, dict[str, MetricValue]]
Modality = Literal["image", "text"]


class TaskData(Protocol):
    """What a task runs on: anything with a content hash (a downstream dataset, a built benchmark)."""

    def hash(self) -> str: ...


@dataclass(frozen=True)
class TaskMetadata:
    """What a task is, for ``cxralign tasks list`` and for every result file."""

    name: str
    version: str
    description: str
    main_score: str
    higher_is_better: bool = True
    modalities: tuple[Modality, ...] = ("image", "text")  # what the model must embed
    datasets: tuple[str, ...] = ()  # dataset kinds the task accepts (loader names)
    splits: tuple[str, ...] = ("test",)  # splits a result is written for
    metrics: tuple[str, ...] = ()  # the headline metric names (others may appear)
    headline: tuple[str, ...] = ()  # what training validation logs; the main score when empty
    trained: bool = False  # fits on the train split and selects on valid (scored on test only)
    reference: str = ""

    @property
    def headline_metrics(self) -> tuple[str, ...]:
        return self.headline or (self.main_score,)

    def result_fields(self) -> dict[str, Any]:
        """What every result of this task copies from it (``TaskResult`` keyword arguments)."""
        return {"task": self.name, "task_version": self.version,
                "main_score": self.main_score, "higher_is_better": self.higher_is_better}  # fmt: skip


@dataclass
class ScoredSplit:
    """What ``Task.run`` produces for one (dataset, split): the per-item table and the config it used."""

    dataset: str
    dataset_hash: str
    split: str
    scores: pd.DataFrame
    config: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    artifacts: dict[str, Any] = field(default_factory=dict)  # in-memory extras for plots (never stored)


@dataclass(frozen=True)
class RunContext:
    """Everything one task run needs: the model, its data and the run-wide options."""

    model: ImageTextModel
    data: Any = None  # what the task's load_data returned (TaskData); None until the runner binds it
    dataset: str = ""  # the label results are filed under
    seed: int = 0
    batch_size: int = 64
    device: str = "cpu"
    cache: EmbeddingCache | None = None
    bootstrap: int = 1000
    options: dict[str, Any] = field(default_factory=dict)  # task-specific overrides from the CLI / suite

    def on(self, dataset: str, data: Any) -> RunContext:
        """The same run bound to one dataset."""
        return replace(self, dataset=dataset, data=data)


@dataclass(frozen=True)
class Verdict:
    """``accepts``' answer: truthy when the task can run; ``reason`` says why not."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


ACCEPTED = Verdict(True)


class Task(ABC):
    """Base class of every evaluation task."""

    metadata: ClassVar[TaskMetadata]

    def takes(self, loader: str) -> bool:
        """Whether data of this loader kind (a downstream loader name or alias) is meant for this task."""
        from cxralign.data.downstream import DATASETS

        return DATASETS.canonical(loader.lower()) in self.metadata.datasets

    def load_data(self, loader: str, path: Path, options: LoadOptions | None = None) -> TaskData:
        """The data a ``--data LOADER=PATH`` names; a downstream dataset unless a task says otherwise."""
        from cxralign.data.downstream import load_downstream

        return load_downstream(loader, path, options)

    def accepts(self, model: ImageTextModel, data: TaskData) -> Verdict:
        """Whether this task can run on ``model`` and ``data`` (called after ``takes`` and ``load_data``)."""
        return ACCEPTED

    @abstractmethod
    def run(self, context: RunContext) -> list[ScoredSplit]:
        """Score ``context.data`` with ``context.model``: one table per split."""

    @abstractmethod
    def metrics_from_scores(self, scores: pd.DataFrame, config: dict[str, Any]) -> tuple[Metrics, PerGroup]:
        """Recompute every metric from the stored per-item scores (deterministic, seeded by ``config['seed']``)."""

    def paired_statistics(
        self, scores: pd.DataFrame, config: dict[str, Any]
    ) -> tuple[pd.Series, dict[str, Statistic]]:
        """Item keys (one per score row) and headline metrics as functions of item resample weights,
        for ``cxralign compare``'s paired bootstrap; a task without them is not compared."""
        return pd.Series([], dtype=str), {}

    def delong_classes(self, config: dict[str, Any]) -> list[str]:
        """Classes whose AUROC ``cxralign compare`` also tests with DeLong's test (none by default)."""
        return []

    def __repr__(self) -> str:
        return f"<task {self.metadata.name} v{self.metadata.version}>"
