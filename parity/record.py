"""The file both halves share: upstream outputs (``upstream.npz``) and what produced them (``upstream.json``)."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np


def save_upstream(folder: Path, package: str, arrays: dict[str, np.ndarray], **meta: object) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "upstream.npz", **{k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()})
    info = {"package": f"{package}=={version(package)}", **meta}
    (folder / "upstream.json").write_text(json.dumps(info, indent=1))


def load_upstream(folder: Path) -> tuple[dict[str, np.ndarray], dict]:
    with np.load(folder / "upstream.npz") as data:
        arrays = {k: data[k] for k in data.files}
    return arrays, json.loads((folder / "upstream.json").read_text())
