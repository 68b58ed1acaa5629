"""Items per finding in the test split: does every finding get enough to report (n >= 30 per op)?

Two inputs: a built OpenI benchmark (``cxralign build --source openi --out DIR``; pass DIR,
or the script builds one into a temporary folder) and a MIMIC-size synthetic corpus of
(patient, finding, op) cells (227,835 reports, 65,379 patients, finding frequencies from
MIMIC-CXR's CheXpert label counts) split by the same stratified assigner the build uses.
Prints a table per input: test items per finding and op, and the findings below the
minimum n that results and reports withhold. Usage:

    python benchmarks/bench_coverage.py [--openi DIR]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from cxralign.benchmark.splits import stratified_splits
from cxralign.tasks.cxr_align_headline import MIN_FINDING_N

MIMIC_REPORTS, MIMIC_PATIENTS = 227_835, 65_379
# approximate share of MIMIC-CXR reports labelled positive / negative per CheXpert finding
MIMIC_FREQUENCY = {
    "Enlarged Cardiomediastinum": (0.03, 0.04), "Cardiomegaly": (0.20, 0.07), "Lung Opacity": (0.23, 0.02),
    "Lung Lesion": (0.03, 0.01), "Edema": (0.12, 0.12), "Consolidation": (0.05, 0.13),
    "Pneumonia": (0.07, 0.10), "Atelectasis": (0.20, 0.01), "Pneumothorax": (0.05, 0.26),
    "Pleural Effusion": (0.24, 0.13), "Pleural Other": (0.01, 0.01), "Fracture": (0.02, 0.02),
    "Support Devices": (0.29, 0.01),
}  # fmt: skip
PRESENT_OPS, ABSENT_OPS = ("negate", "omit", "laterality", "severity"), ("affirm",)
OP_SUCCESS = {"negate": 0.5, "omit": 0.6, "laterality": 0.3, "severity": 0.15, "affirm": 0.4}


def openi_counts(root: Path | None) -> Counter:
    import pandas as pd

    if root is None:
        from cxralign.benchmark import BuildOptions, build_benchmark

        root = Path(tempfile.mkdtemp()) / "openi"
        build_benchmark(BuildOptions(source="openi", out=root, workers=2))
    counts: Counter = Counter()
    for path in sorted(root.glob("data/*/test.parquet")):
        frame = pd.read_parquet(path, columns=["target", "op"])
        counts.update(zip(frame["target"], frame["op"], strict=True))
    return counts


def mimic_counts(seed: int = 0) -> Counter:
    """One target per report, chosen like the build (a stated finding), ops as often as they verify."""
    rng = random.Random(seed)
    cells: dict[str, Counter] = defaultdict(Counter)
    findings = list(MIMIC_FREQUENCY)
    for _ in range(MIMIC_REPORTS):
        patient = f"p{rng.randrange(MIMIC_PATIENTS)}"
        finding = rng.choice(findings)
        positive, negative = MIMIC_FREQUENCY[finding]
        draw = rng.random()
        ops = PRESENT_OPS if draw < positive else ABSENT_OPS if draw < positive + negative else ()
        for op in ops:
            if rng.random() < OP_SUCCESS[op]:
                cells[patient][(finding, op)] += 1
    splits = stratified_splits(cells)
    counts: Counter = Counter()
    for patient, cell in cells.items():
        if splits[patient] == "test":
            counts.update(cell)
    return counts


def show(title: str, counts: Counter) -> None:
    ops = sorted({op for _, op in counts})
    print(f"\n{title}: test items per finding and op (* below n = {MIN_FINDING_N}: withheld)")
    print(f"{'finding':28s}" + "".join(f"{op:>12s}" for op in ops))
    short = 0
    for finding in sorted({f for f, _ in counts}):
        row = []
        for op in ops:
            n = counts.get((finding, op), 0)
            short += 0 < n < MIN_FINDING_N
            row.append(f"{n}{'*' if 0 < n < MIN_FINDING_N else ' '}".rjust(12))
        print(f"{finding:28s}" + "".join(row))
    print(f"cells with 0 < n < {MIN_FINDING_N}: {short}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--openi", type=Path, default=None, help="a built OpenI benchmark (default: build one)")
    args = parser.parse_args()
    show("OpenI (default build)", openi_counts(args.openi))
    show(f"MIMIC-size synthetic ({MIMIC_REPORTS:,} reports, {MIMIC_PATIENTS:,} patients)", mimic_counts())


if __name__ == "__main__":
    main()
