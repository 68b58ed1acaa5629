"""Items per finding in the test split: does every finding get enough to report (n >= 30 per op)?

Two inputs, each built with the real pipeline (``cxralign build``):

- OpenI (``--openi DIR``, a default build; without it the script builds one into a temporary folder);
- a MIMIC-size corpus (``--mimic DIR``, a build of it; without it the script writes 227,835 distinct
  MIMIC-style reports with ``bench_build.distinct_reports``, three per patient, and builds them:
  at least 380 s of CPU at the slope bench_build.py measured, more with the blind filter).
  ``bench_build.py --keep K`` leaves such a build in ``K/227835/out``.

For each input it prints test items per (finding, op), then every cell below the minimum n that
results withhold (``MIN_FINDING_N``) with what explains it, in pipeline order: the variants that
verified (a corpus that states the finding rarely, or rewrites that are refused, give few), the
variants the blind filter dropped (``negate`` / ``affirm`` only), the items kept in all splits,
and the test items. A cell short of 30 test items with at least 30 kept would be the split's
fault; the splitter gives every cell ``min(30, kept)`` test items first
(``cxralign.benchmark.splits``). ``--simulate`` replaces the MIMIC build with a quick model of
its cells (finding frequencies from MIMIC-CXR's CheXpert label counts) split by the same splitter.
Usage:

    python benchmarks/bench_coverage.py [--openi DIR] [--mimic DIR | --simulate] [--resplit]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from cxralign.benchmark.splits import stratified_splits
from cxralign.tasks.results import MIN_FINDING_N

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


class Coverage:
    """(finding, op) cells of one build: items per split, and the manifest's verified / filtered counts."""

    def __init__(self, test: Counter, kept: Counter, verified=None, filtered=None, proportional=None) -> None:
        self.test, self.kept = test, kept
        self.verified, self.filtered = verified or Counter(), filtered or Counter()
        self.proportional = proportional or Counter()  # test items of a split without the per-cell minimum

    @classmethod
    def of_build(cls, root: Path, resplit: bool = False) -> Coverage:
        """Counts of a build; ``resplit``: test items as this release's splitter assigns the build's
        items (the split comes after the filter and depends only on the items and patients, so this
        is what a fresh build gives; for sources without their own split)."""
        import pandas as pd

        test, kept, by_patient = Counter(), Counter(), defaultdict(Counter)
        for path in sorted(root.glob("data/*/*.parquet")):
            frame = pd.read_parquet(path, columns=["target", "op", "patient_id", "item_id"])
            cells = list(zip(frame["target"], frame["op"], strict=True))
            kept.update(cells)
            if path.stem == "test":
                test.update(cells)
            reports = "report:" + frame["item_id"].str.rsplit("/", n=1).str[0]  # as the build keys patients
            for patient, cell in zip(frame["patient_id"].fillna(reports), cells, strict=True):
                by_patient[str(patient)][cell] += 1
        counts = json.loads((root / "manifest.json").read_text()).get("counts", {})

        def cells(nested: dict) -> Counter:
            return Counter({(finding, op): n for op, by in nested.items() for finding, n in by.items()})

        proportional = _test_items(by_patient, stratified_splits(by_patient, min_test=0))
        return cls(
            _test_items(by_patient, stratified_splits(by_patient)) if resplit else test,
            kept,
            cells(counts.get("variants", {})),
            cells(counts.get("blind_filtered", {})),
            proportional,
        )


def _test_items(cells_by_patient: dict[str, Counter], splits: dict[str, str]) -> Counter:
    return sum((cells for patient, cells in cells_by_patient.items() if splits[patient] == "test"), Counter())


def build(source: str, root: Path | None, out: Path) -> Path:
    from cxralign.benchmark import BuildOptions, build_benchmark

    build_benchmark(BuildOptions(source=source, root=root, out=out, workers=2))
    return out


def mimic_build() -> Path:
    """227,835 distinct MIMIC-style reports (bench_build's generator, three per patient), built."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_build import distinct_reports, write_corpus

    tmp = Path(tempfile.mkdtemp())
    write_corpus(tmp / "corpus.jsonl", distinct_reports(MIMIC_REPORTS))
    return build("jsonl", tmp / "corpus.jsonl", tmp / "out")


def simulated() -> Coverage:
    """One target per report, chosen like the build (a stated finding), ops as often as they verify."""
    rng = random.Random(0)
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
    kept = sum(cells.values(), Counter())
    proportional = _test_items(cells, stratified_splits(cells, min_test=0))
    return Coverage(_test_items(cells, stratified_splits(cells)), kept, proportional=proportional)


def show(title: str, coverage: Coverage) -> None:
    counts = coverage.test
    ops = sorted({op for _, op in coverage.kept})
    print(f"\n{title}: test items per finding and op (* below n = {MIN_FINDING_N}: withheld)")
    print(f"{'finding':28s}" + "".join(f"{op:>12s}" for op in ops))
    for finding in sorted({f for f, _ in coverage.kept}):
        row = []
        for op in ops:
            n = counts.get((finding, op), 0)
            row.append(f"{n}{'*' if 0 < n < MIN_FINDING_N else ' '}".rjust(12))
        print(f"{finding:28s}" + "".join(row))
    short = sorted(cell for cell, n in counts.items() if 0 < n < MIN_FINDING_N)
    print(f"cells with 0 < n < {MIN_FINDING_N}: {len(short)}")
    split_fault = [cell for cell in short if coverage.kept[cell] >= MIN_FINDING_N]
    print(f"of which the corpus has >= {MIN_FINDING_N} items (the split's fault): {len(split_fault)}")
    was_short = sorted(c for c, n in coverage.proportional.items() if n < MIN_FINDING_N <= coverage.kept[c])
    print(f"cells a proportional split (no per-cell minimum) leaves below {MIN_FINDING_N} though the corpus has "
          f"{MIN_FINDING_N}: {len(was_short)}")  # fmt: skip
    listed = sorted(set(short) | set(was_short))
    if listed:
        print(
            f"  {'finding':28s}{'op':>11s}{'verified':>10s}{'filtered':>10s}{'kept':>7s}{'proportional':>14s}{'test':>6s}"
        )
        for finding, op in listed:
            cell = (finding, op)
            verified = coverage.verified.get(cell, "-")
            print(f"  {finding:28s}{op:>11s}{verified!s:>10s}{coverage.filtered.get(cell, 0):>10d}"
                  f"{coverage.kept[cell]:>7d}{coverage.proportional.get(cell, 0):>14d}{counts[cell]:>6d}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--openi", type=Path, default=None, help="a built OpenI benchmark (default: build one)"
    )
    parser.add_argument(
        "--mimic", type=Path, default=None, help="a built MIMIC-size benchmark (default: build)"
    )
    parser.add_argument("--simulate", action="store_true", help="model MIMIC-size cells instead of building")
    parser.add_argument(
        "--resplit", action="store_true", help="re-split given builds' items with this release's splitter"
    )
    args = parser.parse_args()
    openi = args.openi or build("openi", None, Path(tempfile.mkdtemp()) / "openi")
    note = ", re-split by this release" if args.resplit else ""
    show(f"OpenI (default build{note})", Coverage.of_build(openi, args.resplit and args.openi is not None))
    if args.simulate:
        show(f"MIMIC-size cell model ({MIMIC_REPORTS:,} reports, {MIMIC_PATIENTS:,} patients)", simulated())
        return
    mimic = args.mimic or mimic_build()
    show(
        f"MIMIC-size distinct reports ({mimic}{note})",
        Coverage.of_build(mimic, args.resplit and args.mimic is not None),
    )


if __name__ == "__main__":
    main()
