"""`cxralign build` on tiny fabricated corpora in each source's real layout."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from PIL import Image
from typer.testing import CliRunner

from cxralign.benchmark import COLUMNS, BenchmarkItem, BuildOptions, build_benchmark, load_benchmark
from cxralign.benchmark.controls import excluded_findings
from cxralign.errors import InputError, OutputExistsError
from cxralign.rewrite.spans import apply_changes

FINDINGS = [
    "There is a small left pleural effusion.",
    "Mild cardiomegaly.",
    "Small right apical pneumothorax.",
    "Right lower lobe consolidation.",
    "Mild pulmonary edema.",
    "Bibasilar atelectasis.",
    "There is a 1 cm nodule in the right upper lobe.",
    "The heart is moderately enlarged.",
]
NORMALS = [
    "No pneumothorax.",
    "No pleural effusion.",
    "There is no focal consolidation.",
    "No pulmonary edema.",
    "The heart is not enlarged.",
    "No acute fracture.",
]


def fabricated_reports(n: int = 36, seed: int = 1) -> list[dict]:
    """Varied reports: findings + impression, several studies per patient."""
    rng = random.Random(seed)
    reports = []
    for index in range(n):
        positives = rng.sample(FINDINGS, rng.randint(0, 2))
        negatives = rng.sample(NORMALS, 3)
        findings = " ".join(positives + negatives)
        impression = " ".join(positives) if positives else "No acute cardiopulmonary process."
        reports.append(
            {
                "report_id": f"s{50000000 + index}",
                "patient_id": f"p{10000000 + index // 3}",
                "report": f"FINDINGS: {findings}\nIMPRESSION: {impression}",
                "image_id": f"img{index:03d}",
            }
        )
    return reports


def png_bytes(value: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (8, 8), value).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def csv_source(tmp_path) -> Path:
    images = tmp_path / "imgs"
    images.mkdir()
    path = tmp_path / "reports.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, ["report_id", "patient_id", "report", "image_id", "image_path"])
        writer.writeheader()
        for row in fabricated_reports():
            (images / f"{row['image_id']}.png").write_bytes(png_bytes())
            writer.writerow({**row, "image_path": str(images / f"{row['image_id']}.png")})
    return path


def _rows(out: Path) -> list[dict]:
    rows = []
    for path in sorted((out / "data").glob("*/*.parquet")):
        table = pq.read_table(path)
        assert tuple(table.column_names) == COLUMNS
        rows += table.to_pylist()
    return rows


def test_csv_build_writes_the_documented_layout(csv_source, tmp_path):
    out = tmp_path / "bench"
    summary = build_benchmark(BuildOptions(source="csv", root=csv_source, out=out, text_column="report"))
    assert {p.name for p in out.iterdir()} == {"README.md", "manifest.json", "cxr-align.json", "data"}
    assert summary.reports_read == 36 and summary.items > 0
    rows = _rows(out)
    ops = {row["op"] for row in rows}
    assert {"negate", "omit", "affirm"} <= ops
    card = (out / "README.md").read_text()
    for op in ops:
        assert f"config_name: {op}" in card
    for row in rows:
        item = BenchmarkItem.from_row(row)
        assert item.variant == apply_changes(item.original, item.changes)
        assert item.variant != item.original
        assert item.target_present == (item.op != "affirm")
        assert item.location in ("first", "middle", "last", "add")
        labels = item.labels
        assert labels[item.target] == (1.0 if item.target_present else 0.0)
        assert item.has_image and Path(item.image_path).exists()
    # a patient's items never cross splits
    splits_by_patient: dict[str, set] = {}
    for row in rows:
        splits_by_patient.setdefault(row["patient_id"], set()).add(row["split"])
    assert all(len(s) == 1 for s in splits_by_patient.values())
    # controls: same split (any op), other patients; the edit's claim holds for them: an affirm
    # control states the finding, any other op's control states neither it nor a correlated one
    by_image = {r["image_id"]: r for r in rows}
    for row in rows:
        for control in row["control_image_ids"]:
            other = by_image[control]
            assert other["split"] == row["split"] and other["patient_id"] != row["patient_id"]
            labels = json.loads(other["labels"])
            if row["op"] == "affirm":
                assert labels[row["target"]] == 1.0
            else:
                assert all(labels[f] not in (1.0, -1.0) for f in excluded_findings(row["target"]))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["access"] == "as the source" and manifest["options"]["seed"] == 0
    assert manifest["inputs"][0]["name"] == "reports.csv" and len(manifest["inputs"][0]["sha256"]) == 64
    assert set(manifest["blind_baselines"]) >= {"negate", "affirm", "balanced"}
    official = json.loads((out / "cxr-align.json").read_text())
    entries = official["csv"]
    assert entries and all(
        set(e) == {"report", "chosen", "negation", "omitted", "location"} for e in entries.values()
    )


def test_same_inputs_and_seed_give_identical_bytes_with_any_worker_count(csv_source, tmp_path):
    outs = []
    for name, workers in (("a", 1), ("b", 2)):
        out = tmp_path / name
        build_benchmark(BuildOptions(source="csv", root=csv_source, out=out, workers=workers, seed=3))
        outs.append(out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    for rel in files:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel


def test_seed_changes_choices_but_not_validity(csv_source, tmp_path):
    a = build_benchmark(
        BuildOptions(source="csv", root=csv_source, out=tmp_path / "a", seed=0, ops=("affirm",))
    )
    b = build_benchmark(
        BuildOptions(source="csv", root=csv_source, out=tmp_path / "b", seed=1, ops=("affirm",))
    )
    texts_a = sorted(r["variant"] for r in _rows(tmp_path / "a"))
    texts_b = sorted(r["variant"] for r in _rows(tmp_path / "b"))
    assert a.items == b.items and texts_a != texts_b


def test_existing_output_needs_overwrite_and_require_images_fails_on_text_only(csv_source, tmp_path):
    out = tmp_path / "bench"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    with pytest.raises(OutputExistsError):
        build_benchmark(BuildOptions(source="csv", root=csv_source, out=out))
    assert (out / "keep.txt").read_text() == "precious"
    jsonl = tmp_path / "reports.jsonl"
    jsonl.write_text(
        "".join(json.dumps({"id": r["report_id"], "text": r["report"]}) + "\n" for r in fabricated_reports())
    )
    with pytest.raises(InputError, match="have no image"):
        build_benchmark(BuildOptions(source="jsonl", root=jsonl, out=tmp_path / "t", require_images=True))
    assert not (tmp_path / "t").exists()
    summary = build_benchmark(BuildOptions(source="jsonl", root=jsonl, out=tmp_path / "t"))
    assert summary.without_image == summary.items
    rows = _rows(tmp_path / "t")
    assert all(not r["has_image"] and r["image_path"] is None and r["control_image_ids"] == [] for r in rows)


def test_caps_findings_filter_and_rejected_file(csv_source, tmp_path):
    rejected = tmp_path / "rejected.jsonl"
    summary = build_benchmark(
        BuildOptions(
            source="csv",
            root=csv_source,
            out=tmp_path / "b",
            findings=("pleural effusion", "Pneumothorax"),
            max_per_finding=3,
            rejected=rejected,
        )
    )
    rows = _rows(tmp_path / "b")
    assert {r["target"] for r in rows} <= {"Pleural Effusion", "Pneumothorax"}
    per_key: dict = {}
    for row in rows:
        per_key.setdefault((row["target"], row["target_present"]), set()).add(row["item_id"])
    assert all(len(ids) <= 3 for ids in per_key.values())
    assert summary.capped > 0
    assert rejected.exists()
    for line in rejected.read_text().splitlines():
        assert {"op", "target", "reason", "original"} <= set(json.loads(line))


def test_load_benchmark_gives_a_datasets_dataset(csv_source, tmp_path):
    import datasets

    out = tmp_path / "bench"
    build_benchmark(BuildOptions(source="csv", root=csv_source, out=out))
    split = sorted(p.stem for p in (out / "data" / "negate").glob("*.parquet"))[0]
    dataset = load_benchmark(out, "negate", split)
    assert isinstance(dataset, datasets.Dataset)
    assert dataset.column_names[: len(COLUMNS)] == list(COLUMNS)  # then "image" where the build has images
    assert BenchmarkItem.from_row(dataset[0]).op == "negate"
    with pytest.raises(InputError, match="no negate/nonexistent split"):
        load_benchmark(out, "negate", "nonexistent")


def test_mimic_tree_build_is_credentialed_and_finds_jpgs(tmp_path):
    from cxralign.cli import _register_commands, app

    reports, images = tmp_path / "mimic-cxr-reports", tmp_path / "mimic-cxr-jpg"
    for row in fabricated_reports(24):
        patient, study = row["patient_id"], row["report_id"]
        folder = reports / "files" / patient[:3] / patient
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{study}.txt").write_text(
            "                                 FINAL REPORT\n " + row["report"]
        )
        image_folder = images / "files" / patient[:3] / patient / study
        image_folder.mkdir(parents=True, exist_ok=True)
        Image.new("L", (8, 8)).save(image_folder / f"{row['image_id']}-dicom.jpg")
    _register_commands()
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "build",
            "--source",
            "mimic",
            "--root",
            str(reports),
            "--images",
            str(images),
            "--out",
            str(out),
            "--ops",
            "negate,affirm",
            "--preview",
            "2",
        ],  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    assert "data use agreement" in result.output and "reports read 24" in result.output
    assert "sampled items" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["access"] == "credentialed"
    rows = _rows(out)
    assert rows and all(r["has_image"] and r["image_path"].endswith(".jpg") for r in rows)
    assert all(r["image_id"].endswith("-dicom") for r in rows)


def test_chexpert_plus_build(tmp_path):
    path = tmp_path / "df_chexpert_plus_240401.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, ["path_to_image", "section_findings", "section_impression"])
        writer.writeheader()
        for row in fabricated_reports(18):
            findings, impression = row["report"].split("\nIMPRESSION: ")
            writer.writerow(
                {
                    "path_to_image": f"train/patient{row['patient_id'][1:]}/study{row['report_id'][-2:]}/view1_frontal.jpg",
                    "section_findings": findings.removeprefix("FINDINGS: "),
                    "section_impression": impression,
                }
            )
    summary = build_benchmark(
        BuildOptions(source="chexpert-plus", root=path, out=tmp_path / "out", ops=("negate",))
    )
    assert summary.credentialed and summary.items > 0
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["access"] == "credentialed"
    assert all(r["patient_id"].startswith("patient") for r in _rows(tmp_path / "out"))


def test_phantom_build_copies_images_and_keeps_source_splits(phantom_dataset, tmp_path):
    out = tmp_path / "out"
    summary = build_benchmark(
        BuildOptions(source="phantoms", root=phantom_dataset, out=out, ops=("negate", "affirm"))
    )
    assert summary.items > 0 and summary.without_image == 0
    source_split = {}
    for path in (phantom_dataset / "data").glob("*.parquet"):
        for row in pq.read_table(path, columns=["sample_id", "split"]).to_pylist():
            source_split[row["sample_id"]] = row["split"]
    for row in _rows(out):
        assert row["image_path"] == f"images/{row['image_id']}.png"
        assert (out / row["image_path"]).read_bytes()[:4] == b"\x89PNG"
        assert row["split"] == source_split[row["image_id"]]


def test_cli_errors_are_one_line(tmp_path):
    from cxralign.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "build",
                "--source",
                "csv",
                "--root",
                str(tmp_path / "missing.csv"),
                "--out",
                str(tmp_path / "o"),
            ]
        )
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        main(
            [
                "build",
                "--source",
                "csv",
                "--root",
                "x.csv",
                "--out",
                str(tmp_path / "o"),
                "--ops",
                "paraphrase",
            ]
        )


def test_rejections_are_counted_by_stage_and_written_for_review(tmp_path):
    reports = [
        "FINDINGS: Opacity at the left base may reflect atelectasis. No pneumothorax.",
        "FINDINGS: Left lower lobe atelectasis or pneumonia. No effusion.",
        "FINDINGS: There is a small left pleural effusion. No pneumothorax.",
    ]
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in enumerate(reports)))
    rejected = tmp_path / "rejected.jsonl"
    summary = build_benchmark(
        BuildOptions(
            source="jsonl", root=path, out=tmp_path / "o", ops=("negate",), per_report=3, rejected=rejected
        )
    )
    assert sum(sum(v.values()) for v in summary.unsupported.values()) >= 1
    lines = [json.loads(line) for line in rejected.read_text().splitlines()]
    assert lines and all(line["stage"] in ("proposal", "verification") and line["reason"] for line in lines)
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["rejections"]["unsupported"] == summary.unsupported
    assert manifest["verification_pass_rate"]["negate"] is not None


def test_strip_comparisons_rewrites_the_original_before_anything_else(tmp_path):
    path = tmp_path / "r.jsonl"
    text = (
        "FINDINGS: Compared to the prior study, there is a new small left pleural effusion. No pneumothorax."
    )
    path.write_text(json.dumps({"id": "r1", "text": text}) + "\n")
    build_benchmark(
        BuildOptions(source="jsonl", root=path, out=tmp_path / "o", ops=("negate",), strip_comparisons=True)
    )
    [row] = _rows(tmp_path / "o")
    assert row["original"] == "FINDINGS: There is a small left pleural effusion. No pneumothorax."
    assert row["variant"] == "FINDINGS: There is no pleural effusion. No pneumothorax."


def test_corpus_phrasing_build_uses_the_corpus_statements(csv_source, tmp_path):
    summary = build_benchmark(
        BuildOptions(
            source="csv", root=csv_source, out=tmp_path / "o", ops=("negate", "affirm"), phrasing="corpus"
        )
    )
    assert summary.items > 0
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["options"]["phrasing"] == "corpus"
    rows = [r for r in _rows(tmp_path / "o") if r["op"] == "negate" and r["target"] == "Pneumothorax"]
    assert rows
    for row in rows:  # rules would write "No right apical pneumothorax."; the corpus says "No pneumothorax."
        assert "Small right apical pneumothorax" in row["original"]
        assert "apical" not in row["variant"] and "No pneumothorax." in row["variant"]


def test_an_unreadable_report_is_skipped_and_counted_once(tmp_path):
    """The phrase-bank pre-pass reads the same reader first: its skips must not be counted twice."""
    from cxralign.benchmark import BuildOptions, build_benchmark

    reports = tmp_path / "mimic-cxr-reports"
    for row in fabricated_reports(12):
        folder = reports / "files" / row["patient_id"][:3] / row["patient_id"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{row['report_id']}.txt").write_text("FINAL REPORT\n " + row["report"])
    broken = reports / "files" / "p10" / "p10999999"
    broken.mkdir(parents=True)
    (broken / "s59999999.txt").symlink_to(broken / "gone.txt")  # unreadable: skipped with a reason
    summary = build_benchmark(
        BuildOptions(source="mimic", root=reports, out=tmp_path / "out", ops=("negate", "affirm"))
    )
    assert summary.reports_read == 12
    assert summary.reports_skipped == 1


def test_target_choice_breaks_only_ties_by_hash_and_matches_a_full_sort():
    """The selector hashes candidates only to break ties; the order is that of sorting every
    candidate by (items so far, hash), so the items chosen are the same."""
    from cxralign.benchmark.selection import TARGETS, Candidate, TargetSelector, _tiebreak

    rng = random.Random(3)
    fast, reference = TargetSelector(seed=7, per_report=2), TargetSelector(seed=7, per_report=2)
    for index in range(400):
        found = [Candidate(t, rng.random() < 0.5) for t in rng.sample(TARGETS, rng.randint(0, 5))]
        report_id = f"r{index}"
        ranked = sorted(
            found, key=lambda c: (reference.counts[(c.target, c.present)], _tiebreak(7, report_id, c))
        )
        expected = []
        for candidate in ranked:
            if all(c.target != candidate.target for c in expected) and len(expected) < 2:
                expected.append(candidate)
                reference.counts[(candidate.target, candidate.present)] += 1
        assert fast.choose(report_id, found) == expected
