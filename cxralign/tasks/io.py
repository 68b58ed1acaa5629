"""Reading and writing result files: ``RESULTS/<model-slug>/<task>/<dataset>/<split>.json``.

The per-item scores Parquet is written first and hashed; the JSON, which carries
that hash, is renamed into place last, so a reader that finds a JSON always
finds the matching scores beside it.
"""

from __future__ import annotations

import contextlib
import io
import json
import platform
import re
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from cxralign import __version__
from cxralign.errors import InputError
from cxralign.tasks.results import TaskResult, ToolkitInfo
from cxralign.utils.atomic import atomic_write_bytes, atomic_write_text
from cxralign.utils.hashing import sha256_bytes, sha256_file

SCORES_SUFFIX = ".scores.parquet"


def slugify(text: str) -> str:
    """A file-system safe name: ``open_clip:ViT-B-32/laion2b`` -> ``open_clip-vit-b-32-laion2b``."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.")
    return slug or "unnamed"


def result_path(results_dir: str | Path, model_spec: str, task: str, dataset: str, split: str) -> Path:
    """Where the result JSON for one (model, task, dataset, split) lives."""
    return (
        Path(results_dir) / slugify(model_spec) / slugify(task) / slugify(dataset) / f"{slugify(split)}.json"
    )


def scores_to_parquet_bytes(scores: pd.DataFrame) -> bytes:
    """Deterministic Parquet bytes (no index, fixed compression)."""
    buffer = io.BytesIO()
    scores.reset_index(drop=True).to_parquet(buffer, index=False, engine="pyarrow", compression="zstd")
    return buffer.getvalue()


def write_result(path: str | Path, result: TaskResult, scores: pd.DataFrame) -> TaskResult:
    """Write ``<split>.scores.parquet`` then ``<split>.json`` atomically; returns the stored result.

    ``scores_file`` and ``scores_sha256`` are filled in here, from the bytes written.
    """
    json_path = Path(path)
    scores_name = json_path.name[: -len(".json")] + SCORES_SUFFIX if json_path.suffix == ".json" else None
    if scores_name is None:
        raise InputError(f"result path {json_path} must end in .json")
    data = scores_to_parquet_bytes(scores)
    atomic_write_bytes(json_path.with_name(scores_name), data)
    stored = result.model_copy(update={"scores_file": scores_name, "scores_sha256": sha256_bytes(data)})
    atomic_write_text(json_path, stored.model_dump_json(indent=2) + "\n")
    return stored


def read_result(path: str | Path) -> TaskResult:
    """Load and validate a result JSON, with a one-line error for a broken file."""
    json_path = Path(path)
    try:
        return TaskResult.model_validate_json(json_path.read_bytes())
    except FileNotFoundError:
        raise InputError(f"result file {json_path} does not exist") from None
    except (ValidationError, json.JSONDecodeError, UnicodeDecodeError) as error:
        first = str(error).splitlines()[0]
        raise InputError(f"{json_path} is not a valid cxralign result: {first}") from None


def read_scores(path: str | Path, result: TaskResult | None = None, verify: bool = True) -> pd.DataFrame:
    """The per-item scores beside a result JSON, checked against ``scores_sha256``."""
    json_path = Path(path)
    result = result or read_result(json_path)
    scores_path = json_path.with_name(result.scores_file)
    if not scores_path.exists():
        raise InputError(f"scores file {scores_path} named by {json_path} does not exist")
    if verify and sha256_file(scores_path) != result.scores_sha256:
        raise InputError(f"scores file {scores_path} does not match the sha256 recorded in {json_path}")
    return pd.read_parquet(scores_path)


def find_results(root: str | Path) -> list[Path]:
    """Every result JSON below ``root`` (a single JSON file is returned as is)."""
    base = Path(root)
    if base.is_file():
        return [base]
    if not base.is_dir():
        raise InputError(f"results path {base} does not exist")
    return sorted(p for p in base.rglob("*.json") if not p.name.startswith("."))


def toolkit_info() -> ToolkitInfo:
    """cxralign version and, when run from a git checkout, its revision (``+dirty`` when modified)."""
    root = Path(__file__).resolve().parents[2]
    revision = None
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        revision = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    return ToolkitInfo(version=__version__, git_revision=revision or None)


def environment_info(device: str = "cpu") -> dict[str, str]:
    """The software and hardware a result was produced on."""
    import numpy
    import torch

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "pandas": pd.__version__,
        "scikit-learn": metadata.version("scikit-learn"),  # importing sklearn costs a second of start-up
        "torch": torch.__version__,
        "device": device,
    }
    for package in ("open_clip_torch", "transformers"):  # versions without importing them (seconds each)
        with contextlib.suppress(metadata.PackageNotFoundError):
            info[package] = metadata.version(package)
    return info


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def config_fingerprint(config: dict[str, Any]) -> str:
    """The key ``--resume`` compares: the full config, canonically hashed."""
    from cxralign.utils.hashing import sha256_json

    return sha256_json(config)
