"""MIMIC-CXR free-text reports: the ``files/pNN/pNNNNNNNN/sNNNNNNNN.txt`` tree or its zip.

``report_id`` and ``study_id`` are the file stem (``s50414267``), as MIMIC-CXR's
own ``create_section_files.py`` names studies; strip the ``s`` to join with the
integer ``study_id`` of ``mimic-cxr-2.0.0-chexpert.csv``. ``patient_id`` is the
folder name (``p10000032``). With an images root (MIMIC-CXR-JPG), the JPEGs in
``files/p10/p10000032/s50414267/`` become the record's images, their stems
(DICOM ids) its ``image_ids``.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from cxralign.data.corpora.base import CORPORA, CorpusReader, ReportRecord, display_path
from cxralign.data.corpora.images import files_root, images_in
from cxralign.errors import InputError

REPORT_PATH = re.compile(r"(?:^|/)(p\d+)/(s\d+)\.txt$")
"""A report's path ends in ``<patient folder>/<study>.txt``."""

EXPECTED_LAYOUT = "files/pNN/pNNNNNNNN/sNNNNNNNN.txt"


@CORPORA.register("mimic")
class MimicReader(CorpusReader):
    """Reads a MIMIC-CXR reports tree (a directory) or ``mimic-cxr-reports.zip`` lazily, one file at a time."""

    source = "mimic"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        images_root: str | os.PathLike[str] | None = None,
        allow_duplicate_ids: bool = False,
    ) -> None:
        super().__init__(path)
        self.images_root = files_root(Path(images_root)) if images_root is not None else None
        self.n_without_images = 0
        self._zip: zipfile.ZipFile | None = None
        entries = self._folder_or_archive(self._index_directory, self._index_zip)
        if not entries:
            raise InputError(f"{self.path}: no MIMIC-CXR reports found (expected {EXPECTED_LAYOUT})")
        entries.sort(key=lambda e: (e[1], e[2], e[0]))
        self._entries = _check_duplicates(entries, allow_duplicate_ids, self.path)

    def _index_directory(self) -> list[tuple[str, str, str]]:
        entries = []
        for folder, dirnames, filenames in os.walk(self.path):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.endswith(".txt"):
                    continue
                full = os.path.join(folder, name)
                rel = display_path(full, self.path)
                match = REPORT_PATH.search(Path(full).as_posix())
                if match is None:
                    self._skip(rel, f"not a report path (expected {EXPECTED_LAYOUT})")
                    continue
                entries.append((full, match.group(1), match.group(2)))
        return entries

    def _index_zip(self) -> list[tuple[str, str, str]]:
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as error:
            raise InputError(f"{self.path}: not a readable zip archive ({error})") from None
        entries = []
        for info in self._zip.infolist():
            if info.is_dir() or not info.filename.endswith(".txt"):
                continue
            match = REPORT_PATH.search(info.filename)
            if match is None:
                self._skip(info.filename, f"not a report path (expected {EXPECTED_LAYOUT})")
                continue
            entries.append((info.filename, match.group(1), match.group(2)))
        return entries

    def __len__(self) -> int:
        return len(self._entries)

    def _read(self, name: str) -> bytes:
        if self._zip is not None:
            return self._zip.read(name)
        with open(name, "rb") as handle:
            return handle.read()

    def _records(self) -> Iterator[ReportRecord]:
        for name, patient, study in self._entries:
            where = name if self._zip is not None else display_path(name, self.path)
            try:
                data = self._read(name)
            except (OSError, zipfile.BadZipFile, zlib.error, RuntimeError) as error:
                reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
                self._skip(where, f"unreadable: {reason}")
                continue
            image_paths = self._images(patient, study)
            yield ReportRecord(
                report_id=study,
                text=self._decode(data, where),
                patient_id=patient,
                study_id=study,
                image_ids=tuple(p.stem for p in image_paths),
                image_paths=tuple(str(p) for p in image_paths),
                source=self.source,
                meta={"path": where},
            )

    def _images(self, patient: str, study: str) -> list[Path]:
        if self.images_root is None:
            return []
        found = images_in(self.images_root / patient[:3] / patient / study)
        if not found:
            self.n_without_images += 1
        return found


def _check_duplicates(
    entries: list[tuple[str, str, str]], allow: bool, root: Path
) -> list[tuple[str, str, str]]:
    seen: dict[str, str] = {}
    for name, _patient, study in entries:
        if study in seen and not allow:
            raise InputError(
                f"{root}: study {study} appears twice ({seen[study]} and {name}); "
                "pass --allow-duplicate-ids to keep both"
            )
        seen.setdefault(study, name)
    return entries
