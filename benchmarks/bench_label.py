"""Throughput and peak memory of the report engine on one core.

    python benchmarks/bench_label.py [--reports 20000] [--repeat 3]

Prints reports/s (best of ``--repeat`` runs, CPU time of this process) for generated MIMIC-style
reports and, when the torchxrayvision wheel is installed, for the 3,955 OpenI reports read in place
from its ``NLMCXR_reports.tgz`` (CC BY-NC-ND: nothing is written out).
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import resource
import tarfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from cxralign.reports import Engine
from cxralign.reports.memo import MEMO_SENTENCES

SENTENCES = [
    "The heart size is normal.", "Mild cardiomegaly.", "The cardiomediastinal silhouette is within normal limits.",
    "The lungs are clear.", "No focal consolidation, pleural effusion, or pneumothorax.",
    "Small left pleural effusion with adjacent atelectasis.", "Possible right lower lobe pneumonia.",
    "No change in the moderate right effusion.", "Right PICC line terminates in the SVC.",
    "Costophrenic angles are sharp.", "Bibasilar opacities may represent atelectasis or consolidation.",
    "There is no evidence of pulmonary edema.", "A 1 cm nodule in the right upper lobe cannot be excluded.",
    "Healed left rib fractures.", "Pneumothorax has resolved.", "Dr. ___ was notified at ___ p.m.",
]  # fmt: skip


def generated_reports(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    reports = []
    for _ in range(n):
        findings = " ".join(rng.sample(SENTENCES, rng.randint(3, 7)))
        impression = " ".join(f"{i}. {s}" for i, s in enumerate(rng.sample(SENTENCES, rng.randint(1, 3)), 1))
        reports.append(
            "FINAL REPORT\n EXAMINATION: CHEST (PA AND LAT)\n INDICATION: ___ with cough.\n COMPARISON: ___\n\n"
            f" FINDINGS:\n {findings}\n\n IMPRESSION:\n {impression}\n"
        )
    return reports


def openi_reports() -> list[str] | None:
    spec = importlib.util.find_spec("torchxrayvision")
    if spec is None or not spec.submodule_search_locations:
        return None
    archive = Path(next(iter(spec.submodule_search_locations))) / "data" / "NLMCXR_reports.tgz"
    if not archive.exists():
        return None
    texts = []
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(".xml"):
                root = ET.fromstring(tar.extractfile(member).read())
                parts = {a.get("Label"): (a.text or "").strip() for a in root.iter("AbstractText")}
                texts.append(
                    f"FINDINGS: {parts.get('FINDINGS', '')}\nIMPRESSION: {parts.get('IMPRESSION', '')}"
                )
    return texts


def measure(engine: Engine, name: str, texts: list[str], repeat: int) -> None:
    best = 0.0
    mentions = 0
    for _ in range(repeat):
        engine.memo.clear()  # each pass starts cold: a warm memo would flatter the repeats
        engine.splits.clear()
        start = time.process_time()
        mentions = sum(len(engine.analyze(t).mentions) for t in texts)
        best = max(best, len(texts) / max(time.process_time() - start, 1e-9))
    chars = sum(map(len, texts)) / len(texts)
    print(f"{name:<10} {len(texts):>7,} reports  {chars:6.0f} chars/report  {mentions / len(texts):5.1f} mentions/report"
          f"  {best:8,.0f} reports/s (one core, CPU time)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    generated, texts = generated_reports(args.reports), openi_reports()
    for memo in (MEMO_SENTENCES, 0):
        print(f"sentence memo: {memo or 'off'}")
        engine = Engine(memo_size=memo)
        engine.analyze("warm-up: no effusion.")
        measure(engine, "generated", generated, args.repeat)
        if texts is None:
            print(
                "openi      skipped (pip install 'cxralign[openi]' to add torchxrayvision's NLMCXR_reports.tgz)"
            )
        else:
            measure(engine, "openi", texts, args.repeat)
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
