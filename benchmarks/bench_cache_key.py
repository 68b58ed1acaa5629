"""Cost of keying the embedding cache by file bytes (streaming blake2b) on 10,000 PNGs.

    python benchmarks/bench_cache_key.py [--n 10000] [--size 256]

Writes N grayscale PNGs (smooth gradient + noise, so they compress like films, not like
flat images) to a temporary folder, then times, in one run and on the same files:

- ``content_hash`` (blake2b of every file's bytes): what a cache key costs now;
- the old key (path + size + mtime from ``os.stat``), which served files rewritten in place stale;
- decoding the same files with ``load_image`` (what any embedding pass does anyway), on a sample.

Files are read from the page cache (just written); a cold disk reads slower for both hashing
and decoding. Prints the figures and the ratios.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from harness import best_of, counts_parser
from PIL import Image

from cxralign.data.images import load_image
from cxralign.models.engine import content_hash


def write_films(folder: Path, n: int, size: int) -> list[str]:
    rng = np.random.default_rng(0)
    ramp = np.linspace(40, 200, size, dtype=np.float32)[None, :]
    paths = []
    for i in range(n):
        pixels = ramp + rng.normal(0, 12, (size, size)).astype(np.float32)
        path = folder / f"{i:05d}.png"
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path)
        paths.append(str(path))
    return paths


def main() -> None:
    args = counts_parser(__doc__, n=10_000, size=256, decode_sample=1_000).parse_args()
    with tempfile.TemporaryDirectory(prefix="cxralign-bench-key-") as tmp:
        paths = write_films(Path(tmp), args.n, args.size)
        megabytes = sum(os.path.getsize(p) for p in paths) / 1e6
        blake = best_of(3, lambda: content_hash(paths))
        stat = best_of(3, lambda: [f"{p}|{os.stat(p).st_size}|{os.stat(p).st_mtime_ns}" for p in paths])
        sample = paths[: args.decode_sample]
        decode = best_of(1, lambda: [load_image(p) for p in sample]) * len(paths) / len(sample)
    print(f"{args.n} PNGs of {args.size}x{args.size} px, {megabytes:.1f} MB in all")
    print(f"blake2b of the bytes (content_hash): {blake:.3f} s  ({megabytes / blake:.0f} MB/s, {blake / args.n * 1e6:.0f} us/file)")
    print(f"old key (path + size + mtime):       {stat:.3f} s  (blake2b costs {blake / stat:.1f}x the old key)")
    print(f"decoding them (load_image, from a {len(sample)}-file sample): {decode:.2f} s  (hashing = {blake / decode:.1%} of decoding)")


if __name__ == "__main__":
    main()
