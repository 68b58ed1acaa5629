"""CheXpert Plus: ``df_chexpert_plus_240401.csv``, one row per image, reports split into section columns.

Rows are grouped by study: ``train/patient00001/study1/view1_frontal.jpg`` gives
``patient_id`` ``patient00001`` and ``report_id`` / ``study_id``
``patient00001_study1`` (patient ids are unique across CheXpert's splits). The
report text is rebuilt from the section columns with headers (``HISTORY: ...``,
``FINDINGS: ...``, ``IMPRESSION: ...``) so the engine can choose sections; a row
with no section text falls back to the ``report`` column. Every image row of the
study is kept in ``image_paths`` (resolved against ``images_root`` when given).
"""

from __future__ import annotations

import csv
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from cxralign.data.corpora.base import CORPORA, CorpusReader, ReportRecord, open_utf8
from cxralign.data.corpora.images import resolve_image
from cxralign.errors import InputError

PATH_COLUMN = "path_to_image"

SECTION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("section_clinical_history", "CLINICAL HISTORY"),
    ("section_history", "HISTORY"),
    ("section_comparison", "COMPARISON"),
    ("section_technique", "TECHNIQUE"),
    ("section_findings", "FINDINGS"),
    ("section_impression", "IMPRESSION"),
)
"""Section columns that go into the report text, in reading order, with the header each gets.

``section_narrative``, ``section_procedure_comments``, ``section_end_of_impression``,
``section_summary`` and ``section_accession_number`` are kept in ``meta`` only:
they hold exam names, sign-off and coding text, not findings.
"""

FULL_TEXT_COLUMN = "report"
STUDY_PATH = re.compile(r"(?:^|/)(patient\d+)/(study\d+)/")


def chexpert_plus_text(row: dict[str, str]) -> str:
    """The report text of one row: its sections with headers, or the full ``report`` column."""
    parts = [
        f"{header}: {row[column].strip()}"
        for column, header in SECTION_COLUMNS
        if row.get(column, "").strip()
    ]
    if parts:
        return "\n".join(parts)
    return row.get(FULL_TEXT_COLUMN, "").strip()


def looks_like_chexpert_plus(columns: list[str]) -> bool:
    return PATH_COLUMN in columns and any(column in columns for column, _ in SECTION_COLUMNS)


@CORPORA.register("chexpert-plus")
class ChexpertPlusReader(CorpusReader):
    """Reads the CheXpert Plus table when opened and yields one record per study."""

    source = "chexpert-plus"

    def __init__(
        self, path: str | os.PathLike[str], *, images_root: str | os.PathLike[str] | None = None
    ) -> None:
        super().__init__(path)
        self.images_root = Path(images_root) if images_root is not None else None
        if not self.path.is_file():
            raise InputError(f"{self.path}: no such file")
        try:
            with open_utf8(self.path) as (handle, replaced):
                self._rows = self._group(handle)
        except OSError as error:
            raise InputError(f"{self.path}: cannot read ({error.strerror or error})") from None
        self._count_replaced(replaced[0], str(self.path))

    def _group(self, handle: TextIO) -> list[ReportRecord]:
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in (reader.fieldnames or [])]
        reader.fieldnames = columns
        if not looks_like_chexpert_plus(columns):
            wanted = ", ".join([PATH_COLUMN, *(c for c, _ in SECTION_COLUMNS)])
            raise InputError(
                f"{self.path}: not a CheXpert Plus table (needs {PATH_COLUMN} and a section column of {wanted}); "
                f"columns are {', '.join(repr(c) for c in columns) or '(none)'}"
            )
        studies: dict[str, dict] = {}
        try:
            for row in reader:
                image = (row.get(PATH_COLUMN) or "").strip()
                match = STUDY_PATH.search(image)
                if match is None:
                    self._skip(
                        f"line {reader.line_num}", f"{PATH_COLUMN} {image!r} is not .../patientN/studyN/..."
                    )
                    continue
                patient, study = match.groups()
                key = f"{patient}_{study}"
                entry = studies.get(key)
                if entry is None:
                    entry = studies[key] = {"patient": patient, "row": row, "images": [], "texts": set()}
                entry["images"].append(image)
                entry["texts"].add(hash(chexpert_plus_text(row)))
        except csv.Error as error:
            raise InputError(f"{self.path}:{reader.line_num}: malformed CSV ({error})") from None
        return [self._record(key, entry) for key, entry in studies.items()]

    def _record(self, key: str, entry: dict) -> ReportRecord:
        row = entry["row"]
        images = entry["images"]
        if self.images_root is not None:
            paths = tuple(str(resolve_image(self.images_root, image)) for image in images)
        else:
            paths = tuple(images)
        skip = {PATH_COLUMN, FULL_TEXT_COLUMN, *(c for c, _ in SECTION_COLUMNS)}
        meta = {k: v for k, v in row.items() if k not in skip and k is not None}
        meta["n_report_variants"] = len(entry["texts"])  # > 1 when image rows of a study disagree
        return ReportRecord(
            report_id=key,
            text=chexpert_plus_text(row),
            patient_id=entry["patient"],
            study_id=key,
            image_ids=tuple(str(Path(image).with_suffix("")) for image in images),
            image_paths=paths,
            source=self.source,
            meta=meta,
        )

    def __len__(self) -> int:
        return len(self._rows)

    def _records(self) -> Iterator[ReportRecord]:
        return iter(self._rows)
