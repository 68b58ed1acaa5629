"""Checkpoints written atomically: a directory appears complete or not at all.

``OUT/checkpoints/step-000120/`` holds the exported model (``model/``, loadable by
``reference:``) and ``state.pt`` (optimizer, scheduler, scaler, auxiliary heads,
data position, every rank's RNG state). ``OUT/checkpoints/latest.json`` is
replaced atomically after the directory exists, so an interrupted write never
leaves a pointer to a half-written checkpoint.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch

from cxralign.errors import InputError
from cxralign.train.model import ReferenceModel
from cxralign.utils.atomic import atomic_directory, atomic_write_text

LATEST = "latest.json"
STATE_FILE = "state.pt"


def checkpoint_name(step: int) -> str:
    return f"step-{step:06d}"


def save_checkpoint(
    root: Path, step: int, model: ReferenceModel, state: dict[str, Any], *, keep: int, extra: dict[str, Any]
) -> Path:
    """Write ``root/step-N`` atomically, point ``latest.json`` at it, prune to the newest ``keep``."""
    target = root / checkpoint_name(step)
    with atomic_directory(target, overwrite=True) as tmp:
        model.save_pretrained(tmp / "model", extra=extra)
        torch.save(state, tmp / STATE_FILE)
    atomic_write_text(root / LATEST, json.dumps({"step": step, "path": target.name}))
    existing = sorted(p for p in root.glob("step-*") if p.is_dir() and p.name != target.name)
    for old in existing[: max(0, len(existing) - (keep - 1))]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def latest_checkpoint(root: Path) -> Path | None:
    pointer = root / LATEST
    if not pointer.is_file():
        return None
    try:
        name = json.loads(pointer.read_text())["path"]
    except (ValueError, KeyError) as error:
        raise InputError(f"{pointer} is corrupt ({error}); remove it to resume from scratch") from error
    path = root / name
    if not (path / STATE_FILE).is_file():
        raise InputError(f"{pointer} points at {path}, which is incomplete")
    return path


def load_state(path: Path) -> dict[str, Any]:
    try:
        return torch.load(path / STATE_FILE, map_location="cpu", weights_only=False)
    except (OSError, RuntimeError, EOFError) as error:
        raise InputError(f"cannot read checkpoint state {path / STATE_FILE}: {error}") from error
