"""The scientific check on phantoms: does negation-aware training beat plain CLIP, and in the image?

Trains the rows of the ablation grid (``cxralign.train.ablation``; tiny-cpu preset, 150 steps,
one run per row and seed) and evaluates each with the registered tasks. Seed ``s`` trains on
phantoms generated with seed ``s`` and is evaluated on an independent phantom set generated with
seed ``1000 + s`` (never trained on), so every seed has its own items (``--shared-items`` gives
every seed the items of seed 0 instead); all rows of a seed share them. On that set: CXR-Align on
a benchmark built from it (its train split, hundreds of items: balanced and grounded accuracy,
Task A/B, laterality, affirmation), zero-shot AUROC on its train split, and the linear probe
fitted on its train split and scored on its test split.

Every row is compared with the first row on the same items (``cxralign.train.ablation_stats``):
per seed the paired difference in Task A, balanced and grounded accuracy; over seeds the mean
difference with a bootstrap over items stratified by seed, a t-test over the per-seed
differences, and for Task A an exact McNemar test. Prints the Markdown tables (mean ± sd over
seeds with each row's number of seeds, then the paired tests), also written to OUT/ablation.md
and OUT/ablation.json. Finished runs are reused, so an interrupted check continues and rows can
be added later; two processes may share OUT once the seeds' data exist (run one row first), and
``--summarise`` writes the tables from whatever has finished.
Usage:

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
        "--summarise", action="store_true", help="train nothing: tables from the runs finished in OUT"
    )
    parser.add_argument(
        "--shared-items", action="store_true", help="evaluate every seed on seed 0's items (the old setup)"
    )
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
    run_ablation(
        base,
        args.out,
        seeds=seeds,
        rows=rows,
        distinct_items=not args.shared_items,
        train_missing=not args.summarise,
    )
    print((args.out / "ablation.md").read_text())


if __name__ == "__main__":
    main()
