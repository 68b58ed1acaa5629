"""Phantom datasets as a report corpus: ``DIR/data/{train,validation,test}.parquet`` with PNG bytes inline.

Each row becomes a :class:`ReportRecord` whose image bytes are kept in ``images`` so a
build can copy them beside its splits.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from cxralign.data.corpora.base import ReportRecord
from cxralign.errors import InputError


class PhantomReader:
    """Phantom datasets on disk: ``DIR/data/{train,validation,test}.parquet`` with PNG bytes inline."""

    source = "phantoms"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        import pyarrow.parquet as pq

        self.root = Path(root)
        self.files = [self.root / "data" / f"{split}.parquet" for split in ("train", "validation", "test")]
        self.files = [f for f in self.files if f.exists()]
        if not self.files:
            raise InputError(
                f"{self.root}: no phantom dataset (expected data/{{train,validation,test}}.parquet)"
            )
        self.skipped: list[tuple[str, str]] = []
        self._rows = sum(pq.ParquetFile(f).metadata.num_rows for f in self.files)
        self.images: dict[str, bytes] = {}

    def __len__(self) -> int:
        return self._rows

    def __iter__(self) -> Iterator[ReportRecord]:
        import pyarrow.parquet as pq

        for path in self.files:
            table = pq.read_table(path, columns=["sample_id", "patient_id", "split", "report", "image"])
            for row in table.to_pylist():
                sample = str(row["sample_id"])
                image = row.get("image") or {}
                data = image.get("bytes") if isinstance(image, dict) else None
                if not row.get("report"):
                    self.skipped.append((sample, "empty report"))
                    continue
                if data:
                    self.images[sample] = data
                yield ReportRecord(
                    report_id=sample,
                    text=row["report"],
                    patient_id=str(row["patient_id"]) if row.get("patient_id") is not None else None,
                    study_id=sample,
                    image_ids=(sample,) if data else (),
                    image_paths=(f"images/{sample}.png",) if data else (),
                    source="phantoms",
                    meta={"split": row.get("split")},
                )
