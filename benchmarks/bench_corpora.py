"""Reading speed of the report corpus readers (records/s), on generated corpora and on OpenI.

Run: ``.venv/bin/python benchmarks/bench_corpora.py [N]``. Generates N fabricated reports
(default 20,000) as a MIMIC-CXR tree, its zip, a CSV and a CheXpert Plus table in a
temporary folder, then times a full pass of each reader. OpenI is timed when
torchxrayvision (``cxralign[openi]``) is installed.
"""

from __future__ import annotations

import csv
import platform
import random
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

from cxralign.data.corpora import find_openi_archive, read_corpus
from cxralign.errors import CxrAlignError

SENTENCES = (
    "No focal consolidation, pleural effusion or pneumothorax.",
    "Heart size is normal.",
    "Small left pleural effusion with adjacent atelectasis.",
    "Moderate cardiomegaly, stable.",
    "Right upper lobe opacity may represent pneumonia.",
    "Endotracheal tube terminates 4 cm above the carina.",
)


def _report(rng: random.Random) -> str:
    findings = " ".join(rng.sample(SENTENCES, 3))
    return f"                                 FINAL REPORT\n FINDINGS:\n {findings}\n\n IMPRESSION:\n {rng.choice(SENTENCES)}\n"


def _generate(root: Path, n: int) -> dict[str, tuple[str, Path]]:
    rng = random.Random(0)
    tree = root / "mimic"
    rows = []
    for i in range(n):
        patient, study = f"p1{i // 3:07d}", f"s5{i:07d}"
        folder = tree / "files" / patient[:3] / patient
        folder.mkdir(parents=True, exist_ok=True)
        text = _report(rng)
        (folder / f"{study}.txt").write_text(text)
        rows.append((study, text, patient))
    archive = root / "mimic-cxr-reports.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        for path in sorted(tree.rglob("*.txt")):
            handle.write(path, path.relative_to(tree).as_posix())
    table = root / "reports.csv"
    with open(table, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "report", "patient_id"])
        writer.writerows(rows)
    plus = root / "df_chexpert_plus.csv"
    with open(plus, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path_to_image", "section_findings", "section_impression", "split"])
        for i, (_, text, _) in enumerate(rows):
            for view in ("view1_frontal", "view2_lateral"):
                writer.writerow(
                    [f"train/patient{i // 3:05d}/study{i % 3 + 1}/{view}.jpg", text[40:], "", "train"]
                )
    return {
        "mimic tree": ("mimic", tree),
        "mimic zip": ("mimic", archive),
        "csv": ("csv", table),
        "chexpert-plus (2 images/study)": ("chexpert-plus", plus),
    }


def _time(source: str, path: Path | None) -> tuple[int, float, float]:
    """Records, seconds of one full pass, and peak traced MiB of a second pass (tracing slows it)."""
    started = time.perf_counter()
    count = sum(1 for _ in read_corpus(source, path))
    seconds = time.perf_counter() - started
    tracemalloc.start()
    sum(1 for _ in read_corpus(source, path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return count, seconds, peak / 2**20


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        inputs = _generate(Path(tmp), n)
        try:
            inputs["openi (torchxrayvision)"] = ("openi", find_openi_archive())
        except CxrAlignError:
            print("openi: torchxrayvision not installed, skipped")
        print(f"{'source':<32}{'reports':>9}{'seconds':>9}{'reports/s':>11}{'peak MiB':>10}")
        for name, (source, path) in inputs.items():
            count, seconds, peak = _time(source, path)
            print(f"{name:<32}{count:>9,}{seconds:>9.2f}{count / seconds:>11,.0f}{peak:>10.1f}")


if __name__ == "__main__":
    main()
