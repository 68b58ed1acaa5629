"""``make parity``: run every upstream half in its environment, compare with cxralign, write the table.

Usage: ``python -m parity.run WORK_DIR [--only NAME ...]``; environments are named by
``PARITY_PYTHON`` (default: this interpreter) and ``PARITY_TF4_PYTHON`` (MedCLIP and hi-ml,
which need transformers 4). Exits 1 when any
comparison exceeds its tolerance.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from parity.compare import CHECKS, Row, compare_check
from parity.inputs import CLASSES, IMAGE_FILES, SIXTEEN_BIT_DECODED, write_inputs

REPO = Path(__file__).resolve().parents[1]


def _prompts() -> dict[str, dict[str, dict[str, list[str]]]]:
    from cxralign.models.zoo import get_card
    from cxralign.tasks.prompts import build_prompts, policy_from_card

    out = {}
    for check in CHECKS:
        _, positive, negative = policy_from_card(get_card(check.card))
        built = build_prompts(CLASSES, positive, negative)
        out[check.card] = {
            c: {"positive": list(p.positive), "negative": list(p.negative)} for c, p in built.items()
        }
    return out


def _prepare(work: Path) -> None:
    from cxralign.data.images import load_image

    write_inputs(work, _prompts())
    load_image(work / IMAGE_FILES["16-bit"]).save(work / SIXTEEN_BIT_DECODED)


def _run_upstream(module: str, python: str, work: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    subprocess.run([python, "-m", module, str(work)], cwd=REPO, env=env, check=True)


def table(rows: list[Row]) -> str:
    lines = [
        "| model | upstream package | compared | max abs diff | tolerance | ok |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.model} | {row.package} | {row.what} | {row.diff:.2e} | {row.tolerance:.1e} | "
            f"{'yes' if row.ok else '**NO**'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args(argv)
    work = args.work.resolve()
    _prepare(work)
    selected = [c for c in CHECKS if not args.only or c.card in args.only]
    pythons = {"default": os.environ.get("PARITY_PYTHON", sys.executable)}
    pythons["transformers4"] = os.environ.get("PARITY_TF4_PYTHON", pythons["default"])
    for module in dict.fromkeys(c.upstream for c in selected):
        env_name = next(c.env for c in selected if c.upstream == module)
        _run_upstream(module, pythons[env_name], work)
    rows = [row for check in selected for row in compare_check(check, work)]
    stamp = date.today().isoformat()
    (work / "parity.md").write_text(f"Parity run {stamp}\n\n{table(rows)}\n")
    (work / "parity.json").write_text(json.dumps([r.__dict__ for r in rows], indent=1))
    print(table(rows))
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
