"""What every corpus reader yields and reports: records, skipped inputs, decode repairs."""

from __future__ import annotations

import abc
import codecs
import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeVar

from cxralign.errors import InputError
from cxralign.utils.registry import Registry

_T = TypeVar("_T")

_REPLACEMENT_BYTES = "\ufffd".encode()


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """One radiology report and the identifiers that tie it to patients and images.

    ``report_id`` is unique within a corpus and becomes the first (``filename``)
    column of ``cxralign label`` output. ``text`` is the report as the engine
    should read it, with section headers (``FINDINGS:`` ...) when the source
    stores sections separately.
    """

    report_id: str
    text: str
    patient_id: str | None = None
    study_id: str | None = None
    image_ids: tuple[str, ...] = ()
    image_paths: tuple[str, ...] = ()
    source: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict, hash=False)


def decode_utf8(data: bytes) -> tuple[str, int]:
    """Decode UTF-8 (a BOM is dropped), replacing undecodable bytes; return text and replacements.

    The count is the number of U+FFFD characters the decoder inserted, so reports
    with bad bytes are repaired visibly rather than dropped or silently altered.
    """
    try:
        return data.decode("utf-8-sig"), 0
    except UnicodeDecodeError:
        text = data.decode("utf-8-sig", errors="replace")
        return text, text.count("\ufffd") - data.count(_REPLACEMENT_BYTES)


_ERROR_HANDLER = "cxralign-count-replace"
_replacements = [0]


def _count_and_replace(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    _replacements[0] += 1
    return "\ufffd", error.end


codecs.register_error(_ERROR_HANDLER, _count_and_replace)


@contextlib.contextmanager
def open_utf8(path: str | os.PathLike[str]) -> Iterator[tuple[TextIO, list[int]]]:
    """Stream a UTF-8 text file (BOM dropped, bad bytes replaced); the list's item counts replacements.

    Large tables (CheXpert Plus is gigabytes) are decoded as they are parsed
    instead of being held twice in memory as bytes and text.
    """
    counted = [0]
    with open(path, encoding="utf-8-sig", errors=_ERROR_HANDLER, newline="") as handle:
        before = _replacements[0]
        try:
            yield handle, counted
        finally:
            counted[0] = _replacements[0] - before


def display_path(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None) -> str:
    """A short path for messages: relative to ``root`` when below it."""
    path = Path(path)
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)


CORPORA: Registry[type[CorpusReader]] = Registry(
    "source",
    entry_point_group="cxralign.corpora",
    modules=tuple(f"cxralign.data.corpora.{name}" for name in ("tabular", "mimic", "openi", "chexpert_plus")),
)
"""Report corpus readers by ``--source`` name, each registered where it is defined."""


class CorpusReader(abc.ABC):
    """An iterable of :class:`ReportRecord` that also accounts for what it could not read.

    ``len(reader)`` is the number of reports found when the reader was opened
    (used for progress bars); the records actually yielded can be fewer, and
    every missing one is listed in ``skipped`` as ``(path_or_id, reason)``.
    ``n_decode_replaced`` counts undecodable byte sequences replaced by U+FFFD,
    and ``decode_replaced_in`` names the files or reports they were in.
    """

    source: str = ""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = Path(path) if path is not None else None
        self.skipped: list[tuple[str, str]] = []
        self.n_decode_replaced = 0
        self.decode_replaced_in: list[str] = []

    @abc.abstractmethod
    def __len__(self) -> int: ...

    @abc.abstractmethod
    def _records(self) -> Iterator[ReportRecord]: ...

    def __iter__(self) -> Iterator[ReportRecord]:
        return self._records()

    def _decode(self, data: bytes, where: str) -> str:
        text, replaced = decode_utf8(data)
        self._count_replaced(replaced, where)
        return text

    def _count_replaced(self, replaced: int, where: str) -> None:
        if replaced:
            self.n_decode_replaced += replaced
            self.decode_replaced_in.append(where)

    def _skip(self, where: str, reason: str) -> None:
        self.skipped.append((where, reason))

    def _folder_or_archive(self, folder: Callable[[], _T], archive: Callable[[], _T]) -> _T:
        """What ``folder()`` reads from an extracted tree at ``self.path``, or ``archive()`` from a file
        there: the readers that take either; a missing path is one error line."""
        if self.path.is_dir():
            return folder()
        if self.path.is_file():
            return archive()
        raise InputError(f"{self.path}: no such file or directory")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, reports={len(self)})"
