"""The columns of ``data/<op>/<split>.parquet`` and a typed view of one row."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

SPLITS: tuple[str, ...] = ("train", "validation", "test")

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
    ]
)
COLUMNS: tuple[str, ...] = tuple(ITEM_SCHEMA.names)


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
