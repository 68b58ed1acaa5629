"""Report corpus readers on fabricated files in the real layouts (tests/fixtures/corpora)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import shutil
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from cxralign.data.corpora import (
    ReportRecord,
    decode_utf8,
    find_openi_archive,
    infer_source,
    read_corpus,
)
from cxralign.errors import ConfigError, CxrAlignError, InputError

FIXTURES = Path(__file__).parent / "fixtures" / "corpora"


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    if (FIXTURES / name).is_dir():
        shutil.copytree(FIXTURES / name, target)
    else:
        shutil.copy(FIXTURES / name, target)
    return target


def _zip_tree(root: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(root).as_posix())
    return target


def _tgz_tree(root: Path, target: Path) -> Path:
    with tarfile.open(target, "w:gz") as archive:
        archive.add(root, arcname=".", recursive=True)
    return target


# --- records and decoding -------------------------------------------------------------------------


def test_record_is_frozen_and_hashable_despite_meta() -> None:
    record = ReportRecord("r1", "text", meta={"a": 1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.text = "other"  # type: ignore[misc]
    assert hash(record) == hash(ReportRecord("r1", "text", meta={"b": 2}))


def test_decode_counts_only_inserted_replacements() -> None:
    assert decode_utf8("héllo".encode()) == ("héllo", 0)
    assert decode_utf8(b"\xef\xbb\xbfBOM") == ("BOM", 0)
    text, replaced = decode_utf8(b"a\xffb\xfe c \xef\xbf\xbd")  # two bad bytes plus a genuine U+FFFD
    assert text == "a\ufffdb\ufffd c \ufffd"
    assert replaced == 2


# --- csv / jsonl --------------------------------------------------------------------------------


def test_csv_guesses_columns_and_keeps_empty_reports() -> None:
    reader = read_corpus("csv", FIXTURES / "reports.csv")
    records = list(reader)
    assert len(reader) == 4
    assert [r.report_id for r in records] == ["r1", "r2", "r3", "r4"]
    assert records[1].text == "Large right pleural effusion. Cardiomegaly."
    assert records[3].text == ""
    assert records[0].patient_id == "P1"
    assert records[0].meta["source_line"] == 2
    assert reader.skipped == [] and reader.n_decode_replaced == 0


def test_csv_row_numbers_when_no_id_column(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('Report Impression\n"No effusion."\n"Cardiomegaly, stable."\n')
    assert [(r.report_id, r.text) for r in read_corpus(None, path)] == [
        ("0", "No effusion."),
        ("1", "Cardiomegaly, stable."),
    ]


def test_headerless_csv_reads_one_report_per_row(tmp_path: Path) -> None:
    path = tmp_path / "sample.csv"
    path.write_text('No effusion\n"1. Effusion.\n\n2. Cardiomegaly."\n')
    records = list(read_corpus("csv", path, has_header=False))
    assert [r.text for r in records] == ["No effusion", "1. Effusion.\n\n2. Cardiomegaly."]


def test_missing_text_column_names_existing_columns() -> None:
    with pytest.raises(InputError) as error:
        read_corpus("csv", FIXTURES / "reports.csv", text_column="findings")
    assert "'findings'" in str(error.value)
    assert "'id', 'report', 'patient_id'" in str(error.value)


def test_unguessable_text_column_names_existing_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("key,body\n1,No effusion.\n")
    with pytest.raises(InputError, match=r"columns are 'key', 'body'; pass --text-column"):
        read_corpus("csv", path)
    assert [r.report_id for r in read_corpus("csv", path, text_column="body", id_column="key")] == ["1"]


def test_missing_id_column_is_an_error() -> None:
    with pytest.raises(InputError, match="no id column 'study'"):
        read_corpus("csv", FIXTURES / "reports.csv", id_column="study")


def test_duplicate_ids_are_an_error_unless_allowed(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("id,text\na,one\nb,two\na,three\n")
    with pytest.raises(InputError, match=r"dup.csv:4: duplicate id 'a' \(first at line 2\)"):
        read_corpus("csv", path)
    records = list(read_corpus("csv", path, allow_duplicate_ids=True))
    assert [r.report_id for r in records] == ["a", "b", "a"]


def test_empty_id_and_ragged_rows_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,text\n,one\n")
    with pytest.raises(InputError, match="t.csv:2: empty id"):
        read_corpus("csv", path)
    path.write_text("id,text\n1,one,extra\n")
    with pytest.raises(InputError, match="t.csv:2: 3 fields but the header has 2"):
        read_corpus("csv", path)


def test_csv_bad_bytes_are_replaced_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id,text\n1,Small effusion\xff.\n2,Clear \xfe\xfe lungs\n")
    reader = read_corpus("csv", path)
    texts = [r.text for r in reader]
    assert texts == ["Small effusion\ufffd.", "Clear \ufffd\ufffd lungs"]
    assert reader.n_decode_replaced == 3
    assert reader.decode_replaced_in == [str(path)]


def test_jsonl_reads_ids_nulls_and_skips_blank_lines() -> None:
    reader = read_corpus(None, FIXTURES / "reports.jsonl")
    assert [(r.report_id, r.text) for r in reader] == [
        ("7", "Moderate cardiomegaly with mild pulmonary edema."),
        ("8", "No acute cardiopulmonary process."),
        ("9", ""),
    ]


def test_jsonl_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": 1, "text": "a"}\n{"id": 2, "text": \n')
    with pytest.raises(InputError, match=r"r.jsonl:2: not valid JSON"):
        read_corpus("jsonl", path)
    path.write_text('{"id": 1, "text": "a"}\n{"id": 2, "body": "b"}\n')
    with pytest.raises(InputError, match=r"r.jsonl:2: no field 'text'; fields are 'id', 'body'"):
        read_corpus("jsonl", path)
    path.write_text("[1, 2]\n")
    with pytest.raises(InputError, match="expected a JSON object"):
        read_corpus("jsonl", path)


def test_table_options_recognise_patient_and_image_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(
        json.dumps({"report_id": "x", "report": "r", "subject_id": 5, "image_path": "a.png"}) + "\n"
    )
    (record,) = read_corpus("jsonl", path)
    assert (record.report_id, record.patient_id, record.image_paths) == ("x", "5", ("a.png",))


# --- MIMIC-CXR ------------------------------------------------------------------------------------


def test_mimic_tree_ids_order_and_non_report_files() -> None:
    reader = read_corpus(None, FIXTURES / "mimic")
    records = list(reader)
    assert [(r.patient_id, r.report_id) for r in records] == [
        ("p10000032", "s50414267"),
        ("p10000032", "s53189527"),
        ("p10000764", "s57375967"),
        ("p11000011", "s51029426"),
    ]
    assert all(r.study_id == r.report_id and r.source == "mimic" for r in records)
    assert "FINDINGS:" in records[0].text and "No acute cardiopulmonary process." in records[0].text
    assert [where for where, _ in reader.skipped] == ["files/notes.txt"]
    assert reader.skipped[0][1].startswith("not a report path")


@pytest.mark.parametrize("prefix", ["", "mimic-cxr-reports/"])
def test_mimic_zip_matches_the_tree(tmp_path: Path, prefix: str) -> None:
    archive = _zip_tree(FIXTURES / "mimic", tmp_path / "mimic-cxr-reports.zip", prefix)
    assert infer_source(archive) == "mimic"
    from_zip = [(r.report_id, r.text) for r in read_corpus(None, archive)]
    from_tree = [(r.report_id, r.text) for r in read_corpus("mimic", FIXTURES / "mimic")]
    assert from_zip == from_tree


def test_mimic_unreadable_file_is_listed_and_skipped(tmp_path: Path) -> None:
    root = _copy("mimic", tmp_path)
    (root / "files/p10/p10000764/s59999999.txt").symlink_to(tmp_path / "gone.txt")  # dangling link
    reader = read_corpus("mimic", root)
    assert len(reader) == 5
    ids = [r.report_id for r in reader]
    assert "s59999999" not in ids and len(ids) == 4
    assert ("files/p10/p10000764/s59999999.txt", "unreadable: No such file or directory") in reader.skipped


def test_mimic_permission_denied_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy("mimic", tmp_path)
    reader = read_corpus("mimic", root)
    real_open = open

    def guarded_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file).endswith("s53189527.txt"):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", guarded_open)
    assert [r.report_id for r in reader] == ["s50414267", "s57375967", "s51029426"]
    assert ("files/p10/p10000032/s53189527.txt", "unreadable: Permission denied") in reader.skipped


def test_mimic_bad_utf8_is_replaced_and_counted(tmp_path: Path) -> None:
    root = _copy("mimic", tmp_path)
    (root / "files/p11/p11000011/s51029426.txt").write_bytes(b"FINDINGS: Lungs are clear\xe9\xff.\n")
    reader = read_corpus("mimic", root)
    text = {r.report_id: r.text for r in reader}["s51029426"]
    assert text == "FINDINGS: Lungs are clear\ufffd\ufffd.\n"
    assert reader.n_decode_replaced == 2
    assert reader.decode_replaced_in == ["files/p11/p11000011/s51029426.txt"]


def test_mimic_duplicate_studies_and_empty_trees(tmp_path: Path) -> None:
    root = _copy("mimic", tmp_path)
    copy = root / "extra/p10/p10000032"
    copy.mkdir(parents=True)
    shutil.copy(root / "files/p10/p10000032/s50414267.txt", copy)
    with pytest.raises(InputError, match="study s50414267 appears twice"):
        read_corpus("mimic", root)
    assert len(read_corpus("mimic", root, allow_duplicate_ids=True)) == 5
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no MIMIC-CXR reports found"):
        read_corpus("mimic", tmp_path / "empty")


def test_mimic_images_from_a_jpg_root(tmp_path: Path) -> None:
    study = tmp_path / "mimic-cxr-jpg/files/p10/p10000032/s50414267"
    study.mkdir(parents=True)
    for dicom in ("02aa804e-bde0afdd", "174413ec-4ec4c1f7"):
        (study / f"{dicom}.jpg").write_bytes(b"\xff\xd8")
    reader = read_corpus("mimic", FIXTURES / "mimic", images_root=tmp_path / "mimic-cxr-jpg")
    records = {r.report_id: r for r in reader}
    assert records["s50414267"].image_ids == ("02aa804e-bde0afdd", "174413ec-4ec4c1f7")
    assert records["s50414267"].image_paths == tuple(
        str(study / f"{d}.jpg") for d in records["s50414267"].image_ids
    )
    assert records["s53189527"].image_paths == ()
    assert reader.n_without_images == 3


def test_bad_zip_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "reports.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable zip archive"):
        read_corpus(None, path)


# --- OpenI ----------------------------------------------------------------------------------------


def test_openi_tgz_sections_ids_and_images(tmp_path: Path) -> None:
    archive = _tgz_tree(FIXTURES / "openi", tmp_path / "NLMCXR_reports.tgz")
    assert infer_source(archive) == "openi"
    reader = read_corpus(None, archive)
    records = list(reader)
    assert [r.report_id for r in records] == ["CXR1", "CXR2", "CXR10"]  # natural order, not archive order
    assert records[0].text == (
        "COMPARISON: None.\nINDICATION: Cough.\n"
        "FINDINGS: The heart is normal in size. The lungs are clear. No pleural effusion.\n"
        "IMPRESSION: Normal chest."
    )
    assert records[1].text == (
        "INDICATION: Dyspnea & fever.\n"
        "FINDINGS: Borderline cardiomegaly. Small right pleural effusion.\n"
        "IMPRESSION: Small right effusion."
    )
    assert records[2].image_ids == ("CXR10_1_IM-0016-1001", "CXR10_1_IM-0016-2001")
    assert records[0].meta["sections"]["IMPRESSION"] == "Normal chest."
    assert reader.skipped == []


def test_openi_folder_and_bad_documents(tmp_path: Path) -> None:
    root = _copy("openi", tmp_path)
    (root / "ecgen-radiology/3.xml").write_text("<eCitation><uId id='CXR3'/><Abstract>")
    (root / "ecgen-radiology/4.xml").write_text(
        "<eCitation><AbstractText Label='FINDINGS'>x</AbstractText></eCitation>"
    )
    reader = read_corpus("openi", root)
    assert [r.report_id for r in reader] == ["CXR1", "CXR2", "CXR10"]
    reasons = dict(reader.skipped)
    assert reasons["ecgen-radiology/3.xml"].startswith("malformed XML")
    assert reasons["ecgen-radiology/4.xml"] == "no <uId id=...> element"


def test_openi_images_root_prefers_existing_files(tmp_path: Path) -> None:
    (tmp_path / "png").mkdir()
    (tmp_path / "png/CXR1_1_IM-0001-3001.png").write_bytes(b"\x89PNG")
    records = {r.report_id: r for r in read_corpus("openi", FIXTURES / "openi", images_root=tmp_path / "png")}
    assert records["CXR1"].image_paths[0] == str(tmp_path / "png/CXR1_1_IM-0001-3001.png")


def test_find_openi_archive_without_torchxrayvision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match=r"pip install cxralign\[openi\]") as error:
        find_openi_archive()
    assert "\n" not in str(error.value)
    with pytest.raises(InputError, match="openi"):
        read_corpus("openi")


def test_find_openi_archive_does_not_import_torchxrayvision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "torchxrayvision"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('imported')\n")
    _tgz_tree(FIXTURES / "openi", package / "data/NLMCXR_reports.tgz")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "torchxrayvision", raising=False)
    assert find_openi_archive() == package / "data/NLMCXR_reports.tgz"
    assert "torchxrayvision" not in sys.modules
    assert [r.report_id for r in read_corpus("openi")] == ["CXR1", "CXR2", "CXR10"]


@pytest.mark.slow
def test_real_openi_archive_counts_only() -> None:
    """Counts only: the report text is CC BY-NC-ND and must not be asserted or copied."""
    try:
        archive = find_openi_archive()
    except CxrAlignError:
        pytest.skip("torchxrayvision (cxralign[openi]) not installed")
    reader = read_corpus("openi", archive)
    records = list(reader)
    assert len(records) == len(reader) >= 3900
    assert len({r.report_id for r in records}) == len(records)
    assert sum("FINDINGS:" in r.text or "IMPRESSION:" in r.text for r in records) >= 3900
    assert reader.n_decode_replaced == 0


# --- CheXpert Plus ---------------------------------------------------------------------------------


def test_chexpert_plus_groups_images_by_study() -> None:
    path = FIXTURES / "chexpert_plus.csv"
    assert infer_source(path) == "chexpert-plus"
    records = list(read_corpus(None, path))
    assert [(r.report_id, r.patient_id) for r in records] == [
        ("patient00001_study1", "patient00001"),
        ("patient00001_study2", "patient00001"),
        ("patient64541_study1", "patient64541"),
    ]
    first = records[0]
    assert first.text == (
        "HISTORY: shortness of breath\nCOMPARISON: None.\n"
        "FINDINGS: Large left pleural effusion.\nIMPRESSION: Large left pleural effusion."
    )
    assert first.image_paths == (
        "train/patient00001/study1/view1_frontal.jpg",
        "train/patient00001/study1/view2_lateral.jpg",
    )
    assert first.image_ids[0] == "train/patient00001/study1/view1_frontal"
    assert first.meta["split"] == "train" and first.meta["n_report_variants"] == 1
    assert "section_narrative" in first.meta and "report" not in first.meta
    assert records[1].text == "IMPRESSION: 1. No acute process.\n2. Stable cardiomegaly."
    assert records[2].text == "FINDINGS: Support devices in place."  # falls back to the report column


def test_chexpert_plus_images_root_and_bad_paths(tmp_path: Path) -> None:
    path = tmp_path / "df.csv"
    rows = (FIXTURES / "chexpert_plus.csv").read_text().splitlines(keepends=True)
    path.write_text("".join(rows) + rows[-1].replace("valid/patient64541/study1/", "elsewhere/"))
    png = tmp_path / "png/valid/patient64541/study1/view1_frontal.png"
    png.parent.mkdir(parents=True)
    png.write_bytes(b"\x89PNG")
    reader = read_corpus("chexpert-plus", path, images_root=tmp_path / "png")
    records = {r.report_id: r for r in reader}
    assert records["patient64541_study1"].image_paths == (str(png),)
    assert len(reader.skipped) == 1 and "elsewhere/view1_frontal.jpg" in reader.skipped[0][1]


def test_chexpert_plus_needs_its_columns() -> None:
    with pytest.raises(
        InputError, match="not a CheXpert Plus table.*columns are 'id', 'report', 'patient_id'"
    ):
        read_corpus("chexpert-plus", FIXTURES / "reports.csv")


# --- dispatch -------------------------------------------------------------------------------------


def test_options_that_do_not_apply_are_errors() -> None:
    with pytest.raises(ConfigError, match="--text-column does not apply to --source mimic"):
        read_corpus("mimic", FIXTURES / "mimic", text_column="report")
    with pytest.raises(ConfigError, match="unknown source 'pdf'"):
        read_corpus("pdf", FIXTURES / "reports.csv")
    with pytest.raises(ConfigError, match="needs an input path"):
        read_corpus("csv")


def test_infer_source_errors(tmp_path: Path) -> None:
    (tmp_path / "notes.docx").write_text("x")
    with pytest.raises(InputError, match="pass --source"):
        infer_source(tmp_path / "notes.docx")
    with pytest.raises(InputError, match="no such file"):
        infer_source(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="no MIMIC-CXR reports"):
        infer_source(tmp_path)
    assert infer_source(FIXTURES / "openi") == "openi"
