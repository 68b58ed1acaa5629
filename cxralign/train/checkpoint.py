"""Checkpoints written atomically: a directory appears complete or not at all.

``OUT/checkpoints/step-000120/`` holds the exported model (``model/``, loadable by
``reference:``) and the training state (optimizer, scheduler, scaler, auxiliary
heads, data position, every rank's RNG state) as ``state.safetensors`` (every
tensor) plus ``state.json`` (everything else, tensors replaced by their keys), so
resuming never unpickles anything. ``OUT/checkpoints/latest.json`` is
replaced atomically after the directory exists, so an interrupted write never
leaves a pointer to a half-written checkpoint.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cxralign.errors import InputError
from cxralign.train.model import ReferenceModel
from cxralign.utils.atomic import atomic_directory, atomic_write_text

LATEST = "latest.json"
STATE_TENSORS = "state.safetensors"
STATE_FILE = "state.json"
LEGACY_STATE = "state.pt"


def checkpoint_name(step: int) -> str:
    return f"step-{step:06d}"


def save_checkpoint(
    root: Path, step: int, model: ReferenceModel, state: dict[str, Any], *, keep: int, extra: dict[str, Any]
) -> Path:
    """Write ``root/step-N`` atomically, point ``latest.json`` at it, prune to the newest ``keep``."""
    target = root / checkpoint_name(step)
    with atomic_directory(target, overwrite=True) as tmp:
        model.save_pretrained(tmp / "model", extra=extra)
        save_state(tmp, state)
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
    path = root / str(name)
    if (path / LEGACY_STATE).is_file() and not (path / STATE_FILE).is_file():
        raise InputError(
            f"{path / LEGACY_STATE} is a pickle from an older cxralign and is never loaded (it could run code); "
            f"start the run again in a new --out, or remove {root} to restart here"
        )
    if not (path / STATE_FILE).is_file() or not (path / STATE_TENSORS).is_file():
        raise InputError(f"{pointer} points at {path}, which is incomplete")
    return path


def save_state(folder: Path, state: dict[str, Any]) -> None:
    """Write ``state`` as ``state.safetensors`` + ``state.json`` (no pickle)."""
    from safetensors.torch import save_file

    tensors: dict[str, torch.Tensor] = {}
    skeleton = _encode(state, tensors)
    save_file(tensors, str(folder / STATE_TENSORS))
    (folder / STATE_FILE).write_text(json.dumps(skeleton))


def load_state(path: Path) -> dict[str, Any]:
    """Read what :func:`save_state` wrote in checkpoint directory ``path``."""
    from safetensors.torch import load_file

    try:
        tensors = load_file(str(path / STATE_TENSORS), device="cpu")
        skeleton = json.loads((path / STATE_FILE).read_text())
        return _decode(skeleton, tensors)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"cannot read checkpoint state in {path}: {reason}") from error
    except Exception as error:  # safetensors raises its own SafetensorError
        raise InputError(f"cannot read checkpoint state in {path}: {error}") from error


# JSON has no tensors, arrays, tuples or non-string keys; these one-key objects stand in for them.
_TENSOR, _ARRAY, _TUPLE, _PAIRS = "__tensor__", "__ndarray__", "__tuple__", "__pairs__"


def _encode(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(value, torch.Tensor):
        key = str(len(tensors))
        tensors[key] = value.detach().to("cpu").contiguous().clone()
        return {_TENSOR: key}
    if isinstance(value, np.ndarray):
        return {_ARRAY: value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return {_TUPLE: [_encode(v, tensors) for v in value]}
    if isinstance(value, list):
        return [_encode(v, tensors) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _encode(v, tensors) for k, v in value.items()}
        return {_PAIRS: [[_encode(k, tensors), _encode(v, tensors)] for k, v in value.items()]}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"training state holds a {type(value).__name__}, which has no safe encoding")


def _decode(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if not isinstance(value, dict):
        return value
    if _TENSOR in value:
        return tensors[value[_TENSOR]]
    if _ARRAY in value:
        return np.asarray(value[_ARRAY], dtype=value["dtype"])
    if _TUPLE in value:
        return tuple(_decode(v, tensors) for v in value[_TUPLE])
    if _PAIRS in value:
        return {_decode(k, tensors): _decode(v, tensors) for k, v in value[_PAIRS]}
    return {k: _decode(v, tensors) for k, v in value.items()}
