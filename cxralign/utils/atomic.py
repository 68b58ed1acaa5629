"""Atomic writes: a reader never sees a half-written file or directory.

Everything cxralign writes goes to a temporary sibling first and is renamed into
place, so Ctrl-C, a full disk or a crash leave either the old output or none.
Temporaries are named ``.NAME.<pid>.<random>.tmp``; one whose process is gone
(killed with ``kill -9``, a power cut) is removed by the next write to ``NAME``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cxralign.errors import OutputExistsError


def _temporary_prefix(target: Path) -> str:
    return f".{target.name}.{os.getpid()}."


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def remove_stale_temporaries(target: str | os.PathLike[str]) -> list[Path]:
    """Delete leftovers of interrupted writes to ``target`` whose writer no longer runs; return them."""
    target = Path(target)
    if not target.parent.is_dir():
        return []
    removed = []
    prefix = f".{target.name}."
    for leftover in target.parent.glob(f"{glob.escape(prefix)}*"):
        rest = leftover.name[len(prefix) :]
        owner = rest.split(".", 1)[0].removeprefix("old-")
        if not (rest.endswith(".tmp") or rest.startswith("old-")):
            continue
        if owner.isdigit() and _process_alive(int(owner)):
            continue  # a live writer (or, before pids were recorded, a random tag: treated as stale)
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        removed.append(leftover)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary file path next to ``path``; rename it over ``path`` on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    fd, tmp = tempfile.mkstemp(prefix=_temporary_prefix(target), suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (fsynced before the rename)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode(encoding))


def check_output_dir(path: str | os.PathLike[str], overwrite: bool) -> Path:
    """Refuse to replace an existing, non-empty output directory unless ``overwrite``."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"output path {out} exists and is not a directory")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise OutputExistsError(
            f"output directory {out} exists and is not empty; pass --overwrite to replace it"
        )
    return out


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike[str], overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``path`` only when the block succeeds."""
    target = check_output_dir(path, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    tmp = Path(tempfile.mkdtemp(prefix=_temporary_prefix(target), suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        if target.exists():
            trash = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, trash)
            os.replace(tmp, target)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
