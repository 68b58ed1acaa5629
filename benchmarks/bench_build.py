"""Speed and memory of `cxralign build` on a MIMIC-sized corpus, and OpenI negation verification rates.

    python benchmarks/bench_build.py --reports 227835 --workers 2      # the 2-minute / 2 GB target
    python benchmarks/bench_build.py --openi                           # pass rates on real OpenI reports

The corpus is OpenI's 3,955 reports (read in place from the torchxrayvision
wheel, never written into the repository) or phantom reports, replicated and
perturbed (sentence order, side words, spacing) to the requested size, written
to a temporary JSONL and built with the real pipeline. Prints wall time, reports
per second and peak resident memory (this process plus its workers).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

_SWAPS = {"left": "right", "right": "left", "small": "large", "mild": "moderate"}


def seed_reports(kind: str) -> list[str]:
    if kind == "openi":
        from cxralign.data.corpora import read_corpus

        return [record.text for record in read_corpus("openi", None)]
    from cxralign.data.phantoms import write_phantom_dataset

    out = Path(tempfile.mkdtemp()) / "phantoms"
    write_phantom_dataset(out, 400, seed=0, size=64)
    import pyarrow.parquet as pq

    return [
        t
        for path in sorted((out / "data").glob("*.parquet"))
        for t in pq.read_table(path).column("report").to_pylist()
    ]


def perturb(text: str, rng: random.Random) -> str:
    lines = []
    for line in text.split("\n"):
        head, _, body = line.partition(": ") if re.match(r"^[A-Z ]+: ", line) else ("", "", line)
        sentences = [s for s in re.split(r"(?<=\.)\s+", body) if s]
        if len(sentences) > 2 and rng.random() < 0.5:
            middle = sentences[1:-1]
            rng.shuffle(middle)
            sentences = [sentences[0], *middle, sentences[-1]]
        body = " ".join(sentences)
        if rng.random() < 0.3:
            body = re.sub(r"\b(left|right|small|mild)\b", lambda m: _SWAPS[m.group()], body, count=1)
        lines.append(f"{head}: {body}" if head else body)
    return "\n".join(lines)


def write_corpus(path: Path, n: int, seeds: list[str], seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "w") as handle:
        for index in range(n):
            text = perturb(seeds[index % len(seeds)], rng)
            handle.write(
                json.dumps({"id": f"r{index:07d}", "text": text, "patient_id": f"p{index // 3:07d}"}) + "\n"
            )


def cpu_seconds() -> tuple[float, float]:
    """User + system CPU of this process and of its finished children (the build's pool is joined)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def bench_build(n: int, workers: int, kind: str, ops: str, keep: Path | None = None) -> None:
    """Build a replicated corpus; ``keep`` keeps corpus and output there (to compare builds byte for byte)."""
    from cxralign.benchmark import BuildOptions, build_benchmark

    seeds = seed_reports(kind)
    tmp = keep if keep is not None else Path(tempfile.mkdtemp())
    tmp.mkdir(parents=True, exist_ok=True)
    corpus = tmp / "corpus.jsonl"
    write_corpus(corpus, n, seeds)
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    summary = build_benchmark(
        BuildOptions(source="jsonl", root=corpus, out=tmp / "out", workers=workers, ops=tuple(ops.split(",")))
    )
    wall = time.perf_counter() - started
    (own_after, children_after), (own_before, children_before) = cpu_seconds(), cpu_before
    own, children = own_after - own_before, children_after - children_before
    cpu = own + children
    print(f"reports {summary.reports_read:,} ({kind} seeds, perturbed), workers {workers}, ops {ops}")
    print(f"items {summary.items:,}; variants {sum(sum(v.values()) for v in summary.variants.values()):,}")
    print(
        f"wall {wall:.1f} s = {summary.reports_read / wall:,.0f} reports/s; peak RSS (self + largest child) {peak_rss_mb():,.0f} MB"
    )
    print(
        f"CPU {cpu:.1f} s (main process {own:.1f} s + workers {children:.1f} s) = {cpu / wall:.2f} cores busy; "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after (the machine is shared)"
    )
    print("blind balanced:", summary.blind.get("balanced"))


def bench_openi() -> None:
    """Verification pass rates of every op on every eligible target of every OpenI report."""
    from cxralign.data.corpora import read_corpus
    from cxralign.reports import analyze, report_labels
    from cxralign.reports.records import Assertion
    from cxralign.rewrite import OPS, RewriteContext, RewriteRejected, rewrite

    ctx = RewriteContext.from_engine()
    stats = {op: collections.Counter() for op in OPS}
    started = time.perf_counter()
    for record in read_corpus("openi", None):
        analysis = analyze(record.text, report_id=record.report_id)
        labels = report_labels(analysis)
        stated = {ctx.observation_of(m.concept) for m in analysis.mentions
                  if m.assertion is Assertion.POSITIVE and not m.historical and not m.implied}  # fmt: skip
        for target, value in labels.items():
            if target == "No Finding" or value is None:
                continue
            for op in OPS:
                if (op == "affirm") != (value == 0.0) or (
                    op != "affirm" and (value != 1.0 or target not in stated)
                ):
                    continue
                try:
                    rewrite(op, analysis, target, ctx)
                    stats[op]["verified"] += 1
                except RewriteRejected as rejected:
                    stats[op][rejected.stage] += 1
    print(f"OpenI, {time.perf_counter() - started:.0f} s")
    print(
        f"{'op':<11}{'targets':>9}{'verified':>10}{'failed verif.':>15}{'no edit':>9}{'pass rate':>11}{'coverage':>10}"
    )
    for op, c in stats.items():
        total = c["verified"] + c["verification"] + c["proposal"]
        proposed = c["verified"] + c["verification"]
        rate = c["verified"] / proposed if proposed else float("nan")
        coverage = c["verified"] / total if total else float("nan")
        print(
            f"{op:<11}{total:>9}{c['verified']:>10}{c['verification']:>15}{c['proposal']:>9}{rate:>11.1%}{coverage:>10.1%}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=227_835)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", choices=("openi", "phantoms"), default="openi")
    parser.add_argument("--ops", default="negate,omit,affirm,laterality,severity")
    parser.add_argument("--openi", action="store_true", help="measure OpenI verification rates instead")
    parser.add_argument("--keep", type=Path, help="write corpus.jsonl and out/ here (a new or empty folder)")
    args = parser.parse_args(argv)
    if args.openi:
        bench_openi()
    else:
        bench_build(args.reports, args.workers, args.seeds, args.ops, args.keep)


if __name__ == "__main__":
    sys.exit(main())
