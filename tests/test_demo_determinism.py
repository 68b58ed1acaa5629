"""Two demo runs (separate processes, different string-hash seeds) give identical results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

VOLATILE = ("created", "timings", "environment")  # wall-clock facts, not results


def _results(out: Path) -> dict[str, object]:
    found: dict[str, object] = {}
    for path in sorted((out / "results").rglob("*")):
        key = str(path.relative_to(out))
        if path.suffix == ".json":
            data = json.loads(path.read_text())
            found[key] = {k: v for k, v in data.items() if k not in VOLATILE}
        elif path.suffix == ".parquet":
            found[key] = path.read_bytes()
    return found


@pytest.mark.slow
def test_two_demo_runs_give_identical_result_files(tmp_path: Path) -> None:
    reduced = ["--n-phantoms", "160", "--size", "64", "--steps", "6"]
    runs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "CXRALIGN_NO_PROGRESS": "1"}
        folder = tmp_path / f"run-{hash_seed}"  # the same relative paths, so specs and slugs agree
        folder.mkdir()
        runs.append((folder / "demo-output", subprocess.Popen(
            [sys.executable, "-m", "cxralign.demo", "demo-output", *reduced], cwd=folder, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)))  # fmt: skip
    for _, process in runs:
        _, err = process.communicate(timeout=900)
        assert process.returncode == 0, err[-2000:]
    first, second = (_results(out) for out, _ in runs)
    assert any(key.endswith(".scores.parquet") for key in first)
    assert first.keys() == second.keys()
    different = [key for key in first if first[key] != second[key]]
    assert different == [], different
