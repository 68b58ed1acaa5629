"""The columns of ``data/<op>/<split>.parquet`` and a typed view of one row."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

SPLITS: tuple[str, ...] = ("train", "validation", "test")
BALANCED_OPS: tuple[str, ...] = ("negate", "affirm")

ITEM_SCHEMA = pa.schema(
    [
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("patient_id", pa.string()),
        pa.field("study_id", pa.string()),
        pa.field("image_id", pa.string()),
        pa.field("image_path", pa.string()),
        pa.field("has_image", pa.bool_(), nullable=False),
        pa.field("split", pa.string(), nullable=False),
        pa.field("op", pa.string(), nullable=False),
        pa.field("target", pa.string(), nullable=False),
        pa.field("target_concept", pa.string()),
        pa.field("target_present", pa.bool_(), nullable=False),
        pa.field("original", pa.string(), nullable=False),
        pa.field("variant", pa.string(), nullable=False),
        pa.field("location", pa.string()),
        pa.field("changes", pa.string(), nullable=False),
        pa.field("labels", pa.string(), nullable=False),
        pa.field("control_image_ids", pa.list_(pa.string()), nullable=False),
        pa.field("balanced", pa.bool_()),
    ]
)
COLUMNS: tuple[str, ...] = tuple(ITEM_SCHEMA.names)
OPTIONAL_COLUMNS: tuple[str, ...] = ("balanced",)
"""Columns a build of an older version lacks: ``balanced`` (the row is in the balanced negate + affirm
set, chosen by the blind filter; builds before it used every negate and affirm row)."""
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMNS if c not in OPTIONAL_COLUMNS)


class ChangeRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: int
    end: int
    before: str
    after: str
    sentence_index: int | None = None


class BenchmarkItem(BaseModel):
    """One row of a benchmark split: an image, its true report and one contradicting variant."""

    model_config = ConfigDict(frozen=True)

    item_id: str
    patient_id: str | None = None
    study_id: str | None = None
    image_id: str | None = None
    image_path: str | None = None
    has_image: bool = False
    split: str
    op: str
    target: str
    target_concept: str | None = None
    target_present: bool
    original: str
    variant: str
    location: str | None = None
    changes: list[ChangeRecord] = Field(default_factory=list)
    labels: dict[str, float | None] = Field(default_factory=dict)
    control_image_ids: list[str] = Field(default_factory=list)
    balanced: bool | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> BenchmarkItem:
        """Parse a Parquet / ``datasets`` row (JSON columns decoded)."""
        data = dict(row)
        for key in ("changes", "labels"):
            if isinstance(data.get(key), str):
                data[key] = json.loads(data[key])
        return cls.model_validate(data)

    def to_row(self) -> dict[str, Any]:
        """The row as written to Parquet (JSON columns encoded canonically)."""
        data = self.model_dump()
        data["changes"] = json.dumps([c for c in data["changes"]], sort_keys=True, ensure_ascii=False)
        data["labels"] = json.dumps(data["labels"], ensure_ascii=False)
        return {name: data[name] for name in COLUMNS}


def in_balanced_set(op: str, balanced: bool | None) -> bool:
    """Whether a row counts in the balanced set: its ``balanced`` flag, or (a build without the
    column) every negate and affirm row, as those builds defined it."""
    return bool(balanced) if balanced is not None else op in BALANCED_OPS

