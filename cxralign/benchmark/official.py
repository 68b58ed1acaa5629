"""The official CXR-Align release (PhysioNet JSON) to and from our on-disk format.

Official shape: ``{source: {image_id: {report, chosen, negation, omitted, location}}}``
with MIMIC-CXR DICOM ids as image ids. Importing maps each entry to a ``negate``
and an ``omit`` row, finds the JPEG in a MIMIC-CXR-JPG tree and assigns splits.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import json
import os
import re
from collections import Counter, defaultdict
from pathlib import Path

from cxralign.benchmark.controls import DEFAULT_CONTROLS, assign_controls
from cxralign.benchmark.splits import SplitAssigner
from cxralign.benchmark.write import dataset_card, dump_json, write_parquet, write_text
from cxralign.errors import InputError
from cxralign.utils.atomic import atomic_directory, check_output_dir
from cxralign.utils.hashing import sha256_file
from cxralign.vocab import CHEXPERT_14

LOCATIONS = ("first", "middle", "last", "add")
_ALIASES = {"effusion": "Pleural Effusion", "opacity": "Lung Opacity", "lesion": "Lung Lesion",
            "enlarged cardiac silhouette": "Cardiomegaly", "devices": "Support Devices"}  # fmt: skip
_FIELDS = ("report", "chosen", "negation", "omitted")
_WORD = re.compile(r"\S+")


def normalise_observation(name: str) -> str | None:
    lookup = {n.lower(): n for n in CHEXPERT_14}
    key = " ".join(str(name).replace("_", " ").split()).lower()
    return lookup.get(key) or _ALIASES.get(key)


def read_official(path: str | os.PathLike[str]) -> dict[str, dict[str, dict]]:
    """Load and check the official JSON; one clear error for a wrong shape."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(data, dict) or not data or not all(isinstance(v, dict) for v in data.values()):
        raise InputError(
            f"{path}: expected {{source: {{image_id: {{report, chosen, negation, omitted, location}}}}}}"
        )
    for source, entries in data.items():
        for image_id, entry in entries.items():
            if not isinstance(entry, dict) or any(key not in entry for key in _FIELDS):
                missing = [k for k in _FIELDS if not isinstance(entry, dict) or k not in entry]
                raise InputError(f"{path}: {source}/{image_id} lacks {', '.join(missing)}")
    return data


def _open_csv(path: Path):
    """Rows of a (gzipped) CSV table, closed when exhausted."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as raw:
        yield from csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))


def _find_table(root: Path, stem: str) -> Path | None:
    for candidate in (root / f"{stem}.csv.gz", root / f"{stem}.csv"):
        if candidate.exists():
            return candidate
    return None


def index_mimic_jpg(
    root: str | os.PathLike[str] | None,
) -> tuple[dict[str, tuple[str, str, str | None]], dict[str, str]]:
    """``dicom_id -> (subject_id, study_id, jpg path or None)`` and ``study_id -> split`` from a MIMIC-CXR-JPG root."""
    if root is None:
        return {}, {}
    base = Path(root).expanduser().resolve()  # stored paths are absolute, so eval finds them from OUT
    if not base.is_dir():
        raise InputError(f"{root}: MIMIC-CXR-JPG root is not a folder")
    images: dict[str, tuple[str, str, str | None]] = {}
    metadata = _find_table(base, "mimic-cxr-2.0.0-metadata")
    if metadata is not None:
        for row in _open_csv(metadata):
            subject, study = row["subject_id"], row["study_id"]
            path = base / "files" / f"p{subject[:2]}" / f"p{subject}" / f"s{study}" / f"{row['dicom_id']}.jpg"
            images[row["dicom_id"]] = (subject, study, str(path) if path.exists() else None)
    else:
        for path in sorted((base / "files").glob("p*/p*/s*/*.jpg")):
            images[path.stem] = (path.parent.parent.name[1:], path.parent.name[1:], str(path))
    splits: dict[str, str] = {}
    split_table = _find_table(base, "mimic-cxr-2.0.0-split")
    if split_table is not None:
        for row in _open_csv(split_table):
            splits[row["study_id"]] = row["split"]
    return images, splits


def diff_changes(original: str, variant: str) -> list[dict]:
    """Word-level changes (offsets into the original) between two texts."""
    a = [(m.start(), m.end()) for m in _WORD.finditer(original)]
    b = [(m.start(), m.end()) for m in _WORD.finditer(variant)]
    words_a = [original[s:e] for s, e in a]
    words_b = [variant[s:e] for s, e in b]
    changes = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, words_a, words_b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        start = a[i1][0] if i1 < len(a) else len(original)
        end = a[i2 - 1][1] if i2 > i1 else start
        after = variant[b[j1][0] : b[j2 - 1][1]] if j2 > j1 else ""
        changes.append(
            {
                "start": start,
                "end": end,
                "before": original[start:end],
                "after": after,
                "sentence_index": None,
            }
        )
    return changes


def import_official(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    images_root: str | os.PathLike[str] | None = None,
    *,
    overwrite: bool = False,
    seed: int = 0,
    controls: int = DEFAULT_CONTROLS,
) -> dict:
    """Write the official release in our layout (``negate`` and ``omit`` configs); returns the manifest."""
    check_output_dir(out, overwrite)
    data = read_official(path)
    images, study_splits = index_mimic_jpg(images_root)
    from cxralign.reports import analyze, report_labels

    splitter = SplitAssigner()
    with_split: set[str] = set()
    rows: list[dict] = []
    unknown: Counter[str] = Counter()
    locations: Counter[str] = Counter()
    for source in sorted(data):
        for image_id in sorted(data[source]):
            entry = data[source][image_id]
            target = normalise_observation(entry["chosen"])
            if target is None:
                unknown[str(entry["chosen"])] += 1
                continue
            subject, study, image_path = images.get(image_id, (None, None, None))
            patient_key = subject or f"image:{image_id}"
            if study is not None and study in study_splits:
                splitter.observe(patient_key, study_splits[study])
                with_split.add(patient_key)
            labels = report_labels(analyze(entry["report"]))
            location = str(entry.get("location") or "").lower() or None
            locations[location or "none"] += 1
            base = {
                "item_id": f"{source}/{image_id}",
                "patient_id": subject,
                "study_id": study,
                "image_id": image_id,
                "image_path": image_path,
                "has_image": image_path is not None,
                "target": target,
                "target_concept": None,
                "target_present": True,
                "original": entry["report"],
                "location": location,
                "labels": json.dumps({n: labels.get(n) for n in CHEXPERT_14}),
                "_stated": tuple(sorted(n for n, v in labels.items() if v in (1.0, -1.0))) or (target,),
                "_patient_key": patient_key,
                "balanced": False,  # negate and omit only: no balanced set
            }
            for op, key in (("negate", "negation"), ("omit", "omitted")):
                if not entry.get(key):
                    continue
                rows.append({**base, "op": op, "variant": entry[key],
                             "changes": json.dumps(diff_changes(entry["report"], entry[key]), sort_keys=True)})  # fmt: skip
    if not rows:
        raise InputError(f"{path}: no usable entries (unknown findings: {dict(unknown) or 'none'})")
    for row in rows:  # MIMIC's split where the split table names the study, else everything is test
        row["split"] = splitter.assign(row["_patient_key"]) if row["_patient_key"] in with_split else "test"
    by_file: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        by_file[(row["op"], row["split"])].append(row)
    for file_rows in by_file.values():
        assign_controls(file_rows, seed, controls)
    counts = {op: dict(Counter(r["split"] for r in rows if r["op"] == op)) for op in ("negate", "omit")}
    manifest = {
        "format": "cxralign-benchmark",
        "format_version": 1,
        "source": "official",
        "access": "credentialed",
        "data_use": "CXR-Align and MIMIC-CXR are credentialed PhysioNet data; keep this output under their agreements.",
        "inputs": [{"name": Path(path).name, "sha256": sha256_file(path)}],
        "options": {"seed": seed, "controls": controls, "images_root_given": images_root is not None},
        "counts": {
            "entries": sum(len(v) for v in data.values()),
            "items": len({r["item_id"] for r in rows}),
            "with_image": len({r["item_id"] for r in rows if r["has_image"]}),
            "unknown_findings": dict(unknown),
            "locations": dict(locations),
            "splits": counts,
        },
    }
    with atomic_directory(out, overwrite=overwrite) as tmp:
        files: dict[str, list[str]] = defaultdict(list)
        for (op, split), file_rows in sorted(by_file.items()):
            write_parquet(tmp / "data" / op / f"{split}.parquet", file_rows)
            files[op].append(split)
        write_text(tmp / "cxr-align.json", dump_json(data))
        notice = "Imported from the official CXR-Align release (PhysioNet, credentialed access): keep it under its data use agreement."
        write_text(
            tmp / "README.md",
            dataset_card("CXR-Align (official release)", files, counts, "official", "credentialed", notice),
        )
        write_text(tmp / "manifest.json", dump_json(manifest))
    return manifest
