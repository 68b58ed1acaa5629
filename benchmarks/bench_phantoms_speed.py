"""Phantom speed: end to end through the CLI (target >= 500 images/s on 2 cores), and in memory.

``--cli`` times ``cxralign data phantoms --n N`` as a user runs it (a subprocess, start-up,
drawing, PNG encoding, Parquet and manifest included) for ``--workers 1`` and ``--workers 2``,
interleaved ``--repeat`` times; it prints the median images/s (wall) and images per
CPU-second of the whole process tree, and the load average. A ``--n 1`` run of each
measures start-up alone, which happens on one core: the rate two idle cores could reach is
at most N / (start-up + (CPU - start-up) / 2). ``--png-levels`` measures zlib
levels 0-9 on drawn images (encode ms/img, KiB/img). Without either it times ``generate()``
and ``write_phantom_dataset`` pinned to one core, as before.

    python benchmarks/bench_phantoms_speed.py --cli [--n 2000] [--repeat 3]
    python benchmarks/bench_phantoms_speed.py --cli --baseline ../main   # vs another checkout, 2 workers
    python benchmarks/bench_phantoms_speed.py --png-levels
    python benchmarks/bench_phantoms_speed.py [--n 2000] [--sizes 224,512] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
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
    parser.add_argument("--cli", action="store_true", help="time the CLI end to end, 1 vs 2 workers")
    parser.add_argument(
        "--baseline",
        default=None,
        help="with --cli: a checkout whose code (on PYTHONPATH) runs the same CLI, interleaved, 2 workers each",
    )
    parser.add_argument("--png-levels", action="store_true", help="time PNG encoding at zlib levels 0-9")
    args = parser.parse_args()
    if args.cli:
        return bench_cli(args.n, args.repeat, args.baseline)
    if args.png_levels:
        return bench_png_levels()
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


def _cli() -> list[str]:
    """The console script beside this interpreter (the one a user of this venv runs)."""
    beside = os.path.join(os.path.dirname(sys.executable), "cxralign")
    return [beside if os.path.exists(beside) else shutil.which("cxralign") or "cxralign"]


def bench_cli(n: int, repeat: int, baseline: str | None = None) -> None:
    """Median wall images/s and CPU per image of ``cxralign data phantoms`` per worker count.

    With ``baseline``, the runs compare this tree with that checkout (2 workers each) instead.
    """
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    setups = {"--workers 1": (here, 1), "--workers 2": (here, 2)}
    if baseline is not None:
        setups = {"this tree": (here, 2), f"baseline {baseline}": (os.path.abspath(baseline), 2)}
    wall: dict[str, list[float]] = {name: [] for name in setups}
    cpu: dict[str, list[float]] = {name: [] for name in setups}
    loads = []
    startup: dict[str, list[float]] = {name: [] for name in setups}
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(max(repeat, 1)):
            for position, (name, (tree, workers)) in enumerate(setups.items()):  # interleaved
                for count, into in ((n, cpu[name]), (1, startup[name])):  # --n 1: start-up alone
                    out = os.path.join(tmp, f"s{position}-{index}-{count}")
                    env = {**os.environ, "CXRALIGN_NO_PROGRESS": "1", "PYTHONPATH": tree}
                    command = [*_cli(), "data", "phantoms", "--n", str(count), "--out", out]
                    command += ["--workers", str(workers)]
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    start = time.perf_counter()
                    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
                    if count == n:
                        wall[name].append(time.perf_counter() - start)
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                    into.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
                    loads.append(os.getloadavg()[0])
                    shutil.rmtree(out)
    print(
        f"cxralign data phantoms --n {n} (224 px), {os.cpu_count()} logical cores, {repeat} interleaved runs"
    )
    print(f"load average (1 min) during the runs: {min(loads):.1f}-{max(loads):.1f}")
    for name in setups:
        cpu_ms = 1000 * statistics.median(cpu[name]) / n
        print(
            f"{name}: {n / statistics.median(wall[name]):7.0f} img/s wall (median)  "
            f"{cpu_ms:.2f} ms CPU per image, start-up included (two idle cores: at most "
            f"{2000 / cpu_ms:.0f} img/s)  (wall {', '.join(f'{w:.1f}' for w in wall[name])} s)"
        )
        # start-up runs on one core before the pool exists: wall >= start-up + the rest / 2
        first_cpu = statistics.median(startup[name])
        bound = first_cpu + (statistics.median(cpu[name]) - first_cpu) / 2
        print(
            f"{name}: start-up (--n 1) {first_cpu:.2f} s CPU; start-up serial, the rest on two idle "
            f"cores: at most {n / bound:.0f} img/s"
        )
    first, second = setups
    ratio = statistics.median(wall[first]) / statistics.median(wall[second])
    cpu_ratio = statistics.median(cpu[first]) / statistics.median(cpu[second])
    print(f"{first} / {second}, same run: {ratio:.2f}x wall time, {cpu_ratio:.2f}x CPU time")


def bench_png_levels(count: int = 200, size: int = 224) -> None:
    """Encode time and size of ``count`` drawn images at each zlib level (Pillow, no metadata)."""
    from PIL import Image

    images = [sample.image for sample in generate(count, seed=1, size=size)]
    from cxralign.data.phantoms.dataset import PNG_COMPRESS_LEVEL, encode_png

    print(f"PNG encoding of {count} phantoms at {size} px (Pillow; medians of 3 passes)")
    for level in range(10):
        times = []
        for _ in range(3):
            start = time.process_time()
            sizes = []
            for image in images:
                buffer = io.BytesIO()
                Image.fromarray(image, mode="L").save(
                    buffer, format="PNG", compress_level=level, optimize=False
                )
                sizes.append(buffer.tell())
            times.append(time.process_time() - start)
        print(
            f"level {level}: {1000 * statistics.median(times) / count:6.2f} ms cpu/img  "
            f"{sum(sizes) / count / 1024:6.1f} KiB/img"
        )
    times = []
    for _ in range(3):
        start = time.process_time()
        for image in images:
            encode_png(image)
        times.append(time.process_time() - start)
    print(
        f"the writer's encode_png (numpy row filters + zlib, level {PNG_COMPRESS_LEVEL}, Pillow's bytes): "
        f"{1000 * statistics.median(times) / count:6.2f} ms cpu/img"
    )


if __name__ == "__main__":
    main()
