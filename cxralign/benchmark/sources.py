"""Report sources a build can read: the corpus readers plus phantom datasets (with images)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from cxralign.errors import ConfigError, InputError
from cxralign.utils.hashing import sha256_file

BUILD_SOURCES: tuple[str, ...] = ("mimic", "chexpert-plus", "openi", "csv", "jsonl", "phantoms")
CREDENTIALED: frozenset[str] = frozenset({"mimic", "chexpert-plus"})
ACCESS = {
    "mimic": "credentialed",
    "chexpert-plus": "credentialed",
    "openi": "open (CC BY-NC-ND 4.0)",
    "phantoms": "open (synthetic)",
    "csv": "as the source",
    "jsonl": "as the source",
}
_REPORT_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".zip", ".tgz", ".tar.gz", ".json", ".gz", ".parquet")


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

    def __iter__(self) -> Iterator:
        import pyarrow.parquet as pq

        from cxralign.data.corpora import ReportRecord

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


def open_source(
    source: str,
    root: str | os.PathLike[str] | None,
    *,
    images_root: str | os.PathLike[str] | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
):
    """A reader for ``source``: iterable of ReportRecord with ``len()`` and ``skipped``."""
    if source not in BUILD_SOURCES:
        raise ConfigError(f"unknown source {source!r}; choose one of {', '.join(BUILD_SOURCES)}")
    if source == "phantoms":
        if root is None:
            raise ConfigError("--source phantoms needs --root DIR (a phantom dataset)")
        return PhantomReader(root)
    from cxralign.data.corpora import read_corpus

    return read_corpus(source, root, text_column=text_column, id_column=id_column, images_root=images_root)


def input_files(source: str, root: str | os.PathLike[str] | None) -> list[Path]:
    """The report files a build reads (images excluded: hashing a whole MIMIC-CXR-JPG tree is not useful)."""
    if root is None and source == "openi":
        from cxralign.data.corpora import find_openi_archive

        return [Path(find_openi_archive())]
    if root is None:
        return []
    path = Path(root)
    if path.is_file():
        return [path]
    if source == "phantoms":
        return sorted((path / "data").glob("*.parquet"))
    return sorted(p for p in path.iterdir() if p.is_file() and p.name.lower().endswith(_REPORT_SUFFIXES))


def hash_inputs(source: str, root: str | os.PathLike[str] | None) -> list[dict[str, str]]:
    return [{"name": p.name, "sha256": sha256_file(p)} for p in input_files(source, root)]
