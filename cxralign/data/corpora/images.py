"""Finding the image files that belong to a report, below a user-given images root."""

from __future__ import annotations

from pathlib import Path

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".dcm")


def images_in(directory: Path) -> list[Path]:
    """Image files directly inside ``directory``, sorted by name (empty when it does not exist)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def resolve_image(root: Path, relative: str) -> Path:
    """``root / relative``, or the same name with another image suffix when only that exists.

    Releases ship the same images as JPEG and PNG (CheXpert Plus, OpenI), so a
    table that says ``.jpg`` still finds the ``.png`` copy the user downloaded.
    """
    path = root / relative
    if path.exists():
        return path
    for suffix in IMAGE_SUFFIXES:
        candidate = path.with_suffix(suffix)
        if candidate.exists():
            return candidate
    return path


def files_root(root: Path) -> Path:
    """MIMIC-style roots may be given with or without their ``files/`` folder."""
    return root / "files" if (root / "files").is_dir() else root
