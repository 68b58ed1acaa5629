"""Run the installed ``cxralign`` console script in a subprocess, as a user does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CONSOLE_SCRIPT = Path(sys.executable).parent / "cxralign"
ERROR_PREFIXES = ("error:", "failed:")


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "CXRALIGN_NO_PROGRESS": "1", **(env or {})}
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("HF_DATASETS_OFFLINE", "1")
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    """The lines a user reads as errors (stderr lines starting error: / failed:)."""
    return [line for line in done.stderr.splitlines() if line.startswith(ERROR_PREFIXES)]


def assert_one_error(done: subprocess.CompletedProcess[str], code: int, *fragments: str) -> str:
    """Exit ``code``, no traceback, exactly one error line holding every fragment; returns that line."""
    output = done.stdout + done.stderr
    assert done.returncode == code, (done.returncode, output)
    assert "Traceback" not in output and "ERROR:root" not in output, output
    lines = error_lines(done)
    assert len(lines) == 1, output
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]
