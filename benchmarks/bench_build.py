"""Speed and memory of `cxralign build` on a MIMIC-sized corpus, and OpenI negation verification rates.

    python benchmarks/bench_build.py --sizes 8000,24000,227835 --workers 2   # distinct reports, 3 sizes + slope
    python benchmarks/bench_build.py --reports 227835 --seeds openi          # the old corpus: OpenI copies
    python benchmarks/bench_build.py --openi                                 # pass rates on real OpenI reports
    python benchmarks/bench_build.py --sizes 2000 --baseline /path/to/main   # side by side: CPU ratio, same output?

The default corpus (``--seeds distinct``) is generated report by report with the
phantom report writer (findings drawn independently, sentence templates, sides,
grades, sizes, lobes, devices) plus a patient line, an indication and a comparison
interval, and every report is different from every other. ``--seeds openi`` replicates
OpenI's 3,955 reports (read in place from the torchxrayvision wheel, never written
into the repository) with light perturbations: 227k of those are 57 copies of each
report, which flatters the sentence memo. Before building, the script prints the share
of sentences the engine's memo would answer (a fresh engine reading the corpus in
order) beside OpenI's, so a reader can see how repetitive the corpus is. Each size
is written to a temporary JSONL and built with the real pipeline; the script prints
wall time, CPU time (this process plus its workers), peak resident memory and, over
several sizes, the slope in ms of CPU per report.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import random
import re
import resource
import shutil
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


_COMPLAINTS = (
    "shortness of breath",
    "cough",
    "fever",
    "chest pain",
    "hypoxia",
    "dyspnea on exertion",
    "pleuritic chest pain",
    "tachypnea",
    "pneumonia",
    "line placement",
    "fall",
    "weakness",
    "leukocytosis",
    "sepsis",
    "hemoptysis",
    "post-operative check",
    "CHF exacerbation",
    "trauma",
)
_PATIENTS = ("man", "woman", "male", "female", "patient")
_COMPARISONS = ("Comparison is made to the radiograph from {n} days earlier.", "Compared to {n} days prior.",
                "Prior chest radiograph {n} days ago.", "None.", "Chest CT {n} days earlier.")  # fmt: skip


_SENTENCE_END = re.compile(r"\.(?=\s|$)")
_QUALIFIERS = (" (series {a}, image {b})", " on image {b} of series {a}", " at {a}:{b:02d}", " on the {a}:{b:02d} film",
               " (frontal view, {a}:{b:02d})", " as seen on image {b}")  # fmt: skip


def _qualifier(rng) -> str:  # noqa: ANN001
    """A neutral clause naming a time or an image: it makes 40% of sentences new, as free text does."""
    if rng.random() >= 0.4:
        return ""
    pattern = _QUALIFIERS[int(rng.integers(len(_QUALIFIERS)))]
    return pattern.format(a=int(rng.integers(1, 24)), b=int(rng.integers(0, 60)))


def distinct_reports(n: int, seed: int = 0) -> list[str]:
    """``n`` different MIMIC-style reports from the phantom report writer, no two alike."""
    import numpy as np

    from cxralign.data.phantoms.findings import PROFILES, sample_findings
    from cxralign.data.phantoms.reports import write_report
    from cxralign.data.phantoms.spec import DEFAULT_PREVALENCE

    rng, profile, seen, out = np.random.default_rng(seed), PROFILES["standard"], set(), []
    while len(out) < n:
        body, _ = write_report(sample_findings(rng, DEFAULT_PREVALENCE, profile), rng)
        age, who = int(rng.integers(18, 99)), _PATIENTS[int(rng.integers(len(_PATIENTS)))]
        complaints = rng.choice(len(_COMPLAINTS), size=int(rng.integers(1, 3)), replace=False)
        indication = f"{age}-year-old {who} with {' and '.join(_COMPLAINTS[i] for i in complaints)}."
        comparison = _COMPARISONS[int(rng.integers(len(_COMPARISONS)))].format(n=int(rng.integers(1, 900)))
        body = "\n".join(
            line for line in body.split("\n") if not line.upper().startswith(("INDICATION", "COMPARISON"))
        )
        body = _SENTENCE_END.sub(lambda m: _qualifier(rng) + m.group(), body)
        text = f"INDICATION: {indication}\nCOMPARISON: {comparison}\n{body}"
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def memo_hit_share(texts: list[str]) -> float:
    """Share of sentences a fresh engine answers from its sentence memo when reading ``texts`` in order."""
    from cxralign.reports.engine import Engine

    engine, misses, sentences = Engine(), 0, 0
    read = engine._read_sentence

    def counting_read(text: str):  # noqa: ANN202
        nonlocal misses
        misses += 1
        return read(text)

    engine._read_sentence = counting_read
    for text in texts:
        sentences += len(engine.analyze(text).sentences)
    return 1 - misses / max(sentences, 1)


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


def corpus_texts(n: int, kind: str, seed: int = 0) -> list[str]:
    """The benchmark corpus: ``n`` distinct generated reports, or perturbed copies of OpenI / phantom seeds."""
    if kind == "distinct":
        return distinct_reports(n, seed)
    rng, seeds = random.Random(seed), seed_reports(kind)
    return [perturb(seeds[index % len(seeds)], rng) for index in range(n)]


def write_corpus(path: Path, texts: list[str]) -> None:
    with open(path, "w") as handle:
        for index, text in enumerate(texts):
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


def build_corpus_file(corpus: Path, n: int, workers: int, ops: str, out: Path) -> dict:
    """Build ``corpus`` with the real pipeline in this process; wall, CPU and peak memory of the build."""
    from cxralign.benchmark import BuildOptions, build_benchmark

    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    summary = build_benchmark(
        BuildOptions(source="jsonl", root=corpus, out=out, workers=workers, ops=tuple(ops.split(",")))
    )
    wall = time.perf_counter() - started
    (own_after, children_after), (own_before, children_before) = cpu_seconds(), cpu_before
    own, children = own_after - own_before, children_after - children_before
    return {
        "reports": summary.reports_read,
        "items": summary.items,
        "variants": sum(sum(v.values()) for v in summary.variants.values()),
        "wall_s": wall,
        "cpu_s": own + children,
        "cpu_main_s": own,
        "cpu_workers_s": children,
        "peak_mb": peak_rss_mb(),
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "blind_balanced": summary.blind.get("balanced"),
    }


def _build_in_fresh_process(corpus: Path, workers: int, ops: str, source_tree: Path | None = None) -> dict:
    """``--build-corpus`` in a new process; ``source_tree``: import cxralign from that checkout instead."""
    import subprocess

    env = dict(os.environ)
    if source_tree is not None:
        env["PYTHONPATH"] = str(source_tree)
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--build-corpus", str(corpus), "--workers", str(workers),
         "--ops", ops], check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def _file_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, by relative path."""
    import hashlib

    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def bench_sizes(
    sizes: list[int],
    workers: int,
    kind: str,
    ops: str,
    keep: Path | None = None,
    baseline: Path | None = None,
) -> None:
    """Each size: corpus written by one process, built by a fresh one (so peak memory is the build's alone);
    with ``baseline`` (another checkout) built by it too, side by side, for a ratio taken at one load."""
    import subprocess

    import numpy as np

    here, rows = Path(__file__).resolve(), []
    for n in sizes:
        tmp = keep / str(n) if keep is not None else Path(tempfile.mkdtemp())
        tmp.mkdir(parents=True, exist_ok=True)
        corpus = tmp / "corpus.jsonl"
        started = time.perf_counter()
        subprocess.run([sys.executable, str(here), "--write-corpus", str(corpus), "--reports", str(n),
                        "--seeds", kind], check=True)  # fmt: skip
        print(f"[{n:,}] corpus written in {time.perf_counter() - started:.0f} s", flush=True)
        if baseline is not None:
            import concurrent.futures

            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                theirs = pool.submit(_build_in_fresh_process, corpus, workers, ops, baseline)
                (corpus.parent / "this").mkdir(exist_ok=True)
                shutil.copy(corpus, corpus.parent / "this" / "corpus.jsonl")
                ours = pool.submit(
                    _build_in_fresh_process, corpus.parent / "this" / "corpus.jsonl", workers, ops
                )
                base, row = theirs.result(), ours.result()
            same = _file_hashes(corpus.parent / "out") == _file_hashes(corpus.parent / "this" / "out")
            print(f"[{n:,}] baseline {baseline}: CPU {base['cpu_s']:.1f} s, this tree {row['cpu_s']:.1f} s "
                  f"(built side by side): {base['cpu_s'] / row['cpu_s']:.2f}x less CPU; "
                  f"peak {base['peak_mb']:,.0f} -> {row['peak_mb']:,.0f} MB; output files "
                  f"{'identical' if same else 'DIFFERENT'} (sha256)", flush=True)  # fmt: skip
        else:
            row = _build_in_fresh_process(corpus, workers, ops)
        rows.append(row)
        print(
            f"[{row['reports']:,}] items {row['items']:,}, variants {row['variants']:,}; wall {row['wall_s']:.1f} s, "
            f"CPU {row['cpu_s']:.1f} s (main {row['cpu_main_s']:.1f} + workers {row['cpu_workers_s']:.1f}) = "
            f"{row['cpu_s'] / row['wall_s']:.2f} cores busy, {1000 * row['cpu_s'] / row['reports']:.2f} ms CPU/report; "
            f"peak RSS (main + largest worker) {row['peak_mb']:,.0f} MB; load {row['load_before']:.1f} -> "
            f"{row['load_after']:.1f}; blind balanced {row['blind_balanced']}",
            flush=True,
        )
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"\n{kind} reports, {workers} workers, {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}"
    )
    print(f"{'reports':>9} {'wall s':>8} {'CPU s':>8} {'ms CPU/rep':>11} {'peak MB':>8} {'load':>10}")
    for r in rows:
        print(f"{r['reports']:>9,} {r['wall_s']:>8.1f} {r['cpu_s']:>8.1f} {1000 * r['cpu_s'] / r['reports']:>11.2f} "
              f"{r['peak_mb']:>8,.0f} {r['load_before']:>4.1f}-{r['load_after']:<4.1f}")  # fmt: skip
    if len(rows) >= 2:
        n = np.array([r["reports"] for r in rows], float)
        cpu_slope, cpu_icpt = np.polyfit(n, [r["cpu_s"] for r in rows], 1)
        wall_slope, _ = np.polyfit(n, [r["wall_s"] for r in rows], 1)
        print(f"slope: {1000 * cpu_slope:.3f} ms CPU per report (intercept {cpu_icpt:.1f} s), "
              f"{1000 * wall_slope:.3f} ms wall per report; 227,835 reports at that slope: "
              f"{cpu_icpt + cpu_slope * 227_835:.0f} s CPU = {(cpu_icpt + cpu_slope * 227_835) / 2:.0f} s wall "
              "on 2 fully available cores")  # fmt: skip


def profile_build(n: int, kind: str, ops: str) -> None:
    """Where one process's build time goes (cProfile; proportions only, cProfile slows Python code)."""
    import cProfile
    import pstats

    tmp = Path(tempfile.mkdtemp())
    write_corpus(tmp / "corpus.jsonl", corpus_texts(n, kind))
    profiler = cProfile.Profile()
    profiler.runcall(build_corpus_file, tmp / "corpus.jsonl", n, 1, ops, tmp / "out")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(
        r"cxralign/(benchmark|rewrite/ops|reports/engine)", 30
    )
    shutil.rmtree(tmp, ignore_errors=True)


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
    parser.add_argument("--reports", type=int, default=227_835, help="one size (same as --sizes N)")
    parser.add_argument("--sizes", help="comma-separated corpus sizes, e.g. 8000,24000,227835")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", choices=("distinct", "openi", "phantoms"), default="distinct")
    parser.add_argument("--ops", default="negate,omit,affirm,laterality,severity")
    parser.add_argument("--openi", action="store_true", help="measure OpenI verification rates instead")
    parser.add_argument("--keep", type=Path, help="keep each size's corpus.jsonl and out/ under KEEP/SIZE/")
    parser.add_argument(
        "--baseline", type=Path, help="another checkout: build each size with it too, side by side"
    )
    parser.add_argument(
        "--profile", action="store_true", help="build --reports in this process under cProfile"
    )
    parser.add_argument("--write-corpus", type=Path, help=argparse.SUPPRESS)  # internal: one size's corpus
    parser.add_argument("--build-corpus", type=Path, help=argparse.SUPPRESS)  # internal: build it, print JSON
    args = parser.parse_args(argv)
    if args.openi:
        bench_openi()
    elif args.profile:
        profile_build(args.reports, args.seeds, args.ops)
    elif args.write_corpus:
        texts = corpus_texts(args.reports, args.seeds)
        write_corpus(args.write_corpus, texts)
        sample = texts[:20_000]
        print(f"[{len(texts):,}] {args.seeds} corpus: {len(set(texts)) / len(texts):.1%} of reports distinct; "
              f"sentence-memo hits {memo_hit_share(sample):.1%} over its first {len(sample):,} reports "
              f"(OpenI's 3,955 reports: {memo_hit_share(seed_reports('openi')):.1%})", flush=True)  # fmt: skip
    elif args.build_corpus:
        print(
            json.dumps(
                build_corpus_file(
                    args.build_corpus, 0, args.workers, args.ops, args.build_corpus.parent / "out"
                )
            )
        )
    else:
        sizes = [int(size) for size in args.sizes.split(",")] if args.sizes else [args.reports]
        bench_sizes(sizes, args.workers, args.seeds, args.ops, args.keep, args.baseline)


if __name__ == "__main__":
    sys.exit(main())
