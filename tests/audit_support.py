"""A small text-only build for the audit tests, and the installed ``cxralign`` console script."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from test_build import fabricated_reports

from cxralign.benchmark import BuildOptions, build_benchmark

ROOT = Path(__file__).resolve().parents[1]
_STATE = re.compile(r'<script type="application/json" id="audit-state">(.*?)</script>', re.S)


def console_script() -> str:
    found = Path(sys.executable).with_name("cxralign")
    path = str(found) if found.exists() else shutil.which("cxralign")
    assert path, "the cxralign console script is not installed (make install)"
    return path


def run_cli(*args: str | Path) -> subprocess.CompletedProcess:
    """``cxralign ARGS`` in a subprocess, importing this checkout's code."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env["COLUMNS"] = "200"  # rich tables unwrapped, so a test can read a row
    return subprocess.run(
        [console_script(), *map(str, args)], capture_output=True, text=True, env=env, check=False, timeout=120
    )


def make_build(root: Path, seed: int = 0, n: int = 36) -> Path:
    """A csv build of fabricated reports (no blind filter, so every op keeps its variants)."""
    source = root / f"reports-{seed}.csv"
    with open(source, "w", newline="") as handle:
        writer = csv.DictWriter(handle, ["report_id", "patient_id", "report"])
        writer.writeheader()
        for row in fabricated_reports(n=n, seed=seed + 1):
            writer.writerow({key: row[key] for key in ("report_id", "patient_id", "report")})
    out = root / f"build-{seed}"
    build_benchmark(
        BuildOptions(source="csv", root=source, out=out, text_column="report", seed=seed, blind_filter=False)
    )
    return out


def sheet_state(sheet: Path) -> dict:
    """The blank verdict file a sheet embeds (what its Save button writes, before any verdict)."""
    found = _STATE.search(sheet.read_text(encoding="utf-8"))
    assert found, "no embedded audit state in the sheet"
    return json.loads(found.group(1))
