"""What ties an audit to one build: the hash of its data files, as ``cxralign eval`` records it."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

from cxralign.benchmark.load import benchmark_files
from cxralign.errors import InputError
from cxralign.utils.hashing import sha256_bytes, sha256_tree


@dataclass(frozen=True)
class BuildIdentity:
    """``data_sha256`` is the hash eval results carry as the dataset's; the rest is read from the manifest."""

    path: Path
    data_sha256: str
    reports_sha256: str | None
    source: str | None
    cxralign: str | None

    def as_record(self) -> dict:
        """Every field but the local path, in field order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "path"}


def read_manifest(build: Path) -> dict:
    path = Path(build) / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{build}: not a cxralign build (no manifest.json)") from None
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: unreadable manifest ({error})") from None
    if not isinstance(manifest, dict):
        raise InputError(f"{path}: not a cxralign manifest (a JSON object is expected)")
    return manifest


def build_identity(build: str | Path) -> BuildIdentity:
    """Hash a build's ``data/`` tree (the manifest and card change when an audit is recorded; the data never)."""
    root = Path(build)
    if not root.is_dir():
        raise InputError(f"{root}: no such build directory")
    benchmark_files(root)  # a clear error where data/ is missing
    manifest = read_manifest(root)
    return BuildIdentity(
        path=root,
        data_sha256=sha256_tree(root / "data"),
        reports_sha256=manifest.get("reports_sha256"),
        source=manifest.get("source"),
        cxralign=(manifest.get("toolkit") or {}).get("cxralign"),
    )


def text_sha256(text: str) -> str:
    """Short hash of a variant's text: a verdict names the exact text it judged."""
    return sha256_bytes(text.encode("utf-8"))[:16]
