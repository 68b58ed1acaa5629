"""MIMIC-CXR-JPG with its CheXpert labels, official split and (optionally) the reports.

Layout (PhysioNet ``mimic-cxr-jpg/2.0.0`` or 2.1.0; the CSVs may be gzipped)::

    ROOT/mimic-cxr-2.0.0-metadata.csv[.gz]   dicom_id, subject_id, study_id, ViewPosition, ...
    ROOT/mimic-cxr-2.0.0-chexpert.csv[.gz]   subject_id, study_id, <14 labels>
    ROOT/mimic-cxr-2.0.0-split.csv[.gz]      dicom_id, study_id, subject_id, split (train / validate / test)
    ROOT/files/p10/p10000032/s50414267/<dicom_id>.jpg
    [ROOT/files/p10/p10000032/s50414267.txt or ROOT/mimic-cxr-reports/files/...: free-text reports]
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cxralign.data.downstream.base import DATASETS, DownstreamDataset, LoadOptions, finalize, require_file
from cxralign.errors import InputError
from cxralign.vocab import CHEXPERT_14

_SECTION = re.compile(r"^\s*(FINDINGS|IMPRESSION)\s*:", re.IGNORECASE | re.MULTILINE)


def report_body(text: str) -> str:
    """Findings and impression sections of a MIMIC report, or the whole text when it has neither."""
    matches = list(_SECTION.finditer(text))
    if not matches:
        return " ".join(text.split())
    parts = []
    for k, match in enumerate(matches):
        end = matches[k + 1].start() if k + 1 < len(matches) else len(text)
        parts.append(text[match.end() : end])
    return " ".join(" ".join(parts).split())


def _csv(root: Path, stem: str) -> pd.DataFrame:
    return pd.read_csv(require_file(root, f"{stem}.csv.gz", f"{stem}.csv", what="MIMIC-CXR-JPG"))


@DATASETS.register("mimic-cxr", aliases=("mimic", "mimic-cxr-jpg"))
def load_mimic_cxr(
    root: str | Path, options: LoadOptions = LoadOptions(), version: str = "2.0.0"
) -> DownstreamDataset:
    root = Path(root)
    meta = _csv(root, f"mimic-cxr-{version}-metadata")
    labels = _csv(root, f"mimic-cxr-{version}-chexpert")
    split = _csv(root, f"mimic-cxr-{version}-split")
    for name, frame, columns in (
        ("metadata", meta, ("dicom_id", "subject_id", "study_id")),
        ("chexpert", labels, ("subject_id", "study_id", *CHEXPERT_14)),
        ("split", split, ("dicom_id", "split")),
    ):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InputError(f"MIMIC-CXR-JPG {name} CSV in {root} lacks column(s): {', '.join(missing)}")
    items = meta.merge(split[["dicom_id", "split"]], on="dicom_id", how="inner")
    items = items.merge(labels, on=["subject_id", "study_id"], how="left")
    items[list(CHEXPERT_14)] = items[list(CHEXPERT_14)].fillna(0.0)  # not mentioned -> negative

    def folder(row) -> Path:
        subject = f"p{int(row.subject_id)}"
        return root / "files" / subject[:3] / subject / f"s{int(row.study_id)}"

    folders = [folder(r) for r in items.itertuples()]
    items["image_path"] = [str(f / f"{d}.jpg") for f, d in zip(folders, items["dicom_id"], strict=True)]
    reports = []
    for f in folders:
        candidates = (
            f.with_suffix(".txt"),
            root / "mimic-cxr-reports" / f.relative_to(root).with_suffix(".txt"),
        )
        path = next((c for c in candidates if c.exists()), None)
        reports.append(report_body(path.read_text(errors="replace")) if path else None)
    out = pd.DataFrame(
        {
            "item_id": items["dicom_id"].astype(str),
            "image_path": items["image_path"],
            "split": items["split"],
            "patient_id": items["subject_id"].astype(str),
            "view": items.get("ViewPosition"),
            "report": reports,
        }
    )
    for cls in CHEXPERT_14:
        out[cls] = items[cls].to_numpy()
    return finalize("mimic-cxr", root, "multilabel", CHEXPERT_14, out, options, notes={"splits": "official"})
