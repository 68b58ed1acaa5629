"""OpenI / IU X-ray reports: ``NLMCXR_reports.tgz`` (NLM XML, one file per report).

Each XML holds ``<uId id="CXR1"/>``, ``<AbstractText Label="FINDINGS">`` (and
COMPARISON, INDICATION, IMPRESSION) and one ``<parentImage id=...>`` per image.
The sections are joined as ``COMPARISON: ...\\nINDICATION: ...\\nFINDINGS: ...\\nIMPRESSION: ...``
(absent or empty sections left out) so the engine's section splitter reads them
like any other report.

The reports are CC BY-NC-ND 4.0. The ``torchxrayvision`` wheel ships them;
cxralign reads them in place and never copies them.
"""

from __future__ import annotations

import importlib.util
import os
import re
import tarfile
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator
from pathlib import Path

from cxralign.data.corpora.base import CORPORA, CorpusReader, ReportRecord
from cxralign.data.corpora.images import resolve_image
from cxralign.errors import InputError

SECTION_ORDER = ("COMPARISON", "INDICATION", "FINDINGS", "IMPRESSION")
ARCHIVE_NAME = "NLMCXR_reports.tgz"


def find_openi_archive() -> Path:
    """The ``NLMCXR_reports.tgz`` inside the installed torchxrayvision package, found without importing it.

    Importing torchxrayvision costs seconds (it imports torch and its models);
    locating its package folder costs nothing.
    """
    try:
        spec = importlib.util.find_spec("torchxrayvision")
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        candidate = Path(location) / "data" / ARCHIVE_NAME
        if candidate.is_file():
            return candidate
    raise InputError(
        f"OpenI reports ({ARCHIVE_NAME}) not found: install them with `pip install cxralign[openi]` "
        "(the torchxrayvision wheel ships them) or pass the .tgz path"
    )


def _natural_key(report_id: str) -> tuple[str, int, str]:
    match = re.fullmatch(r"(\D*)(\d+)(.*)", report_id)
    return (match.group(1), int(match.group(2)), match.group(3)) if match else (report_id, -1, "")


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def openi_text(sections: dict[str, str]) -> str:
    """Join OpenI sections into header-prefixed text, in a fixed order, unknown labels last."""
    order = [label for label in SECTION_ORDER if label in sections]
    order += [label for label in sections if label not in SECTION_ORDER]
    return "\n".join(f"{label}: {sections[label]}" for label in order if sections[label])


@CORPORA.register("openi")
class OpenIReader(CorpusReader):
    """Parses every report of an OpenI archive (a ``.tgz`` or an extracted folder of XML) when opened."""

    source = "openi"

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        images_root: str | os.PathLike[str] | None = None,
        allow_duplicate_ids: bool = False,
    ) -> None:
        super().__init__(path if path is not None else find_openi_archive())
        self.images_root = Path(images_root) if images_root is not None else None
        self._rows: list[ReportRecord] = []
        documents = self._folder_or_archive(self._documents_in_directory, self._documents_in_archive)
        seen: dict[str, str] = {}
        for name, data in documents:
            record = self._parse(name, data)
            if record is None:
                continue
            if record.report_id in seen and not allow_duplicate_ids:
                raise InputError(
                    f"{self.path}: uId {record.report_id} appears twice ({seen[record.report_id]} and {name}); "
                    "pass --allow-duplicate-ids to keep both"
                )
            seen.setdefault(record.report_id, name)
            self._rows.append(record)
        if not self._rows and not self.skipped:
            raise InputError(f"{self.path}: no OpenI report XML files found")
        self._rows.sort(key=lambda r: _natural_key(r.report_id))

    def _documents_in_directory(self) -> Iterator[tuple[str, bytes]]:
        for path in sorted(self.path.rglob("*.xml")):
            name = path.relative_to(self.path).as_posix()
            try:
                yield name, path.read_bytes()
            except OSError as error:
                self._skip(name, f"unreadable: {error.strerror or error}")

    def _documents_in_archive(self) -> Iterator[tuple[str, bytes]]:
        try:
            with tarfile.open(self.path, mode="r:*") as archive:
                for member in archive:
                    if not member.isfile() or not member.name.endswith(".xml"):
                        continue
                    handle = archive.extractfile(member)
                    if handle is None:
                        self._skip(member.name, "unreadable: not a regular file")
                        continue
                    yield member.name, handle.read()
        except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
            raise InputError(f"{self.path}: not a readable tar archive ({error})") from None

    def _parse(self, name: str, data: bytes) -> ReportRecord | None:
        try:
            root = ET.fromstring(self._decode(data, name))
        except ET.ParseError as error:
            self._skip(name, f"malformed XML ({error})")
            return None
        uid = root.find("uId")
        report_id = (uid.get("id") or "").strip() if uid is not None else ""
        if not report_id:
            self._skip(name, "no <uId id=...> element")
            return None
        sections: dict[str, str] = {}
        for node in root.iter("AbstractText"):
            label = (node.get("Label") or "").strip().upper()
            if label:
                sections[label] = _clean("".join(node.itertext()))
        image_ids = tuple(i for i in (node.get("id") for node in root.iter("parentImage")) if i)
        image_paths = ()
        if self.images_root is not None:
            image_paths = tuple(str(resolve_image(self.images_root, f"{i}.png")) for i in image_ids)
        return ReportRecord(
            report_id=report_id,
            text=openi_text(sections),
            study_id=report_id,
            image_ids=image_ids,
            image_paths=image_paths,
            source=self.source,
            meta={"file": name, "sections": sections},
        )

    def __len__(self) -> int:
        return len(self._rows)

    def _records(self) -> Iterator[ReportRecord]:
        return iter(self._rows)
