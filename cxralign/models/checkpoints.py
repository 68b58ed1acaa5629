"""Safe checkpoint reading and key matching, shared by every adapter.

Pickles are only ever read with ``torch.load(weights_only=True)``; one that names
other classes (an OmegaConf config, a pickled module) is refused unless the user
passes ``trust_checkpoint``, and even then those classes are replaced by inert
placeholders (:func:`_inert_class`), so no code from the file runs; torch's own
blocklist (``os``, ``subprocess``, ...) still refuses the file. A state dict whose keys or shapes do not fit the
architecture is an error naming a few of the offending keys, never a partially
loaded model.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from cxralign.models.errors import CheckpointError, HubUnavailableError, UntrustedCheckpointError

T = TypeVar("T")


def read_checkpoint(path: str | os.PathLike[str], *, trust_checkpoint: bool = False) -> Any:
    """Load a ``.safetensors`` file or a torch pickle without executing foreign code."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise CheckpointError(f"checkpoint not found: {file}")
    if file.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return load_file(str(file), device="cpu")
        except Exception as error:
            raise CheckpointError(f"cannot read safetensors checkpoint {file}: {error}") from error
    try:
        return torch.load(file, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if not trust_checkpoint:
            detail = str(error).splitlines()[0] if "GLOBAL" not in str(error) else _global_name(str(error))
            raise UntrustedCheckpointError(
                f"checkpoint {file} contains pickled objects beyond tensors ({detail}); "
                "pass --trust-checkpoint (trust_checkpoint=True) to read its tensors with those objects "
                "replaced by inert placeholders"
            ) from error
    except (RuntimeError, EOFError, OSError, ValueError) as error:
        raise CheckpointError(f"cannot read checkpoint {file}: {str(error).splitlines()[0]}") from error
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(str(file))
        with torch.serialization.safe_globals([(_inert_class(name), name) for name in names]):
            return torch.load(file, map_location="cpu", weights_only=True)
    except Exception as error:
        text = str(error)
        detail = _global_name(text) if "GLOBAL" in text else (text.splitlines() or [type(error).__name__])[0]
        raise CheckpointError(f"cannot read checkpoint {file}: refused ({detail})") from None


def _inert_class(qualified_name: str) -> type:
    """A stand-in for a pickled class or function: calling it records the arguments and runs nothing."""
    module, _, name = qualified_name.rpartition(".")

    class Inert:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.args, self.kwargs = args, kwargs

        def __setstate__(self, state: Any) -> None:
            self.state = state

    Inert.__name__ = Inert.__qualname__ = name
    Inert.__module__ = module
    return Inert


def _global_name(message: str) -> str:
    for line in message.splitlines():
        if "GLOBAL" in line:
            return line.strip().rstrip(".")
    return "unsupported global"


def unwrap_state_dict(
    obj: Any, keys: Iterable[str] = ("state_dict", "model", "module")
) -> dict[str, torch.Tensor]:
    """Find the tensor mapping inside a training checkpoint (``{"state_dict": ...}`` and friends)."""
    current = obj
    for _ in range(3):
        if (
            isinstance(current, Mapping)
            and current
            and all(isinstance(v, torch.Tensor) for v in current.values())
        ):
            return dict(current)
        if not isinstance(current, Mapping):
            break
        nested = next((current[k] for k in keys if k in current and isinstance(current[k], Mapping)), None)
        if nested is None:
            break
        current = nested
    raise CheckpointError("checkpoint holds no state dict (a mapping of parameter names to tensors)")


def strip_prefix(state_dict: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """Keys under ``prefix`` with the prefix removed (others dropped)."""
    return {k[len(prefix) :]: v for k, v in state_dict.items() if k.startswith(prefix)}


def load_exact(
    module: nn.Module, state_dict: Mapping[str, torch.Tensor], source: str, *, ignore: Iterable[str] = ()
) -> None:
    """Load ``state_dict`` into ``module``; any missing, unexpected or mis-shaped key is an error.

    ``ignore`` lists key substrings that may be missing or extra (buffers such as
    BERT's ``position_ids`` that some library versions save and others do not).
    """
    skip = tuple(ignore)
    expected = module.state_dict()

    def relevant(key: str) -> bool:
        return not any(s in key for s in skip)

    missing = sorted(k for k in expected if k not in state_dict and relevant(k))
    unexpected = sorted(k for k in state_dict if k not in expected and relevant(k))
    mismatched = sorted(
        f"{k} {tuple(state_dict[k].shape)} vs {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state_dict and tuple(state_dict[k].shape) != tuple(v.shape)
    )
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing key(s) (e.g. {', '.join(missing[:3])})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected key(s) (e.g. {', '.join(unexpected[:3])})")
    if mismatched:
        problems.append(f"{len(mismatched)} shape mismatch(es) (e.g. {'; '.join(mismatched[:2])})")
    if problems:
        raise CheckpointError(f"checkpoint {source} does not match the architecture: {'; '.join(problems)}")
    module.load_state_dict({k: v for k, v in state_dict.items() if k in expected}, strict=False)


def is_local_path(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~")) or Path(name).expanduser().exists()


def hub_call(name: str, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a Hugging Face / open_clip loading call; turn hub and cache failures into one line."""
    if name.startswith(("/", "./", "../", "~")) and not Path(name).expanduser().exists():
        raise CheckpointError(f"no such folder: {name} (a hub id does not start with / . or ~)")
    try:
        return func(*args, **kwargs)
    except (HubUnavailableError, CheckpointError):
        raise
    except Exception as error:
        module = type(error).__module__
        text = str(error)
        hubby = module.startswith(("huggingface_hub", "requests", "urllib3", "httpx")) or any(
            marker in text
            for marker in (
                "couldn't connect",
                "offline",
                "Offline",
                "not a valid model identifier",
                "HF_HUB_OFFLINE",
                "outgoing traffic",
                "disk cache",
                "Failed to download",
                "Failed initial config",
            )
        )
        if is_local_path(name):
            first = text.splitlines()[0] if text else type(error).__name__
            raise CheckpointError(f"cannot load {name}: {first}") from error
        if hubby:
            raise HubUnavailableError(
                f"{name} is not in the local Hugging Face cache and the hub cannot be reached "
                "(weights are never downloaded here); download it on a connected machine "
                "(`huggingface-cli download ...`) or pass a local path"
            ) from error
        raise
