"""Phantom generation speed on one core: images per second (target >= 500/s at 224x224).

Reports wall-clock and CPU-time rates (CPU time is the fairer figure on a shared
machine) for drawing samples in memory, and for writing a full dataset (PNG
encoding and Parquet included). ``--repeat`` times ``generate()`` several times and
also prints the best run: other jobs on a shared machine only ever slow a run down.

    python benchmarks/bench_phantoms_speed.py [--n 2000] [--sizes 224,512] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from cxralign.data.phantoms import generate, write_phantom_dataset
from cxralign.data.phantoms.banks import get_banks


def _rate(n: int, wall: float, cpu: float) -> str:
    return f"{n / wall:8.0f} img/s wall  {n / cpu:8.0f} img/s cpu  ({1000 * cpu / n:.2f} ms cpu/img)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--sizes", default="224")
    parser.add_argument("--difficulty", default="standard")
    parser.add_argument("--repeat", type=int, default=1, help="time generate() this many times")
    parser.add_argument("--no-write", action="store_true", help="skip the write_phantom_dataset timing")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    os.environ.setdefault("CXRALIGN_NO_PROGRESS", "1")
    print(f"cpu: {os.cpu_count()} logical cores, pinned to one; n={args.n}")
    for size in (int(s) for s in args.sizes.split(",")):
        start = time.perf_counter()
        get_banks(size)
        print(f"size {size}: texture banks built once in {time.perf_counter() - start:.2f} s")
        runs = []
        for _ in range(max(args.repeat, 1)):
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in generate(args.n, seed=1, size=size, difficulty=args.difficulty):
                pass
            runs.append((time.perf_counter() - wall, time.process_time() - cpu))
            print(f"size {size}: generate()             {_rate(args.n, *runs[-1])}")
        if len(runs) > 1:
            print(
                f"size {size}: generate() best of {len(runs)}  {_rate(args.n, *min(runs, key=lambda r: r[1]))}"
            )
        if args.no_write:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            wall, cpu = time.perf_counter(), time.process_time()
            write_phantom_dataset(
                os.path.join(tmp, "out"), args.n, seed=1, size=size, difficulty=args.difficulty
            )
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            total = sum(
                os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(tmp) for f in files
            )
        print(
            f"size {size}: write_phantom_dataset  {_rate(args.n, wall, cpu)}  {total / args.n / 1024:.1f} KiB/img"
        )


if __name__ == "__main__":
    main()
