"""The result file every evaluator writes and the leaderboard verifies.

One JSON per (model, task, dataset, split), with a Parquet file of per-item
scores beside it from which every metric can be recomputed exactly.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

RESULT_SCHEMA_VERSION = 1
MIN_FINDING_N = 30
"""Items below which a per-finding figure is withheld (results, reports and leaderboard)."""


class MetricValue(BaseModel):
    """A metric with its 95% interval and the references a reader needs beside it."""

    model_config = ConfigDict(extra="forbid")

    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None  # items the figure is computed over
    chance: float | None = None  # what a random scorer gets
    blind: float | None = None  # the text-only baseline from the build manifest, where one exists


class ModelInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    spec: str
    fingerprint: str
    card: dict[str, Any] | None = None
    weights: str | None = None  # "random" for a randomly initialised model (open_clip:ARCH@random)


class ToolkitInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str
    git_revision: str | None = None


class TaskResult(BaseModel):
    """One evaluation of one model on one task, dataset and split."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = RESULT_SCHEMA_VERSION
    task: str
    task_version: str
    dataset: str
    dataset_hash: str
    split: str
    model: ModelInfo
    toolkit: ToolkitInfo
    config: dict[str, Any] = Field(default_factory=dict)
    main_score: str
    higher_is_better: bool = True
    metrics: dict[str, MetricValue]
    # breakdowns, e.g. per finding or per location
    per_group: dict[str, dict[str, MetricValue]] = Field(default_factory=dict)
    scores_file: str  # Parquet file name, relative to the JSON
    scores_sha256: str
    timings: dict[str, float] = Field(default_factory=dict)
    environment: dict[str, str] = Field(default_factory=dict)
    created: str  # ISO 8601 UTC
