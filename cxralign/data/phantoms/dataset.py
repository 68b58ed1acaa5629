"""Phantom datasets on disk: Parquet splits with PNG images, a dataset card and a manifest.

Layout (``datasets.load_dataset(OUT)`` and ``load_dataset("parquet", ...)`` both open it)::

    OUT/README.md                 dataset card; YAML ``configs`` name the split files
    OUT/manifest.json             generator version, options, counts, sha256 of every data file
    OUT/data/{train,validation,test}.parquet

Output is byte-for-byte reproducible: PNGs use fixed compression settings and no
metadata chunks, Parquet files are written with fixed row groups, compression and
no timestamps, and the manifest records no wall-clock time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import multiprocessing
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cxralign import __version__
from cxralign.data.phantoms.banks import get_banks
from cxralign.data.phantoms.generator import SPLITS, PhantomSample, plan_patients, render_patient
from cxralign.data.phantoms.png import encode_gray_png
from cxralign.data.phantoms.spec import (
    CHEXPERT_OF,
    FINDINGS,
    GENERATOR_VERSION,
    PhantomOptions,
    resolve_options,
)
from cxralign.errors import ConfigError, InputError
from cxralign.utils.atomic import atomic_directory, atomic_write_text, check_output_dir
from cxralign.utils.hashing import sha256_file
from cxralign.utils.progress import make_progress
from cxralign.vocab import CHEXPERT_14

ROW_GROUP = 256
PNG_COMPRESS_LEVEL = 1  # zlib level 1: see benchmarks/bench_phantoms_speed.py --png-levels
PATIENTS_PER_TASK = 16  # a worker's unit of work; results come back in patient order
DEFAULT_WORKERS = 2

_FEATURES: dict[str, Any] = {
    "sample_id": {"dtype": "string", "_type": "Value"},
    "patient_id": {"dtype": "string", "_type": "Value"},
    "split": {"dtype": "string", "_type": "Value"},
    "image": {"_type": "Image"},
    "report": {"dtype": "string", "_type": "Value"},
    "findings": {"dtype": "string", "_type": "Value"},
    **{name: {"dtype": "float64", "_type": "Value"} for name in CHEXPERT_14},
}

SCHEMA = pa.schema(
    [
        ("sample_id", pa.string()),
        ("patient_id", pa.string()),
        ("split", pa.string()),
        ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
        ("report", pa.string()),
        ("findings", pa.string()),
        *[(name, pa.float64()) for name in CHEXPERT_14],
    ],
    metadata={b"huggingface": json.dumps({"info": {"features": _FEATURES}}, sort_keys=True).encode()},
)


def encode_png(image: np.ndarray) -> bytes:
    """8-bit grayscale PNG with fixed settings and no metadata (deterministic bytes).

    The bytes are Pillow's; :mod:`.png` writes them about twice as fast (Pillow covers the rest).
    """
    if image.ndim == 2 and image.dtype == np.uint8:
        encoded = encode_gray_png(image, PNG_COMPRESS_LEVEL)
        if encoded is not None:
            return encoded
    from PIL import Image  # only for what :mod:`.png` leaves to Pillow (not the phantom writer's images)

    buffer = io.BytesIO()
    Image.fromarray(image, mode="L").save(
        buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL, optimize=False
    )
    return buffer.getvalue()


def _row(sample: PhantomSample) -> dict[str, Any]:
    return {
        "sample_id": sample.sample_id,
        "patient_id": sample.patient_id,
        "split": sample.split,
        "image": {"bytes": encode_png(sample.image), "path": f"{sample.sample_id}.png"},
        "report": sample.report,
        "findings": json.dumps(sample.findings_json(), sort_keys=True, separators=(",", ":")),
        **{name: sample.labels[name] for name in CHEXPERT_14},
    }


def _bytes_array(values: Sequence[bytes], kind: pa.DataType) -> pa.Array:
    offsets = np.zeros(len(values) + 1, np.int32)
    np.cumsum([len(value) for value in values], out=offsets[1:])
    return pa.Array.from_buffers(
        kind, len(values), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(values))]
    )


def _column(values: list[Any], kind: pa.DataType) -> pa.Array:
    if kind == pa.string():
        return _bytes_array([value.encode() for value in values], kind)
    if kind == pa.binary():
        return _bytes_array(values, kind)
    if kind == pa.float64():
        valid = np.array([value is not None for value in values])
        data = np.array([0.0 if value is None else value for value in values], np.float64)
        bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
        return pa.Array.from_buffers(kind, len(values), [bitmap, pa.py_buffer(data)])
    if isinstance(kind, pa.StructType):
        fields = [kind.field(i) for i in range(kind.num_fields)]
        children = [_column([value[f.name] for value in values], f.type) for f in fields]
        return pa.StructArray.from_arrays(children, fields=fields)
    raise TypeError(f"no column builder for {kind}")


def record_batch(rows: Sequence[Mapping[str, Any]]) -> pa.RecordBatch:
    """Rows -> a batch of :data:`SCHEMA`, the arrays made from buffers.

    The same arrays as ``pa.Table.from_pylist(rows, schema=SCHEMA)`` (the Parquet bytes
    are identical), without the pandas import that pyarrow's Python-list conversion
    makes (about 0.2 s of CPU, a tenth of a millisecond per image of a 2,000-study run).
    """
    return pa.RecordBatch.from_arrays(
        [_column([row[f.name] for row in rows], f.type) for f in SCHEMA], schema=SCHEMA
    )


class _SplitWriter:
    """Buffers rows of one split and writes them in fixed-size row groups."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[dict[str, Any]] = []
        self.writer = pq.ParquetWriter(
            path, SCHEMA, compression="zstd", compression_level=3, use_dictionary=False, write_statistics=True
        )

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= ROW_GROUP:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_batch(record_batch(self.rows), row_group_size=ROW_GROUP)
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


def _card(manifest: dict[str, Any]) -> str:
    counts = manifest["counts"]
    options = manifest["options"]
    split_lines = "\n".join(f"  - split: {split}\n    path: data/{split}.parquet" for split in SPLITS)
    finding_rows = "\n".join(
        f"| {name} | " + " | ".join(str(counts["findings"][split][name]) for split in SPLITS) + " |"
        for name in FINDINGS
    )
    return f"""---
configs:
- config_name: default
  data_files:
{split_lines}
license: cc0-1.0
task_categories:
- image-to-text
- zero-shot-image-classification
tags:
- chest-x-ray
- synthetic
- cxralign
pretty_name: cxralign phantom chest radiographs
---

# cxralign phantom chest radiographs

Procedurally generated chest-radiograph-like images with matching free-text reports and known
ground truth, made by `cxralign data phantoms` (generator {manifest["generator_version"]}).
They are **not** real patient data and carry no clinical meaning; they exist so that tests,
demos, training and evaluation can run offline with image-report pairs whose truth is known.

- seed {options["seed"]}, {options["size"]}x{options["size"]} pixels, difficulty `{options["difficulty"]}`
- splits are patient-disjoint: {counts["samples"]["train"]} train / {counts["samples"]["validation"]} validation / {counts["samples"]["test"]} test studies

Columns: `sample_id`, `patient_id`, `split`, `image` (PNG), `report`, `findings` (JSON list of
ground-truth findings with laterality, severity, location), and one column per CheXpert-14
observation with the label the report gives (1 positive, 0 negated, -1 uncertain, null not mentioned).

| finding | {" | ".join(SPLITS)} |
|---|{"---|" * len(SPLITS)}
{finding_rows}

```python
from datasets import load_dataset
ds = load_dataset("parquet", data_files={{"train": "data/train.parquet"}})["train"]
```
"""


def _encoded_patients(
    options: PhantomOptions, chunk: Sequence[tuple[int, int]]
) -> list[tuple[dict, PhantomSample]]:
    """Draw and PNG-encode some patients' studies: (Parquet row, sample without its pixels) each."""
    return [
        (_row(sample), dataclasses.replace(sample, image=None))
        for patient, studies in chunk
        for sample in render_patient(options, patient, studies)
    ]


def _encoded_studies(
    options: PhantomOptions, chunks: list[list[tuple[int, int]]], pool: Any
) -> Iterator[tuple[dict, PhantomSample]]:
    """Rows in study order, drawn by the pool's processes if there is one (same bytes either way)."""
    if pool is None:
        for chunk in chunks:
            yield from _encoded_patients(options, chunk)
        return
    for rows in pool.imap(_EncodeChunk(options), chunks):
        yield from rows


def _pool(workers: int, tasks: int) -> Any:
    """A process pool (fork where the OS has it), or a null context when one process will do."""
    if workers <= 1 or tasks <= 1:
        return contextlib.nullcontext()
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return context.Pool(min(workers, tasks))


class _EncodeChunk:
    """Picklable ``_encoded_patients`` bound to the options (for ``Pool.imap``)."""

    def __init__(self, options: PhantomOptions) -> None:
        self.options = options

    def __call__(self, chunk: Sequence[tuple[int, int]]) -> list[tuple[dict, PhantomSample]]:
        return _encoded_patients(self.options, chunk)


def write_phantom_dataset(
    out: str | os.PathLike[str],
    n: int,
    *,
    seed: int = 0,
    size: int = 224,
    difficulty: str = "standard",
    prevalence: str | Mapping[str, float] | float | None = None,
    overwrite: bool = False,
    workers: int = DEFAULT_WORKERS,
) -> dict[str, Any]:
    """Generate ``n`` studies and write them as a dataset at ``out``; return the manifest.

    Every option and the output directory are checked before any image is drawn; the
    directory appears only when complete (an interrupted run leaves nothing behind).
    ``workers`` processes draw and encode; the bytes written do not depend on their number.
    """
    options = resolve_options(n=n, seed=seed, size=size, difficulty=difficulty, prevalence=prevalence)
    if n < 1:
        raise ConfigError(f"a phantom dataset needs at least one study (--n 1 or more), got {n}")
    check_output_dir(out, overwrite)
    counts = {
        "samples": {split: 0 for split in SPLITS},
        "patients": {split: 0 for split in SPLITS},
        "findings": {split: {name: 0 for name in FINDINGS} for split in SPLITS},
        "labels": {
            split: {name: {"1": 0, "0": 0, "-1": 0, "blank": 0} for name in CHEXPERT_14} for split in SPLITS
        },
    }
    patients: dict[str, set[str]] = {split: set() for split in SPLITS}
    with atomic_directory(out, overwrite=overwrite) as tmp:
        (tmp / "data").mkdir()
        writers = {split: _SplitWriter(tmp / "data" / f"{split}.parquet") for split in SPLITS}
        get_banks(options.size)  # built once here, before the pool forks, not once per worker
        plan = plan_patients(options.seed, n)
        chunks = [plan[i : i + PATIENTS_PER_TASK] for i in range(0, len(plan), PATIENTS_PER_TASK)]
        try:  # the pool forks before the progress bar starts its thread
            with _pool(workers, len(chunks)) as pool, make_progress() as progress:
                studies = _encoded_studies(options, chunks, pool)
                task = progress.add_task("phantoms", total=n)
                for row, sample in studies:
                    writers[sample.split].add(row)
                    _count(counts, patients, sample)
                    progress.advance(task)
        finally:
            for writer in writers.values():
                writer.close()
        for split in SPLITS:
            counts["patients"][split] = len(patients[split])
        manifest = {
            "format": "cxralign-phantoms",
            "generator_version": GENERATOR_VERSION,
            "cxralign_version": __version__,
            "n": n,
            "options": options.as_dict(),
            "label_of_finding": CHEXPERT_OF,
            "counts": counts,
            "files": {
                f"data/{split}.parquet": sha256_file(tmp / "data" / f"{split}.parquet") for split in SPLITS
            },
        }
        atomic_write_text(tmp / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        atomic_write_text(tmp / "README.md", _card(manifest))
    return manifest


def _count(counts: dict[str, Any], patients: dict[str, set[str]], sample: PhantomSample) -> None:
    split = sample.split
    counts["samples"][split] += 1
    patients[split].add(sample.patient_id)
    for name in {finding.name for finding in sample.findings}:
        counts["findings"][split][name] += 1
    for name, value in sample.labels.items():
        key = "blank" if value is None else str(int(value))
        counts["labels"][split][name][key] += 1


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(directory) / "manifest.json"
    if not path.is_file():
        raise InputError(
            f"{directory} is not a phantom dataset (no manifest.json); create one with `cxralign data phantoms`"
        )
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise InputError(f"{path} is not valid JSON: {error}") from None


def load_phantoms(directory: str | os.PathLike[str], split: str = "train"):
    """One split of a phantom dataset as a ``datasets.Dataset`` (images decode to PIL)."""
    import datasets
    from datasets.table import InMemoryTable

    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    read_manifest(directory)
    path = Path(directory) / "data" / f"{split}.parquet"
    if not path.is_file():
        raise InputError(f"{path} is missing; the phantom dataset at {directory} is incomplete")
    table = pq.read_table(path)
    return datasets.Dataset(InMemoryTable(table), split=datasets.NamedSplit(split))
