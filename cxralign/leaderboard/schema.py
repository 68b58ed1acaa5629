"""The submission file: what a leaderboard entry claims, as pydantic models.

A submission is one ``submission.json`` plus, beside it, the per-item score
Parquet files its metrics were computed from. Everything a reader needs to trust
a number is in it: which task version and dataset hash produced it, and the file
from which the validator recomputes it. Report text never appears here (the
credentialed sources forbid sharing it); only identifiers and scores.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cxralign.tasks.results import MetricValue, ToolkitInfo

SUBMISSION_SCHEMA_VERSION = 1
SUBMISSION_FILE = "submission.json"
SCHEMA_PATH = Path("leaderboard") / "schema" / "submission.schema.json"

SUBMISSION_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
SCORES_FILE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}\.parquet$"

_Strict = ConfigDict(extra="forbid", allow_inf_nan=False)


class SubmittedModel(BaseModel):
    """The model card of a submission: enough to find, load and judge the model."""

    model_config = _Strict

    name: str = Field(min_length=1, max_length=200, description="Display name of the model.")
    version: str = Field(min_length=1, max_length=100, description="Model version or release tag.")
    spec: str = Field(
        min_length=1, max_length=500, description="The --model loader spec it was evaluated with."
    )
    weights: str = Field(
        min_length=1, max_length=500, description="Where the weights are: hub id, URL, DOI or file sha256."
    )
    fingerprint: str = Field(min_length=1, max_length=128, description="Hash of weights and preprocessing.")
    parameter_count: int = Field(gt=0, lt=10**13, description="Number of parameters (image + text towers).")
    licence: str = Field(min_length=1, max_length=200, description="Licence of the weights.")
    training_datasets: list[str] = Field(
        min_length=1,
        max_length=100,
        description="Datasets the model was trained on (used to flag contamination); 'undisclosed' if unknown.",
    )
    citation: str | None = Field(default=None, max_length=2000)
    parity: str | None = Field(
        default=None, max_length=300, description="Parity with the authors' code, from the zoo card's `parity`."
    )


class SubmittedTask(BaseModel):
    """One evaluation result: task version, dataset identity, metrics and their scores file."""

    model_config = _Strict

    task: str = Field(min_length=1, max_length=100)
    task_version: str = Field(min_length=1, max_length=50)
    dataset: str = Field(min_length=1, max_length=200)
    dataset_hash: str = Field(min_length=1, max_length=128)
    split: str = Field(min_length=1, max_length=50)
    main_score: str = Field(min_length=1, max_length=100)
    higher_is_better: bool
    config: dict[str, Any] = Field(
        description="The evaluation config metrics are recomputed with (seed included)."
    )
    metrics: dict[str, MetricValue] = Field(min_length=1)
    per_group: dict[str, dict[str, MetricValue]] = Field(default_factory=dict)
    scores_file: str = Field(pattern=SCORES_FILE_PATTERN, description="Parquet file name, beside the JSON.")
    scores_sha256: str = Field(pattern=SHA256_PATTERN)
    toolkit_version: str = Field(
        min_length=1, max_length=50, description="cxralign version that evaluated it."
    )
    created: str = Field(description="When the evaluation ran (ISO 8601).")

    @field_validator("created")
    @classmethod
    def _iso_timestamp(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as error:
            raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from error
        return value

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.task, self.dataset, self.split)

    @property
    def label(self) -> str:
        return f"{self.task} v{self.task_version} on {self.dataset}/{self.split}"


class Submission(BaseModel):
    """A leaderboard entry: one model, the toolkit that assembled it, and its verified results."""

    model_config = _Strict

    schema_version: Literal[1] = SUBMISSION_SCHEMA_VERSION
    name: str = Field(pattern=SUBMISSION_NAME_PATTERN, description="Entry name; also its directory name.")
    date: str = Field(description="Date of the newest result in the submission (YYYY-MM-DD).")
    toolkit: ToolkitInfo = Field(description="cxralign that assembled the submission.")
    model: SubmittedModel
    tasks: list[SubmittedTask] = Field(min_length=1, max_length=500)

    @field_validator("date")
    @classmethod
    def _iso_date(cls, value: str) -> str:
        try:
            date.fromisoformat(value)
        except ValueError as error:
            raise ValueError(f"not a YYYY-MM-DD date: {value!r}") from error
        return value


def submission_json_schema() -> dict[str, Any]:
    """The JSON Schema of a submission file, as committed in ``leaderboard/schema/``."""
    schema = Submission.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/cxralign/cxralign/leaderboard/schema/submission.schema.json",
        **schema,
    }


def schema_text() -> str:
    return json.dumps(submission_json_schema(), indent=2, sort_keys=True) + "\n"


def submission_text(submission: Submission) -> str:
    """Canonical JSON of a submission (stable key order, so diffs stay small)."""
    return json.dumps(submission.model_dump(mode="json"), indent=2, sort_keys=True, allow_nan=False) + "\n"
