"""A persistent, crash-safe embedding cache.

Each entry is a directory ``embeddings/<k[:2]>/<key>/`` holding ``embeddings.npy``
and ``entry.json`` (ids, failures, truncation count, the npy file's sha256). It is
built in a temporary sibling and renamed into place in one step, so a reader
never sees half an entry and two processes writing the same key cannot corrupt
it (the second rename loses harmlessly). A reader re-hashes the array; an entry
whose checksum, shape or files do not match is deleted and recomputed.
``index.json`` lists entries for humans and ``cache ls``-style tools; it is
advisory (rebuilt under a file lock), the entries themselves are the truth.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cxralign.utils.atomic import atomic_write_text
from cxralign.utils.hashing import sha256_bytes, sha256_json

CACHE_ENV = "CXRALIGN_CACHE_DIR"
FORMAT_VERSION = 1


def default_cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "cxralign").expanduser()


@dataclass
class CachedEmbeddings:
    ids: list[str]
    embeddings: np.ndarray
    failed: list[tuple[str, str]] = field(default_factory=list)
    n_truncated: int = 0


class EmbeddingCache:
    """Embeddings keyed by model fingerprint, dataset hash, split, preprocessing and item ids."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_cache_root()
        self.n_corrupt_recomputed = 0

    # -- keys -----------------------------------------------------------------------------
    @staticmethod
    def make_key(
        *,
        fingerprint: str,
        kind: str,
        dataset_hash: str,
        split: str | None,
        preprocessing: Any,
        ids: list[str],
    ) -> str:
        return sha256_json(
            {
                "v": FORMAT_VERSION,
                "fingerprint": fingerprint,
                "kind": kind,
                "dataset": dataset_hash,
                "split": split,
                "preprocessing": preprocessing,
                "ids": sha256_json(ids),
            }
        )

    def _entry_dir(self, key: str) -> Path:
        return self.root / "embeddings" / key[:2] / key

    # -- read -------------------------------------------------------------------------------
    def get(self, key: str) -> CachedEmbeddings | None:
        """The entry for ``key``, or None when absent; a damaged entry is removed and reported as absent."""
        entry = self._entry_dir(key)
        meta_file, array_file = entry / "entry.json", entry / "embeddings.npy"
        if not entry.exists():
            return None
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            raw = array_file.read_bytes()
            if meta.get("version") != FORMAT_VERSION or sha256_bytes(raw) != meta["sha256"]:
                raise ValueError("checksum mismatch")
            embeddings = np.load(io.BytesIO(raw), allow_pickle=False)
            if embeddings.shape[0] != len(meta["ids"]) or embeddings.dtype != np.float32:
                raise ValueError("shape mismatch")
        except (OSError, ValueError, KeyError, json.JSONDecodeError):
            self.n_corrupt_recomputed += 1
            self._discard(entry)
            return None
        return CachedEmbeddings(
            ids=list(meta["ids"]),
            embeddings=embeddings,
            failed=[(str(i), str(r)) for i, r in meta.get("failed", [])],
            n_truncated=int(meta.get("n_truncated", 0)),
        )

    # -- write -------------------------------------------------------------------------------
    def put(
        self,
        key: str,
        *,
        ids: list[str],
        embeddings: np.ndarray,
        failed: list[tuple[str, str]] | None = None,
        n_truncated: int = 0,
        info: dict[str, Any] | None = None,
    ) -> Path:
        """Store an entry atomically; returns its directory."""
        embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        buffer = io.BytesIO()
        np.save(buffer, embeddings, allow_pickle=False)
        raw = buffer.getvalue()
        meta = {
            "version": FORMAT_VERSION,
            "ids": list(ids),
            "shape": list(embeddings.shape),
            "sha256": sha256_bytes(raw),
            "failed": [list(f) for f in failed or []],
            "n_truncated": int(n_truncated),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "info": info or {},
        }
        target = self._entry_dir(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key[:12]}.", suffix=".tmp", dir=target.parent))
        try:
            with open(staging / "embeddings.npy", "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            (staging / "entry.json").write_text(json.dumps(meta), encoding="utf-8")
            if target.exists():
                self._discard(target)  # a damaged leftover; a healthy one would have been a hit
            try:
                os.replace(staging, target)
            except OSError:  # another process renamed its identical entry first
                shutil.rmtree(staging, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._index_add(key, {k: meta[k] for k in ("shape", "created")} | (info or {}))
        return target

    def _discard(self, entry: Path) -> None:
        trash = entry.with_name(f".{entry.name}.trash-{os.getpid()}-{time.monotonic_ns()}")
        with contextlib.suppress(OSError):
            os.replace(entry, trash)
            shutil.rmtree(trash, ignore_errors=True)

    # -- index -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self):  # type: ignore[no-untyped-def]
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".index.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read_index(self) -> dict[str, Any]:
        try:
            return json.loads((self.root / "index.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return {}

    def _index_add(self, key: str, info: dict[str, Any]) -> None:
        with self._locked():
            index = self._read_index()
            index[key] = info
            atomic_write_text(self.root / "index.json", json.dumps(index, indent=1, sort_keys=True))

    def entries(self) -> dict[str, Any]:
        """The index, restricted to entries that still exist on disk."""
        return {k: v for k, v in self._read_index().items() if self._entry_dir(k).is_dir()}

    def clear(self) -> int:
        """Delete every entry; returns how many were removed."""
        with self._locked():
            count = 0
            base = self.root / "embeddings"
            for entry in base.glob("*/*") if base.exists() else []:
                if entry.is_dir() and not entry.name.startswith("."):
                    self._discard(entry)
                    count += 1
            atomic_write_text(self.root / "index.json", "{}")
        return count
