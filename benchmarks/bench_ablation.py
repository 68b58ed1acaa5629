"""The scientific check on phantoms: does negation-aware training beat plain CLIP, and in the image?

Trains rows of the ablation grid (tiny-cpu preset, one run per seed), then evaluates each
with the registered tasks on an independently generated phantom set (phantom seed + 1000,
never trained on): CXR-Align on a benchmark built from it (its train split, hundreds of
items: balanced and grounded accuracy, Task A/B and the controls), zero-shot AUROC on its
train split, and the linear probe fitted on its train split and scored on its test split.
Every row is compared with the first on the same items by paired tests (paired bootstrap on
Task A, balanced and grounded accuracy; McNemar on Task A), items pooled over seeds. Prints
the Markdown tables (also written to OUT/ablation.md and OUT/ablation.json). Finished runs
are reused, so an interrupted check continues. Usage:

    python benchmarks/bench_ablation.py --out runs/ablation --seeds 0,1,2,3,4 \\
        [--rows CLIP,+negatives,+soft text+clinical] [--steps 150] [--set losses.negatives.count=3]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cxralign.train.ablation import ablation_rows, run_ablation
from cxralign.train.config import build_config, parse_override


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/ablation"))
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--rows", default=None, help="comma list of row names (default: the whole grid)")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--preset", default="tiny-cpu")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], help="config override key=value"
    )
    args = parser.parse_args()
    rows = ablation_rows()
    if args.rows:
        wanted = [name.strip() for name in args.rows.split(",")]
        unknown = [name for name in wanted if name not in {row.name for row in rows}]
        if unknown:
            parser.error(f"unknown rows {unknown}; choose from {[row.name for row in rows]}")
        by_name = {row.name: row for row in rows}
        rows = [by_name[name] for name in wanted]  # in the order given: the most important first
    overrides = [{"out": str(args.out)}]
    if args.steps:
        overrides.append({"train": {"steps": args.steps}})
    overrides += [parse_override(item) for item in args.overrides]
    base = build_config(preset=args.preset, overrides=overrides)
    seeds = [int(s) for s in args.seeds.split(",")]
    run_ablation(base, args.out, seeds=seeds, rows=rows)
    print((args.out / "ablation.md").read_text())


if __name__ == "__main__":
    main()
