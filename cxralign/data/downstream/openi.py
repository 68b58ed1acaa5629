"""OpenI / Indiana University chest X-rays, when the images are on disk.

Layout::

    ROOT/images/CXR1_1_IM-0001-3001.png        (NLMCXR_png.tgz extracted; ROOT/*.png also works)
    ROOT/reports/ecgen-radiology/1.xml         (NLMCXR_reports.tgz extracted; any *.xml below ROOT/reports)

Without a ``reports`` folder the report archive inside the installed
torchxrayvision wheel is read in place (CC BY-NC-ND 4.0: never copied). Each
image gets its report's FINDINGS + IMPRESSION text and multi-label targets from
the report's major MeSH terms (``<major>Cardiomegaly/mild</major>``); an image
whose report has neither section is kept for classification but has no report.
Splits: 70 / 10 / 20 by report (patient proxy) with the load seed.
"""

from __future__ import annotations

import tarfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from cxralign.data.downstream.base import DATASETS, DownstreamDataset, LoadOptions, assign_splits, finalize
from cxralign.errors import InputError

MESH_CLASSES = {
    "Atelectasis": ("atelectasis", "pulmonary atelectasis"),
    "Cardiomegaly": ("cardiomegaly",),
    "Consolidation": ("consolidation",),
    "Edema": ("edema", "pulmonary edema"),
    "Pleural Effusion": ("pleural effusion",),
    "Pneumonia": ("pneumonia",),
    "Pneumothorax": ("pneumothorax",),
    "Lung Opacity": ("opacity", "airspace disease", "infiltrate"),
    "Nodule": ("nodule", "pulmonary nodule"),
    "Emphysema": ("emphysema", "pulmonary emphysema"),
    "Fracture": ("fractures, bone",),
    "No Finding": ("normal",),
}


def _reports(root: Path) -> Iterator[tuple[str, bytes]]:
    folder = root / "reports"
    if folder.is_dir():
        for path in sorted(folder.rglob("*.xml")):
            yield path.name, path.read_bytes()
        return
    from cxralign.data.corpora.openi import find_openi_archive

    with tarfile.open(find_openi_archive()) as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".xml"):
                handle = archive.extractfile(member)
                if handle is not None:
                    yield member.name, handle.read()


def _parse(name: str, data: bytes) -> list[dict]:
    try:
        tree = ET.fromstring(data)
    except ET.ParseError as error:
        raise InputError(f"OpenI report {name} is not valid XML: {error}") from None
    sections = {
        t.get("Label", "").upper(): " ".join((t.text or "").split()) for t in tree.iter("AbstractText")
    }
    report = " ".join(s for s in (sections.get("FINDINGS", ""), sections.get("IMPRESSION", "")) if s) or None
    majors = [(m.text or "").split("/")[0].strip().lower() for m in tree.iter("major")]
    uid = tree.find(".//uId")
    report_id = uid.get("id") if uid is not None else Path(name).stem
    labels = {cls: float(any(m in terms for m in majors)) for cls, terms in MESH_CLASSES.items()}
    return [
        {"item_id": image.get("id"), "patient_id": report_id, "report": report, **labels}
        for image in tree.iter("parentImage")
    ]


@DATASETS.register("openi", aliases=("iu-xray",))
def load_openi(root: str | Path, options: LoadOptions = LoadOptions()) -> DownstreamDataset:
    root = Path(root)
    images = {p.stem: str(p) for p in sorted(root.rglob("*.png"))}
    if not images:
        raise InputError(f"{root} does not look like OpenI with images: expected {root}/images/CXR<n>_*.png")
    rows = [row for name, data in _reports(root) for row in _parse(name, data) if row["item_id"] in images]
    if not rows:
        raise InputError(f"no OpenI report in {root}/reports names any of the {len(images)} images found")
    items = pd.DataFrame(rows).drop_duplicates("item_id")
    items["image_path"] = items["item_id"].map(images)
    items["view"] = None
    items["split"] = assign_splits(items["patient_id"], options.seed)
    return finalize(
        "openi",
        root,
        "multilabel",
        tuple(MESH_CLASSES),
        items,
        options,
        notes={"labels": "major MeSH terms", "splits": f"70/10/20 by report, seed {options.seed}"},
    )
