"""Phantom datasets on disk: layout, loaders, reproducibility, refusal to overwrite, CLI."""

from __future__ import annotations

import json

import datasets
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cxralign.data.phantoms import FINDINGS, GENERATOR_VERSION, load_phantoms, write_phantom_dataset
from cxralign.data.phantoms.dataset import read_manifest
from cxralign.errors import ConfigError, InputError, OutputExistsError
from cxralign.utils.hashing import sha256_file
from cxralign.vocab import CHEXPERT_14


def test_fixture_layout_and_manifest(phantom_dataset):
    manifest = json.loads((phantom_dataset / "manifest.json").read_text())
    assert manifest["generator_version"] == GENERATOR_VERSION
    assert manifest["options"] == {
        "seed": 0,
        "size": 64,
        "difficulty": "standard",
        "prevalence": {name: 0.3 for name in FINDINGS},
    }
    assert sum(manifest["counts"]["samples"].values()) == 96
    for rel, digest in manifest["files"].items():
        assert sha256_file(phantom_dataset / rel) == digest
    assert set(manifest["counts"]["findings"]["train"]) == set(FINDINGS)
    card = (phantom_dataset / "README.md").read_text()
    assert card.startswith("---\nconfigs:") and "path: data/test.parquet" in card


def test_load_phantoms_gives_images_reports_labels(phantom_dataset):
    train = load_phantoms(phantom_dataset, "train")
    assert isinstance(train, datasets.Dataset) and len(train) > 50
    row = train[0]
    assert row["image"].size == (64, 64) and row["image"].mode == "L"
    assert "IMPRESSION" in row["report"].upper()
    assert all(name in row for name in CHEXPERT_14)
    findings = json.loads(row["findings"])
    assert isinstance(findings, list)
    assert train.features["image"] == datasets.Image()


def test_hugging_face_loaders_open_it(phantom_dataset):
    by_card = datasets.load_dataset(str(phantom_dataset))
    assert set(by_card) == {"train", "validation", "test"}
    by_files = datasets.load_dataset(
        "parquet", data_files={"test": str(phantom_dataset / "data" / "test.parquet")}, split="test"
    )
    assert len(by_files) == len(by_card["test"]) and by_files.features["image"] == datasets.Image()


def test_splits_are_patient_disjoint_and_labels_nullable(phantom_dataset):
    patients = {}
    blanks = 0
    for split in ("train", "validation", "test"):
        table = pq.read_table(phantom_dataset / "data" / f"{split}.parquet")
        patients[split] = set(table.column("patient_id").to_pylist())
        assert set(table.column("split").to_pylist()) <= {split}
        blanks += table.column("Pleural Other").null_count
    assert not (patients["train"] & patients["test"]) and not (patients["train"] & patients["validation"])
    assert blanks > 0  # never-mentioned observations stay blank, not 0


def test_same_seed_gives_byte_identical_files(tmp_path):
    first = write_phantom_dataset(tmp_path / "a", 14, seed=5, size=64, prevalence=0.4)
    second = write_phantom_dataset(tmp_path / "b", 14, seed=5, size=64, prevalence=0.4)
    assert first["files"] == second["files"]
    for name in ("manifest.json", "README.md", "data/train.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    third = write_phantom_dataset(tmp_path / "c", 14, seed=6, size=64, prevalence=0.4)
    assert third["files"] != first["files"]


def test_existing_output_is_kept_without_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="--overwrite"):
        write_phantom_dataset(out, 4, size=64)
    assert (out / "keep.txt").read_text() == "mine"
    write_phantom_dataset(out, 4, size=64, overwrite=True)
    assert not (out / "keep.txt").exists() and read_manifest(out)["n"] == 4
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary leftovers


def test_bad_options_fail_before_creating_anything(tmp_path):
    with pytest.raises(ConfigError, match="did you mean edema"):
        write_phantom_dataset(tmp_path / "x", 10, size=64, prevalence="edemaa=0.2")
    with pytest.raises(ConfigError):
        write_phantom_dataset(tmp_path / "x", 10, size=2000)
    assert not (tmp_path / "x").exists()


def test_load_phantoms_errors(tmp_path, phantom_dataset):
    with pytest.raises(InputError, match="not a phantom dataset"):
        load_phantoms(tmp_path, "train")
    with pytest.raises(InputError, match="unknown split"):
        load_phantoms(phantom_dataset, "dev")


@pytest.fixture(scope="module")
def cli():
    from cxralign import cli

    cli._register_commands()
    return cli.app


def test_cli_writes_dataset(cli, tmp_path):
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        cli,
        [
            "data",
            "phantoms",
            "--n",
            "6",
            "--size",
            "64",
            "--seed",
            "2",
            "--out",
            str(out),
            "--difficulty",
            "hard",
        ],
    )
    assert result.exit_code == 0, result.output
    assert read_manifest(out)["options"]["difficulty"] == "hard"
    again = CliRunner().invoke(cli, ["data", "phantoms", "--n", "6", "--size", "64", "--out", str(out)])
    assert isinstance(again.exception, OutputExistsError)


def test_cli_rejects_impossible_options(cli, tmp_path):
    result = CliRunner().invoke(cli, ["data", "phantoms", "--n", "-3", "--out", str(tmp_path / "o")])
    assert isinstance(result.exception, ConfigError) and "non-negative" in str(result.exception)
    result = CliRunner().invoke(
        cli, ["data", "phantoms", "--n", "3", "--prevalence", "pneumothorax=2", "--out", str(tmp_path / "o")]
    )
    assert isinstance(result.exception, ConfigError)
    assert not (tmp_path / "o").exists()
