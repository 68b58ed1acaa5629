"""`build --import-official --images RELATIVE` stores paths eval resolves; the default split is test."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq

from tests._console import run_cli
from tests.test_build_official import OFFICIAL, mimic_jpg  # noqa: F401  (the fixture)


def _rows(out: Path) -> list[dict]:
    return [row for path in sorted((out / "data").glob("*/*.parquet")) for row in pq.read_table(path).to_pylist()]


def test_relative_images_root_resolves_from_the_output(tmp_path: Path, mimic_jpg: Path) -> None:  # noqa: F811
    from cxralign.tasks.cxr_align_common import _resolve_image

    (tmp_path / "cxr-align.json").write_text(json.dumps(OFFICIAL))
    done = run_cli(
        "build", "--import-official", "cxr-align.json", "--images", mimic_jpg.name, "--out", "official",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "official"
    with_image = [row for row in _rows(out) if row["has_image"]]
    assert len({row["image_id"] for row in with_image}) == 3
    for row in with_image:  # eval resolves paths against OUT, from any working directory
        resolved = _resolve_image(out, row["image_path"])
        assert resolved is not None and resolved.is_file(), row["image_path"]


def test_without_a_split_table_everything_is_test(tmp_path: Path, mimic_jpg: Path) -> None:  # noqa: F811
    from cxralign.benchmark import import_official

    (mimic_jpg / "mimic-cxr-2.0.0-split.csv.gz").unlink()
    source = tmp_path / "cxr-align.json"
    source.write_text(json.dumps(OFFICIAL))
    import_official(source, tmp_path / "out", mimic_jpg)
    assert {row["split"] for row in _rows(tmp_path / "out")} == {"test"}
    shutil.rmtree(tmp_path / "out")
