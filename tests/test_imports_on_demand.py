"""Each command imports only what it uses: checked through the installed console script in a subprocess.

``benchmarks/import_probe.py`` runs the console script and writes the top-level modules
it imported; heavy model libraries must stay out of commands that do not embed images.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT / "benchmarks" / "import_probe.py"
MODEL_LIBRARIES = {"open_clip", "transformers", "torchvision", "timm"}
ARRAY_STACK = {"torch", "sklearn", "scipy", "pandas", "pyarrow", "datasets", "matplotlib", "spacy"}


def console_script() -> str:
    local = Path(sys.executable).parent / "cxralign"
    script = str(local) if local.exists() else shutil.which("cxralign")
    if script is None:
        pytest.skip("the cxralign console script is not installed")
    return script


def imported(tmp_path: Path, *args: str) -> tuple[set[str], dict]:
    report = tmp_path / "probe.json"
    env = {**os.environ, "CXRALIGN_NO_PROGRESS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, str(PROBE), str(report), console_script(), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads(report.read_text())
    return set(payload["modules"]), payload


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.csv"
    path.write_text(
        "id,text\n"
        "a,Small left pleural effusion. Heart size is normal.\n"
        "b,No pleural effusion. Mild cardiomegaly.\n"
        "c,Moderate right pleural effusion. No pneumothorax.\n"
    )
    return path


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("build", "--help"), ("eval", "--help")])
def test_help_and_version_import_no_heavy_library(tmp_path: Path, args: tuple[str, ...]) -> None:
    modules, _ = imported(tmp_path, *args)  # (typer itself imports pydantic to show some options)
    assert modules & (MODEL_LIBRARIES | ARRAY_STACK | {"numpy", "negspacy"}) == set()


def test_label_imports_no_array_or_model_library(tmp_path: Path, corpus: Path) -> None:
    modules, _ = imported(tmp_path, "label", str(corpus), "--out", str(tmp_path / "labels.csv"))
    assert (tmp_path / "labels.csv").exists()
    assert modules & (MODEL_LIBRARIES | ARRAY_STACK) == set()


def test_build_imports_no_torch_or_model_library(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "bench"
    modules, _ = imported(tmp_path, "build", "--source", "csv", "--root", str(corpus), "--out", str(out))
    assert (out / "manifest.json").exists() or any(out.iterdir())
    assert modules & (MODEL_LIBRARIES | {"torch", "datasets", "matplotlib"}) == set()


def test_leaderboard_commands_import_no_torch_or_model_library(tmp_path: Path) -> None:
    modules, _ = imported(tmp_path, "leaderboard", "schema")
    assert modules & (MODEL_LIBRARIES | {"torch"}) == set()
    submissions = ROOT / "leaderboard" / "submissions"  # recomputes every metric from its stored scores
    if not any(submissions.glob("*/submission.json")):
        pytest.skip("no leaderboard submissions in this checkout")
    modules, _ = imported(tmp_path, "leaderboard", "validate", str(submissions))
    assert modules & (MODEL_LIBRARIES | {"torch"}) == set()


@pytest.mark.slow
def test_reference_eval_imports_no_model_or_plotting_library(tmp_path: Path, phantom_dataset: Path) -> None:
    """A ``reference:`` model runs on torch alone (its BERT is native, its tokenizer ``tokenizers``): no
    transformers, torchvision, open_clip or timm; matplotlib only to draw plots, sklearn only for the metrics
    that use it."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_startup import tiny_reference_model

    model = tiny_reference_model(tmp_path)
    args = ["eval", "-m", f"reference:{model}", "--data", f"phantoms={phantom_dataset}", "--device", "cpu",
            "--no-cache", "--bootstrap", "20"]  # fmt: skip
    modules, payload = imported(tmp_path, *args, "--tasks", "zeroshot,retrieval", "--no-html", "--out", "a")
    assert payload["exit_code"] == 0 and "torch" in modules and "tokenizers" in modules
    assert (tmp_path / "a").is_dir()
    assert modules & (MODEL_LIBRARIES | {"datasets", "matplotlib", "pyparsing", "sympy", "triton"}) == set()
    # retrieval draws no plots: its report is written without matplotlib
    modules, payload = imported(tmp_path, *args, "--tasks", "retrieval", "--out", "b")
    assert payload["exit_code"] == 0 and any((tmp_path / "b").rglob("report.html"))
    assert modules & (MODEL_LIBRARIES | {"matplotlib", "sklearn"}) == set()
