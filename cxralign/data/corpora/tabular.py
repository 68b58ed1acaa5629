"""CSV and JSONL report tables: one report a row, a text column and an optional id column.

Files are parsed completely when opened, so a missing column, a malformed row
or a duplicate id is reported before any labelling work starts.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TextIO

from cxralign.data.corpora.base import CORPORA, CorpusReader, ReportRecord, open_utf8
from cxralign.errors import InputError

TEXT_COLUMN_GUESSES = ("report", "text", "Report Impression", "reports")
"""Tried in order (case-insensitively) when no text column is given."""

ID_COLUMN_GUESSES = ("id", "report_id")
"""Tried in order (case-insensitively); without one, the 0-based data row number is the id."""

_PATIENT_COLUMNS = ("patient_id", "subject_id")
_STUDY_COLUMNS = ("study_id",)
_IMAGE_ID_COLUMNS = ("image_id", "dicom_id")
_IMAGE_PATH_COLUMNS = ("image_path", "path_to_image")


def _find_column(columns: Sequence[str], wanted: Sequence[str]) -> str | None:
    for name in wanted:
        if name in columns:
            return name
    lowered = {c.lower(): c for c in columns}
    for name in wanted:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _columns_list(columns: Sequence[str]) -> str:
    return ", ".join(repr(c) for c in columns) if columns else "(none)"


def resolve_text_column(columns: Sequence[str], requested: str | None, where: str) -> str:
    """The text column: the one requested, or the first guess present; else a clear error."""
    if requested is not None:
        if requested not in columns:
            raise InputError(f"{where}: no text column {requested!r}; columns are {_columns_list(columns)}")
        return requested
    found = _find_column(columns, TEXT_COLUMN_GUESSES)
    if found is None:
        raise InputError(
            f"{where}: no report text column (looked for {', '.join(TEXT_COLUMN_GUESSES)}); "
            f"columns are {_columns_list(columns)}; pass --text-column"
        )
    return found


def resolve_id_column(columns: Sequence[str], requested: str | None, where: str) -> str | None:
    """The id column: the one requested, a conventional name, or None for row numbers."""
    if requested is not None:
        if requested not in columns:
            raise InputError(f"{where}: no id column {requested!r}; columns are {_columns_list(columns)}")
        return requested
    return _find_column(columns, ID_COLUMN_GUESSES)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class TableReader(CorpusReader):
    """Shared logic of CSV and JSONL: column resolution, ids, duplicates, records."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        text_column: str | None = None,
        id_column: str | None = None,
        allow_duplicate_ids: bool = False,
    ) -> None:
        super().__init__(path)
        self.text_column = text_column
        self.id_column = id_column
        self.allow_duplicate_ids = allow_duplicate_ids
        self._rows: list[ReportRecord] = []
        if not self.path.is_file():
            raise InputError(f"{self.path}: no such file")
        try:
            with open_utf8(self.path) as (handle, replaced):
                self._load(handle)
        except OSError as error:
            raise InputError(f"{self.path}: cannot read ({error.strerror or error})") from None
        self._count_replaced(replaced[0], str(self.path))

    def _load(self, handle: TextIO) -> None:
        raise NotImplementedError

    def _build(self, rows: Iterator[tuple[int, Mapping[str, Any]]], columns: Sequence[str]) -> None:
        """Turn ``(line_number, row)`` pairs into records, checking ids as it goes."""
        where = str(self.path)
        text_col = resolve_text_column(columns, self.text_column, where)
        id_col = resolve_id_column(columns, self.id_column, where)
        patient_col = _find_column(columns, _PATIENT_COLUMNS)
        study_col = _find_column(columns, _STUDY_COLUMNS)
        image_id_col = _find_column(columns, _IMAGE_ID_COLUMNS)
        image_path_col = _find_column(columns, _IMAGE_PATH_COLUMNS)
        seen: dict[str, int] = {}
        for row_number, (line, row) in enumerate(rows):
            if text_col not in row:
                raise InputError(
                    f"{where}:{line}: no field {text_col!r}; fields are {_columns_list(list(row))}"
                )
            if id_col is None:
                report_id = str(row_number)
            else:
                report_id = _cell(row.get(id_col)).strip()
                if not report_id:
                    raise InputError(f"{where}:{line}: empty id in column {id_col!r}")
            if report_id in seen and not self.allow_duplicate_ids:
                raise InputError(
                    f"{where}:{line}: duplicate id {report_id!r} (first at line {seen[report_id]}); "
                    "pass --allow-duplicate-ids to keep both"
                )
            seen.setdefault(report_id, line)
            image_id = _cell(row.get(image_id_col)) if image_id_col else ""
            image_path = _cell(row.get(image_path_col)) if image_path_col else ""
            used = {text_col, id_col}
            self._rows.append(
                ReportRecord(
                    report_id=report_id,
                    text=_cell(row.get(text_col)),
                    patient_id=(_cell(row.get(patient_col)) or None) if patient_col else None,
                    study_id=(_cell(row.get(study_col)) or None) if study_col else None,
                    image_ids=(image_id,) if image_id else (),
                    image_paths=(image_path,) if image_path else (),
                    source=self.source,
                    meta={**{k: v for k, v in row.items() if k not in used}, "source_line": line},
                )
            )

    def __len__(self) -> int:
        return len(self._rows)

    def _records(self) -> Iterator[ReportRecord]:
        return iter(self._rows)


@CORPORA.register("csv")
class CsvReader(TableReader):
    """A CSV with a header row (or, with ``has_header=False``, one report per row as the CheXpert labeler reads)."""

    source = "csv"

    def __init__(self, path: str | os.PathLike[str], *, has_header: bool = True, **options: Any) -> None:
        self.has_header = has_header
        super().__init__(path, **options)

    def _load(self, handle: TextIO) -> None:
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
        reader = csv.reader(handle)
        where = str(self.path)
        try:
            if self.has_header:
                header = next(reader, None)
                if header is None:
                    raise InputError(f"{where}: empty file (no header row)")
                header = [h.strip() for h in header]
            else:
                header = ["report"]
                if self.text_column not in (None, "report"):
                    raise InputError(f"{where}: a headerless CSV has one column, 'report'")
            self._build(self._rows_of(reader, header), header)
        except csv.Error as error:
            raise InputError(f"{where}:{reader.line_num}: malformed CSV ({error})") from None

    def _rows_of(self, reader: Any, header: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
        where = str(self.path)
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip() and len(header) > 1):
                continue  # blank line
            if not self.has_header:
                row = [",".join(row)] if len(row) > 1 else row
            if len(row) != len(header):
                raise InputError(
                    f"{where}:{reader.line_num}: {len(row)} fields but the header has {len(header)}"
                )
            yield reader.line_num, dict(zip(header, row, strict=True))


@CORPORA.register("jsonl")
class JsonlReader(TableReader):
    """JSON Lines: one object a line; the columns are the first object's keys."""

    source = "jsonl"

    def _load(self, handle: TextIO) -> None:
        where = str(self.path)
        rows: list[tuple[int, dict[str, Any]]] = []
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(f"{where}:{line_number}: not valid JSON ({error.msg})") from None
            if not isinstance(obj, dict):
                raise InputError(f"{where}:{line_number}: expected a JSON object, got {type(obj).__name__}")
            rows.append((line_number, obj))
        if rows:  # an empty file is an empty corpus
            self._build(iter(rows), list(rows[0][1]))
