"""README's "Evaluate your model" runs as written: its shell lines through the installed console
script and its Python block in a fresh interpreter, in an empty folder holding only ``my_checkpoint.pt``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # phantoms, a build and two evaluations (~30 s on 2 cores)

ROOT = Path(__file__).resolve().parent.parent


def readme_blocks(section: str) -> list[tuple[str, str]]:
    """(language, code) of every fenced block in a README section, in order."""
    text = (ROOT / "README.md").read_text()
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(\w+)\n(.*?)```", body, flags=re.S)


def test_evaluate_your_model_section_runs_as_written(tmp_path):
    import open_clip
    import torch

    from cxralign.models.adapters.open_clip_adapter import register_builtin_configs

    register_builtin_configs()
    torch.manual_seed(0)
    torch.save(open_clip.create_model("cxralign-tiny-vit").state_dict(), tmp_path / "my_checkpoint.pt")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "CXRALIGN_CACHE_DIR": str(tmp_path / "cache"),
        "COLUMNS": "200",
    }
    blocks = readme_blocks("Evaluate your model")
    assert [language for language, _ in blocks] == ["bash", "python", "bash"]
    outputs = []
    for language, code in blocks:
        commands = [line for line in code.splitlines() if line.strip()] if language == "bash" else [code]
        for command in commands:
            argv = [sys.executable, "-c", command] if language == "python" else ["bash", "-c", command]
            done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"
            outputs.append(done.stdout)
    python_output = outputs[2]
    assert "balanced.accuracy" in python_output and "cxr-align" in python_output
    (result,) = (tmp_path / "results").rglob("cxr-align/cxr-align/test.json")
    stored = json.loads(result.read_text())
    assert f"{stored['metrics'][stored['main_score']]['value']:.3f}" in outputs[3]  # the CLI printed the same
