"""An installed wheel carries what a source checkout has: the model zoo's cards."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _can_build_wheels() -> bool:
    """setuptools >= 70.1 builds wheels itself; older ones need the ``wheel`` package."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    from importlib.metadata import version

    major, minor = (int(part) for part in version("setuptools").split(".")[:2])
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


@pytest.mark.skipif(
    not _can_build_wheels(), reason="needs setuptools >= 70.1 (or wheel) to build a wheel offline"
)
def test_wheel_ships_the_model_zoo_and_finds_it_without_the_repository(tmp_path: Path) -> None:
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(tmp_path.glob("cxralign-*.whl"))
    cards = sorted(p.name for p in (ROOT / "model_zoo").glob("*.yaml"))
    with zipfile.ZipFile(wheel) as archive:
        shipped = sorted(Path(n).name for n in archive.namelist() if n.startswith("cxralign/model_zoo/"))
        archive.extractall(tmp_path / "site")
    assert shipped == cards
    # import the unpacked wheel, not the checkout: no model_zoo/ beside it
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    env.pop("CXRALIGN_ZOO_DIR", None)
    listed = subprocess.run(
        [sys.executable, "-c", "from cxralign.models.zoo import all_cards, DEFAULT_ZOO_DIR; "
         "print(DEFAULT_ZOO_DIR); print(len(all_cards()))"],
        capture_output=True, text=True, check=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    directory, count = listed.stdout.split()
    assert Path(directory) == tmp_path / "site" / "cxralign" / "model_zoo"
    assert int(count) == len(cards)
