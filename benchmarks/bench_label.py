"""Throughput of the report engine: the Python API on one core, and ``cxralign label`` against negspacy.

    python benchmarks/bench_label.py [--reports 20000] [--repeat 3] [--copies 10] [--workers 2] [--api]

CLI (default): writes the OpenI reports (read in place from torchxrayvision's ``NLMCXR_reports.tgz``,
CC BY-NC-ND; into a temporary folder deleted at exit, never kept) as JSONL, ``--copies`` times over (the
size of a real corpus; a second file makes every copy distinct, so no report is an exact duplicate), runs
the installed ``cxralign label --vocab cxr14 --workers N`` on each and times it end to end, start-up
included (wall clock). In the same run it labels the OpenI reports with the negspacy peer (spaCy blank
English, sentencizer, an entity ruler over the lexicon's phrases, negspacy's NegEx with its en_clinical
termset; one process) and prints each of our figures as a ratio to it: the machine is shared, a ratio
taken in one run is what reproduces; per CPU second (the command and its workers together against the
peer's process) is the steadier ratio when other jobs share the cores. ``--api`` adds the older one-core API figures (CPU time).
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from harness import counts_parser

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


def negspacy_peer():
    """The spaCy peer: entity ruler over the lexicon's literal phrases + negspacy NegEx (en_clinical)."""
    import spacy
    from negspacy.negation import Negex  # noqa: F401 - registers the "negex" factory
    from negspacy.termsets import termset

    from cxralign.reports import load_lexicon

    lexicon = load_lexicon()
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    patterns = [
        {"label": concept.id, "pattern": term.rstrip("*")}
        for concept in lexicon.concepts.values()
        for term in concept.terms
    ]
    ruler.add_patterns(patterns)
    nlp.add_pipe("negex", config={"neg_termset": termset("en_clinical").get_patterns()})
    return nlp, lexicon


def peer_rate(texts: list[str]) -> tuple[float, float]:
    """negspacy peer (reports/s wall, reports per CPU second), one process, pipeline built beforehand."""
    nlp, lexicon = negspacy_peer()
    start, cpu = time.perf_counter(), time.process_time()
    for doc in nlp.pipe(texts, batch_size=256):
        labels = {}
        for ent in doc.ents:
            label = lexicon.concepts[ent.label_].cxr14
            if label:
                labels[label] = max(labels.get(label, 0.0), 0.0 if ent._.negex else 1.0)
    return len(texts) / (time.perf_counter() - start), len(texts) / (time.process_time() - cpu)


def cli_rate(path: Path, n: int, workers: int, out: Path) -> tuple[float, float]:
    """``cxralign label`` (reports/s wall, reports per CPU second of it and its workers), start-up included."""
    exe = shutil.which("cxralign", path=str(Path(sys.executable).parent)) or shutil.which("cxralign")
    command = [exe, "label", str(path), "--out", str(out), "--vocab", "cxr14", "--workers", str(workers)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return n / wall, n / cpu


def bench_cli(texts: list[str], copies: int, workers: int) -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")  # fmt: skip
    peer, peer_cpu = peer_rate(texts)
    print(f"negspacy peer (1 process), {len(texts):,} OpenI reports: {peer:,.0f} reports/s wall, "
          f"{peer_cpu:,.0f} per CPU second")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:  # OpenI text lives here only while the run lasts
        replicated, distinct = Path(folder) / "replicated.jsonl", Path(folder) / "distinct.jsonl"
        with open(replicated, "w", encoding="utf-8") as a, open(distinct, "w", encoding="utf-8") as b:
            for copy in range(copies):
                for i, text in enumerate(texts):
                    a.write(json.dumps({"id": f"{i}-{copy}", "text": text}) + "\n")
                    unique = text + (f" Copy {copy}." if copy else "")
                    b.write(json.dumps({"id": f"{i}-{copy}", "text": unique}) + "\n")
        rows = [
            ("OpenI once", _write_once(folder, texts), len(texts)),
            (f"OpenI x{copies} (exact copies)", replicated, len(texts) * copies),
            (f"OpenI x{copies}, every report distinct", distinct, len(texts) * copies),
        ]
        for name, path, n in rows:
            for w in sorted({1, workers}):
                rate, cpu = cli_rate(path, n, w, Path(folder) / "out.csv")
                print(f"cxralign label, {name:<34} {n:>7,} reports, --workers {w}: {rate:7,.0f} reports/s wall"
                      f" = {rate / peer:4.1f}x negspacy; {cpu:7,.0f} per CPU second = {cpu / peer_cpu:4.1f}x")  # fmt: skip
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def _write_once(folder: str, texts: list[str]) -> Path:
    path = Path(folder) / "once.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for i, text in enumerate(texts):
            handle.write(json.dumps({"id": str(i), "text": text}) + "\n")
    return path


def main() -> None:
    parser = counts_parser(__doc__, reports=20000, repeat=3, copies=10, workers=2)
    parser.add_argument("--api", action="store_true", help="also the one-core Python API figures")
    args = parser.parse_args()
    texts = openi_reports()
    if texts is None:
        print("OpenI reports not installed (pip install 'cxralign[openi]'): generated reports stand in")
        texts = generated_reports(3955)
    bench_cli(texts, args.copies, args.workers)
    if not args.api:
        return
    generated = generated_reports(args.reports)
    for memo in (MEMO_SENTENCES, 0):
        print(f"sentence memo: {memo or 'off'}")
        engine = Engine(memo_size=memo)
        engine.analyze("warm-up: no effusion.")
        measure(engine, "generated", generated, args.repeat)
        measure(engine, "openi", texts, args.repeat)
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
