"""The embedding engine: batched, cached, fault-tolerant, optionally sharded.

Images are decoded and transformed inside DataLoader workers; the main process
only runs forward passes, so the engine adds little over a bare loop. An image
that cannot be read is reported by id and skipped (or raises with ``strict``),
never replaced. On out-of-memory the batch size halves (reported once). Under
``torchrun`` each rank embeds a strided shard and every rank receives the
gathered result in the original order; the cache is written by rank 0 only.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from cxralign.data.images import load_image
from cxralign.errors import ConfigError, InputError
from cxralign.models.base import ImageTextModel
from cxralign.models.cache import CachedEmbeddings, EmbeddingCache
from cxralign.utils.hashing import sha256_json
from cxralign.utils.progress import console, make_progress

ImageItem = str | os.PathLike[str] | bytes | Image.Image | torch.Tensor


@dataclass
class EmbeddingResult(CachedEmbeddings):
    """Embeddings for the items that succeeded, in input order, plus what failed and why."""

    from_cache: bool = False

    def __len__(self) -> int:
        return len(self.ids)

    def as_dict(self) -> dict[str, np.ndarray]:
        return {item_id: self.embeddings[row] for row, item_id in enumerate(self.ids)}


# -- item hashing (when the caller gives no dataset hash) --------------------------------------
def _item_digest(item: Any) -> str:
    if isinstance(item, str | os.PathLike):
        return file_digest(item)
    if isinstance(item, bytes):
        return hashlib.sha256(item).hexdigest()
    if isinstance(item, Image.Image):
        return hashlib.sha256(f"{item.mode}{item.size}".encode() + item.tobytes()).hexdigest()
    if isinstance(item, torch.Tensor):
        data = item.detach().cpu().contiguous()
        return hashlib.sha256(
            str(tuple(data.shape)).encode() + data.reshape(-1).view(torch.uint8).numpy().tobytes()
        ).hexdigest()
    if isinstance(item, str):
        return item
    raise InputError(f"cannot embed an item of type {type(item).__name__}")


def file_digest(path: str | os.PathLike[str]) -> str:
    """blake2b of the file's bytes, streamed: a file rewritten in place (same size and mtime) gets a new key."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "blake2b").hexdigest()
    except OSError:
        return f"{os.fspath(path)}|missing"


def content_hash(items: Sequence[Any]) -> str:
    """A hash of the items themselves (the bytes of each file, for paths); part of every image cache key."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(_item_digest(item).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _preprocessing_description(model: ImageTextModel) -> Any:
    transform = model.image_transform()
    describe = getattr(transform, "describe", None)
    return describe() if callable(describe) else repr(transform)


# -- distributed helpers ---------------------------------------------------------------------------
def _world() -> tuple[int, int]:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _broadcast(value: Any) -> Any:
    import torch.distributed as dist

    holder = [value]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def _gather(value: Any, world_size: int) -> list[Any]:
    import torch.distributed as dist

    gathered: list[Any] = [None] * world_size
    dist.all_gather_object(gathered, value)
    return gathered


# -- image dataset -------------------------------------------------------------------------------
class _ImageItems(Dataset):
    """Decodes and transforms one item; failures come back as a reason, not an exception."""

    def __init__(self, items: Sequence[ImageItem], positions: Sequence[int], transform: Callable) -> None:
        self.items = items
        self.positions = list(positions)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, index: int) -> tuple[int, torch.Tensor | None, str | None]:
        position = self.positions[index]
        item = self.items[position]
        if isinstance(item, torch.Tensor):
            return position, item, None
        try:
            return position, self.transform(load_image(item)), None
        except InputError as error:
            return position, None, str(error)
        except Exception as error:  # a transform that chokes on a strange image
            return position, None, f"{type(error).__name__}: {error}"


def _collate(
    batch: list[tuple[int, torch.Tensor | None, str | None]],
) -> tuple[list[int], torch.Tensor | None, list[tuple[int, str]]]:
    good = [(p, t) for p, t, _ in batch if t is not None]
    failed = [(p, r) for p, t, r in batch if t is None]
    pixels = torch.stack([t for _, t in good]) if good else None
    return [p for p, _ in good], pixels, failed


def _is_oom(error: BaseException) -> bool:
    if isinstance(error, torch.OutOfMemoryError):
        return True
    return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()


class _BatchRunner:
    """Runs a batch function in chunks, halving the chunk size on out-of-memory."""

    def __init__(self, batch_size: int, what: str) -> None:
        self.batch_size = batch_size
        self.what = what
        self.reported = False

    def __call__(self, func: Callable[[Any], np.ndarray], batch: Any, length: int) -> np.ndarray:
        outputs = []
        start = 0
        while start < length:
            size = min(self.batch_size, length - start)
            try:
                outputs.append(func(batch[start : start + size]))
            except Exception as error:
                if not _is_oom(error) or self.batch_size == 1:
                    raise
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
                self.batch_size = max(1, size // 2)
                if not self.reported:
                    console.print(
                        f"[yellow]out of memory embedding {self.what}; batch size reduced to {self.batch_size}[/]"
                    )
                    self.reported = True
                continue
            start += size
        return outputs[0] if len(outputs) == 1 else np.concatenate(outputs, axis=0)


def _check_ids(ids: Sequence[str] | None, count: int) -> list[str]:
    if ids is None:
        return [str(i) for i in range(count)]
    out = [str(i) for i in ids]
    if len(out) != count:
        raise InputError(f"got {count} items but {len(out)} ids")
    if len(set(out)) != len(out):
        raise InputError("item ids must be unique")
    return out


def _move_model(model: ImageTextModel, device: str | None) -> None:
    if device is None:
        return
    from cxralign.models.adapter import resolve_device

    wanted = resolve_device(device)
    if wanted == model.device:
        return
    mover = getattr(model, "to_device", None)
    if mover is None:
        raise ConfigError(f"model {model.spec} is on {model.device} and cannot be moved to {wanted}")
    mover(wanted)


@dataclass
class _Call:
    """One embedding call's frame, shared by images and texts: this process's rank and the cache
    slot its result fills (written by rank 0 only)."""

    model: ImageTextModel
    kind: str
    split: str | None
    cache: EmbeddingCache | None
    key: str | None
    rank: int
    world_size: int

    def store(self, result: EmbeddingResult, **stored: Any) -> EmbeddingResult:
        if self.cache is not None and self.key is not None and self.rank == 0:
            self.cache.put(
                self.key,
                ids=result.ids,
                embeddings=result.embeddings,
                **stored,
                info={"model": self.model.spec, "kind": self.kind, "split": self.split},
            )
        return result


def _open_call(
    model: ImageTextModel,
    kind: str,
    batch_size: int,
    ids: Sequence[str] | None,
    count: int,
    cache: EmbeddingCache | None,
    split: str | None,
    dataset_hash: Callable[[], str],
    preprocessing: Callable[[], Any],
) -> tuple[_Call, list[str], EmbeddingResult | None]:
    """Check the call, then look it up: the cache key's parts are only worked out when there is a cache."""
    if batch_size < 1:
        raise ConfigError("batch size must be at least 1")
    item_ids = _check_ids(ids, count)
    rank, world_size = _world()
    call = _Call(model, kind, split, cache, None, rank, world_size)
    if cache is None:
        return call, item_ids, None
    call.key = cache.make_key(
        fingerprint=model.fingerprint(),
        kind=kind,
        dataset_hash=dataset_hash(),
        split=split,
        preprocessing=preprocessing(),
        ids=item_ids,
    )
    hit = _cache_lookup(cache, call.key, world_size > 1)
    if hit is None:
        return call, item_ids, None
    return call, item_ids, EmbeddingResult(hit.ids, hit.embeddings, hit.failed, hit.n_truncated, from_cache=True)


def _cache_lookup(cache: EmbeddingCache | None, key: str | None, distributed: bool):
    if cache is None or key is None:
        return None
    hit = cache.get(key) if _world()[0] == 0 else None
    return _broadcast(hit) if distributed else hit


def embed_images(
    model: ImageTextModel,
    images: Sequence[ImageItem],
    *,
    ids: Sequence[str] | None = None,
    batch_size: int = 64,
    num_workers: int = 0,
    device: str | None = None,
    cache: EmbeddingCache | None = None,
    dataset_hash: str | None = None,
    split: str | None = None,
    strict: bool = False,
    progress: bool = True,
) -> EmbeddingResult:
    """Embed images (paths, bytes, PIL images or preprocessed CHW tensors) with ``model``."""
    _move_model(model, device)
    # the dataset hash may cover only the tables naming the files: the files' bytes are keyed too
    run, item_ids, hit = _open_call(
        model,
        "image",
        batch_size,
        ids,
        len(images),
        cache,
        split,
        lambda: f"{dataset_hash or ''}|{content_hash(images)}",
        lambda: _preprocessing_description(model),
    )
    if hit is not None:
        return hit
    rank, world_size, distributed = run.rank, run.world_size, run.world_size > 1

    positions = list(range(rank, len(images), world_size))
    loader = DataLoader(
        _ImageItems(images, positions, model.image_transform()),
        batch_size=batch_size,
        num_workers=num_workers,
        collate_fn=_collate,
        pin_memory=model.device.type == "cuda",
    )
    runner = _BatchRunner(batch_size, "images")
    done_positions: list[int] = []
    chunks: list[np.ndarray] = []
    failures: list[tuple[int, str]] = []
    with make_progress(transient=True) as bar:
        task = bar.add_task("embedding images", total=len(positions), visible=progress)
        for batch_positions, pixels, batch_failures in loader:
            if batch_failures and strict:
                position, reason = batch_failures[0]
                raise InputError(f"image {item_ids[position]!r} failed: {reason} (strict mode)")
            failures.extend(batch_failures)
            if pixels is not None:
                chunks.append(runner(model.encode_images, pixels, len(batch_positions)))
                done_positions.extend(batch_positions)
            bar.advance(task, len(batch_positions) + len(batch_failures))
    local = (done_positions, np.concatenate(chunks) if chunks else None, failures)
    result = _assemble(local, item_ids, world_size, distributed)
    if result.failed and progress:
        console.print(
            f"[yellow]{len(result.failed)} of {len(images)} images could not be read and were skipped[/]"
        )
    return run.store(result, failed=result.failed)


def _assemble(
    local: tuple[list[int], np.ndarray | None, list[tuple[int, str]]],
    item_ids: list[str],
    world_size: int,
    distributed: bool,
    n_truncated: int = 0,
) -> EmbeddingResult:
    parts = _gather((*local, n_truncated), world_size) if distributed else [(*local, n_truncated)]
    positions: list[int] = []
    arrays: list[np.ndarray] = []
    failed: list[tuple[int, str]] = []
    truncated = 0
    for part_positions, part_array, part_failed, part_truncated in parts:
        positions.extend(part_positions)
        if part_array is not None:
            arrays.append(part_array)
        failed.extend(part_failed)
        truncated += part_truncated
    if arrays:
        stacked = np.concatenate(arrays).astype(np.float32, copy=False)
        order = np.argsort(np.asarray(positions), kind="stable")
        embeddings = np.ascontiguousarray(stacked[order])
        ordered = [positions[i] for i in order]
    else:
        embeddings, ordered = np.zeros((0, 0), dtype=np.float32), []
    failed.sort()
    return EmbeddingResult(
        ids=[item_ids[p] for p in ordered],
        embeddings=embeddings,
        failed=[(item_ids[p], reason) for p, reason in failed],
        n_truncated=truncated,
    )


def embed_texts(
    model: ImageTextModel,
    texts: Sequence[str],
    *,
    ids: Sequence[str] | None = None,
    batch_size: int = 256,
    cache: EmbeddingCache | None = None,
    dataset_hash: str | None = None,
    split: str | None = None,
    progress: bool = True,
) -> EmbeddingResult:
    """Embed texts; identical strings are encoded once; ``n_truncated`` counts items cut to the context."""
    texts = [str(t) for t in texts]
    run, item_ids, hit = _open_call(
        model,
        "text",
        batch_size,
        ids,
        len(texts),
        cache,
        split,
        lambda: dataset_hash or sha256_json(texts),
        lambda: {"context_length": model.context_length},
    )
    if hit is not None:
        return hit
    rank, world_size, distributed = run.rank, run.world_size, run.world_size > 1

    unique = list(dict.fromkeys(texts))
    mine = unique[rank::world_size]
    runner = _BatchRunner(batch_size, "texts")
    truncated_unique: dict[str, bool] = {}

    def encode(chunk: list[str]) -> np.ndarray:
        features = model.encode_texts(chunk)
        count = getattr(model, "last_n_truncated", None)
        if count is None:
            count = model.tokenize(chunk).n_truncated
        if count:
            # which ones: only needed when some were cut, so tokenise once more
            lengths = _truncated_flags(model, chunk)
            truncated_unique.update(zip(chunk, lengths, strict=True))
        return features

    chunks = []
    with make_progress(transient=True) as bar:
        task = bar.add_task("embedding texts", total=len(mine), visible=progress)
        for start in range(0, len(mine), batch_size):
            chunk = mine[start : start + batch_size]
            chunks.append(runner(encode, chunk, len(chunk)))
            bar.advance(task, len(chunk))
    local_array = np.concatenate(chunks) if chunks else None
    parts = (
        _gather((mine, local_array, truncated_unique), world_size)
        if distributed
        else [(mine, local_array, truncated_unique)]
    )
    table: dict[str, np.ndarray] = {}
    flags: dict[str, bool] = {}
    for part_texts, part_array, part_flags in parts:
        if part_array is not None:
            table.update(zip(part_texts, part_array, strict=True))
        flags.update(part_flags)
    embeddings = (
        np.stack([table[t] for t in texts]).astype(np.float32) if texts else np.zeros((0, 0), np.float32)
    )
    n_truncated = sum(1 for t in texts if flags.get(t))
    result = EmbeddingResult(ids=item_ids, embeddings=embeddings, failed=[], n_truncated=n_truncated)
    return run.store(result, n_truncated=n_truncated)


def _truncated_flags(model: ImageTextModel, chunk: list[str]) -> list[bool]:
    """Per-text truncation flags (tokenising one at a time, only for batches that had any)."""
    return [model.tokenize([text]).n_truncated > 0 for text in chunk]
