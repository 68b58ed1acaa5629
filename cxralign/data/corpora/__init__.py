"""Report corpora: every supported source read into the same :class:`ReportRecord` stream.

>>> reader = read_corpus("csv", "reports.csv", text_column="report")   # doctest: +SKIP
>>> for record in reader: ...                                           # doctest: +SKIP
>>> reader.skipped, reader.n_decode_replaced                            # doctest: +SKIP

Sources: ``csv``, ``jsonl``, ``mimic`` (MIMIC-CXR reports tree or zip), ``openi``
(``NLMCXR_reports.tgz``; found in the torchxrayvision wheel when no path is
given) and ``chexpert-plus`` (``df_chexpert_plus_240401.csv``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cxralign.data.corpora.base import CORPORA, CorpusReader, ReportRecord, decode_utf8
from cxralign.data.corpora.chexpert_plus import looks_like_chexpert_plus
from cxralign.data.corpora.mimic import REPORT_PATH
from cxralign.data.corpora.openi import find_openi_archive
from cxralign.errors import ConfigError, InputError

__all__ = [
    "CORPORA",
    "SOURCES",
    "CorpusReader",
    "ReportRecord",
    "decode_utf8",
    "find_openi_archive",
    "infer_source",
    "read_corpus",
]

SOURCES = CORPORA  # the readers by --source name (each registers itself with @CORPORA.register)

_OPTIONS: dict[str, frozenset[str]] = {
    "csv": frozenset({"text_column", "id_column", "allow_duplicate_ids", "has_header"}),
    "jsonl": frozenset({"text_column", "id_column", "allow_duplicate_ids"}),
    "mimic": frozenset({"images_root", "allow_duplicate_ids"}),
    "openi": frozenset({"images_root", "allow_duplicate_ids"}),
    "chexpert-plus": frozenset({"images_root"}),
}
_OPTION_FLAGS = {
    "text_column": "--text-column",
    "id_column": "--id-column",
    "allow_duplicate_ids": "--allow-duplicate-ids",
    "has_header": "--no-header",
    "images_root": "--images",
}
_DEFAULTS: dict[str, Any] = {"allow_duplicate_ids": False, "has_header": True}


def _csv_header(path: Path) -> list[str]:
    with open(path, "rb") as handle:
        first = handle.readline(1 << 16)
    text, _ = decode_utf8(first)
    return [c.strip().strip('"') for c in text.strip().split(",")]


def _first_report_file(root: Path) -> str | None:
    """``"mimic"`` or ``"openi"`` by the first report-like file below ``root``."""
    for folder, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".txt") and REPORT_PATH.search(Path(folder, name).as_posix()):
                return "mimic"
            if name.endswith(".xml"):
                return "openi"
    return None


def infer_source(path: str | os.PathLike[str]) -> str:
    """Guess the source of ``path``: by suffix, by a CSV's header, or by a folder's files."""
    path = Path(path)
    name = path.name.lower()
    if path.is_dir():
        found = _first_report_file(path)
        if found is None:
            raise InputError(
                f"{path}: no MIMIC-CXR reports (pNN/pNNNNNNNN/sNNNNNNNN.txt) or OpenI XML found; pass --source"
            )
        return found
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".zip"):
        return "mimic"
    if name.endswith((".tgz", ".tar.gz", ".tar")):
        return "openi"
    if name.endswith(".csv"):
        return "chexpert-plus" if looks_like_chexpert_plus(_csv_header(path)) else "csv"
    raise InputError(f"{path}: cannot tell the source from the name; pass --source ({', '.join(SOURCES)})")


def read_corpus(
    source: str | None,
    path: str | os.PathLike[str] | None = None,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    allow_duplicate_ids: bool = False,
    has_header: bool = True,
    images_root: str | os.PathLike[str] | None = None,
) -> CorpusReader:
    """Open a report corpus; ``source=None`` infers it from ``path``.

    Options that do not apply to the source are an error rather than silently
    ignored (``--text-column`` on a MIMIC tree is a user mistake worth a line).
    """
    if source is None:
        if path is None:
            raise ConfigError("give an input path or --source openi")
        source = infer_source(path)
    if source not in SOURCES:
        raise SOURCES.unknown(source)
    if path is None and source != "openi":
        raise ConfigError(f"--source {source} needs an input path")
    given = {
        "text_column": text_column,
        "id_column": id_column,
        "allow_duplicate_ids": allow_duplicate_ids,
        "has_header": has_header,
        "images_root": images_root,
    }
    options: dict[str, Any] = {}
    for key, value in given.items():
        if value is None or value == _DEFAULTS.get(key):
            continue
        if key not in _OPTIONS[source]:
            raise ConfigError(f"{_OPTION_FLAGS[key]} does not apply to --source {source}")
        options[key] = value
    return SOURCES.get(source)(path, **options)
