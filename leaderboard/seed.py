"""Re-seed the repository's own leaderboard from a `make demo` run.

    python -m cxralign.demo demo-output      # or: make demo
    python leaderboard/seed.py demo-output

Copies the demo's verified submissions (the reference models on the phantom
benchmark) into ``leaderboard/submissions/`` and registers the phantom datasets'
hashes in ``cxralign/leaderboard/known_datasets.yaml``, so that
``cxralign leaderboard validate`` (run by CI) checks them against the toolkit.
Run it whenever the phantom generator or the benchmark builder changes what the
demo builds: old hashes are replaced, because results on other items are not
comparable.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml

from cxralign.utils.atomic import atomic_write_text

REPO = Path(__file__).resolve().parent.parent
REGISTRY = REPO / "cxralign" / "leaderboard" / "known_datasets.yaml"
SUBMISSIONS = REPO / "leaderboard" / "submissions"


def merge_registry(demo_datasets: Path) -> None:
    """Replace the registry entries named in the demo's dataset file, keep every other entry."""
    text = REGISTRY.read_text()
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    current = yaml.safe_load(text) or {}
    new = yaml.safe_load(demo_datasets.read_text())["datasets"]
    names = {entry["name"] for entry in new}
    kept = [entry for entry in current.get("datasets") or [] if entry["name"] not in names]
    body = yaml.safe_dump({"datasets": kept + new}, sort_keys=False)
    atomic_write_text(REGISTRY, header + body)


def copy_submissions(demo_out: Path) -> list[str]:
    names = []
    for source in sorted((demo_out / "submissions").iterdir()):
        if not (source / "submission.json").exists():
            continue
        target = SUBMISSIONS / source.name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
        names.append(source.name)
    return names


def main(argv: list[str]) -> None:
    demo_out = Path(argv[0] if argv else "demo-output")
    merge_registry(demo_out / "datasets.yaml")
    names = copy_submissions(demo_out)
    print(f"seeded {', '.join(names)}; registered datasets from {demo_out / 'datasets.yaml'}")


if __name__ == "__main__":
    main(sys.argv[1:])
