"""Importing the official CXR-Align JSON (fabricated, in the release's shape) into our layout."""

from __future__ import annotations

import gzip
import json

import pyarrow.parquet as pq
import pytest
from PIL import Image

from cxralign.benchmark import import_official
from cxralign.benchmark.official import diff_changes, read_official
from cxralign.errors import InputError

OFFICIAL = {
    "mimic": {
        "d1a": {
            "report": "There is a small left pleural effusion. No pneumothorax.",
            "chosen": "Pleural Effusion",
            "negation": "There is no left pleural effusion. No pneumothorax.",
            "omitted": "No pneumothorax.",
            "location": "first",
        },
        "d2b": {
            "report": "Heart size is normal. Mild pulmonary edema. No effusion.",
            "chosen": "edema",
            "negation": "Heart size is normal. No pulmonary edema. No effusion.",
            "omitted": "Heart size is normal. No effusion.",
            "location": "middle",
        },
        "d3c": {
            "report": "Lungs are clear. Moderate cardiomegaly.",
            "chosen": "Cardiomegaly",
            "negation": "Lungs are clear. No cardiomegaly.",
            "omitted": "Lungs are clear.",
            "location": "last",
        },
        "d4d": {
            "report": "Right lower lobe pneumonia.",
            "chosen": "Pneumonia",
            "negation": "No pneumonia.",
            "omitted": "No acute process.",
            "location": "add",
        },
    }
}


@pytest.fixture
def mimic_jpg(tmp_path):
    root = tmp_path / "mimic-cxr-jpg"
    rows = [("d1a", "10000001", "50000001"), ("d2b", "10000002", "50000002"), ("d3c", "10000001", "50000003")]
    root.mkdir(parents=True)
    with gzip.open(root / "mimic-cxr-2.0.0-metadata.csv.gz", "wt") as handle:
        handle.write("dicom_id,subject_id,study_id,ViewPosition\n")
        for dicom, subject, study in rows:
            handle.write(f"{dicom},{subject},{study},PA\n")
            folder = root / "files" / f"p{subject[:2]}" / f"p{subject}" / f"s{study}"
            folder.mkdir(parents=True, exist_ok=True)
            Image.new("L", (8, 8)).save(folder / f"{dicom}.jpg")
    with gzip.open(root / "mimic-cxr-2.0.0-split.csv.gz", "wt") as handle:
        handle.write("dicom_id,study_id,subject_id,split\n")
        handle.write(
            "d1a,50000001,10000001,test\nd2b,50000002,10000002,validate\nd3c,50000003,10000001,test\n"
        )
    return root


def test_import_maps_entries_to_negate_and_omit_rows(tmp_path, mimic_jpg):
    source = tmp_path / "cxr-align.json"
    source.write_text(json.dumps(OFFICIAL))
    out = tmp_path / "official"
    manifest = import_official(source, out, mimic_jpg)
    assert manifest["counts"]["items"] == 4 and manifest["counts"]["with_image"] == 3
    assert manifest["access"] == "credentialed"
    negate = {}
    for path in (out / "data" / "negate").glob("*.parquet"):
        for row in pq.read_table(path).to_pylist():
            negate[row["image_id"]] = row
    assert negate["d1a"]["split"] == "test" and negate["d2b"]["split"] == "validation"
    assert negate["d4d"]["split"] == "test" and negate["d4d"]["has_image"] is False
    assert negate["d2b"]["target"] == "Edema" and negate["d2b"]["location"] == "middle"
    assert negate["d1a"]["image_path"].endswith("files/p10/p10000001/s50000001/d1a.jpg")
    assert negate["d1a"]["patient_id"] == "10000001" and negate["d1a"]["study_id"] == "50000001"
    changes = json.loads(negate["d1a"]["changes"])
    assert [(c["before"], c["after"]) for c in changes] == [("a small", "no")]
    assert json.loads(negate["d3c"]["labels"])["Cardiomegaly"] == 1.0
    assert negate["d1a"]["control_image_ids"] == ["d3c"] or negate["d1a"]["control_image_ids"] == []
    omit_files = sorted(p.name for p in (out / "data" / "omit").glob("*.parquet"))
    assert omit_files == ["test.parquet", "validation.parquet"]
    assert json.loads((out / "cxr-align.json").read_text()) == OFFICIAL


def test_import_without_images_makes_text_only_test_items(tmp_path):
    source = tmp_path / "cxr-align.json"
    source.write_text(json.dumps(OFFICIAL))
    manifest = import_official(source, tmp_path / "o", None)
    assert manifest["counts"]["with_image"] == 0
    rows = pq.read_table(tmp_path / "o" / "data" / "negate" / "test.parquet").to_pylist()
    assert len(rows) == 4 and not any(r["has_image"] for r in rows)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected {source"),
        (json.dumps({"mimic": {"x": {"report": "a", "chosen": "Edema"}}}), "lacks negation, omitted"),
    ],
)
def test_bad_official_files_raise_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_official(path)


def test_unknown_findings_are_counted_not_silently_dropped(tmp_path):
    data = {"mimic": {**OFFICIAL["mimic"], "d9z": {**OFFICIAL["mimic"]["d1a"], "chosen": "Hernia"}}}
    source = tmp_path / "cxr-align.json"
    source.write_text(json.dumps(data))
    manifest = import_official(source, tmp_path / "o")
    assert manifest["counts"]["unknown_findings"] == {"Hernia": 1}


def test_cli_import_official(tmp_path, mimic_jpg):
    from typer.testing import CliRunner

    from cxralign.cli import _register_commands, app

    source = tmp_path / "cxr-align.json"
    source.write_text(json.dumps(OFFICIAL))
    _register_commands()
    args = [
        "build",
        "--import-official",
        str(source),
        "--images",
        str(mimic_jpg),
        "--out",
        str(tmp_path / "o"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "imported 4 of 4 entries (3 with images)" in result.output


def test_diff_changes_are_word_level_offsets_into_the_original():
    original = "Heart size is normal. Mild pulmonary edema. No effusion."
    variant = "Heart size is normal. No pulmonary edema. No effusion."
    [change] = diff_changes(original, variant)
    assert original[change["start"] : change["end"]] == "Mild" and change["after"] == "No"
