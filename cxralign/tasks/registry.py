"""The task registry: versioned task metadata, MTEB-style.

A task is a class with ``metadata`` (name, version, datasets, splits, main score,
direction), a ``run`` that turns a model and data into per-item score tables, and
``metrics_from_scores`` that turns one such table back into metrics,
deterministically. Bumping ``version`` is required whenever either changes what
a result means; old versions stay registered so old result files still verify.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from cxralign.errors import ConfigError
from cxralign.tasks.results import MetricValue

Metrics = dict[str, MetricValue]
PerGroup = dict[str, dict[str, MetricValue]]


@dataclass(frozen=True)
class TaskMetadata:
    """What a task is, for ``cxralign tasks list`` and for every result file."""

    name: str
    version: str
    description: str
    main_score: str
    higher_is_better: bool = True
    datasets: tuple[str, ...] = ()  # dataset kinds the task accepts (loader names)
    splits: tuple[str, ...] = ("test",)  # splits a result is written for
    metrics: tuple[str, ...] = ()  # the headline metric names (others may appear)
    reference: str = ""


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


class Task(ABC):
    """Base class of every evaluation task."""

    metadata: ClassVar[TaskMetadata]

    @abstractmethod
    def metrics_from_scores(self, scores: pd.DataFrame, config: dict[str, Any]) -> tuple[Metrics, PerGroup]:
        """Recompute every metric from the stored per-item scores (deterministic, seeded by ``config['seed']``)."""

    def __repr__(self) -> str:
        return f"<task {self.metadata.name} v{self.metadata.version}>"


_REGISTRY: dict[tuple[str, str], type[Task]] = {}


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator: make a task available to ``get_task`` under its name and version."""
    key = (cls.metadata.name, cls.metadata.version)
    if key in _REGISTRY and _REGISTRY[key] is not cls:
        raise ConfigError(f"task {key[0]} version {key[1]} is registered twice")
    _REGISTRY[key] = cls
    return cls


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def _ensure_builtin_tasks() -> None:
    import cxralign.tasks.builtin  # noqa: F401  (registers the built-in tasks)


def list_tasks(all_versions: bool = False) -> list[TaskMetadata]:
    """Metadata of every registered task (the newest version of each unless ``all_versions``)."""
    _ensure_builtin_tasks()
    newest: dict[str, TaskMetadata] = {}
    everything = []
    for (name, _version), cls in sorted(_REGISTRY.items(), key=lambda kv: (kv[0][0], _version_key(kv[0][1]))):
        everything.append(cls.metadata)
        newest[name] = cls.metadata
    return everything if all_versions else list(newest.values())


def get_task(name: str, version: str | None = None) -> Task:
    """An instance of task ``name`` (newest version unless ``version`` is given)."""
    _ensure_builtin_tasks()
    versions = [v for (n, v) in _REGISTRY if n == name]
    if not versions:
        known = ", ".join(sorted({n for n, _ in _REGISTRY}))
        raise ConfigError(f"unknown task {name!r}; known tasks: {known}")
    if version is None:
        version = max(versions, key=_version_key)
    elif version not in versions:
        raise ConfigError(
            f"task {name!r} has no version {version!r}; known versions: {', '.join(sorted(versions))}"
        )
    return _REGISTRY[(name, version)]()


@dataclass
class RunContext:
    """Everything a task's ``run`` needs besides its data: the model and the run-wide options."""

    model: Any
    seed: int = 0
    batch_size: int = 64
    device: str = "cpu"
    cache: Any = None  # an EmbeddingCache from the model stage, or None
    bootstrap: int = 1000
    options: dict[str, Any] = field(default_factory=dict)  # task-specific overrides from the CLI / suite
