"""Per-size texture banks, built once per process from a fixed seed.

Drawing a vessel tree or a noise field for every image would cost more than the
whole rest of an image; instead a handful are drawn once per image size and each
image takes a randomly placed (and possibly mirrored) window of one. The banks
use their own fixed seed, so they are identical in every process and on every
machine, and the dataset stays byte-for-byte reproducible.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

_BANK_SEED = 20240607
N_VESSEL_TREES = 8


@dataclass(frozen=True)
class Banks:
    size: int
    grid_x: np.ndarray  # (1, S) normalised column coordinate in [0, 1)
    grid_y: np.ndarray  # (S, 1) normalised row coordinate
    vessels: np.ndarray  # (N, 2S, S + S//4) trees whose hilum sits at row S, column S//4
    vessels_mirrored: np.ndarray  # the same trees mirrored left-right (contiguous, for the other lung)
    bronchi: np.ndarray  # (N, S, S//2) short dark branching tubes for air bronchograms
    noise: np.ndarray  # (2S, S) fine detector noise, unit std (flat windows: see film.develop)
    texture: np.ndarray  # (2S, 2S) smooth parenchymal mottling, unit std
    blobs: np.ndarray  # (2S, 2S) patchy airspace texture in [0, 1]


def gaussian_filter(values: np.ndarray, sigma: float, mode: str = "reflect") -> np.ndarray:
    """``scipy.ndimage.gaussian_filter(values, sigma, mode=mode)`` for float64 input, bit for bit.

    Why: importing ``scipy.ndimage`` costs about 0.3 s of CPU, as much as drawing 150
    phantoms. This runs ndimage's own arithmetic: a kernel truncated at 4 sigma, axis
    after axis, each output ``x[i] * w[0]`` plus ``(x[i - j] + x[i + j]) * w[j]`` for j
    from the kernel's edge inwards, in float64; "reflect" and "wrap" extend the edges
    as ndimage does (tests/test_phantoms_banks.py compares the two).
    """
    radius = int(4.0 * float(sigma) + 0.5)
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 / (sigma * sigma) * offsets**2)
    weights = weights / weights.sum()
    pad_mode = {"reflect": "symmetric", "wrap": "wrap"}[mode]
    out = np.asarray(values, dtype=np.float64)
    for axis in range(out.ndim):
        width = [(radius, radius) if other == axis else (0, 0) for other in range(out.ndim)]
        line = np.moveaxis(np.pad(out, width, mode=pad_mode), axis, 0)
        n = out.shape[axis]
        result = line[radius : radius + n] * weights[radius]
        for j in range(radius, 0, -1):
            pair = line[radius - j : radius - j + n] + line[radius + j : radius + j + n]
            result += pair * weights[radius - j]
        out = np.ascontiguousarray(np.moveaxis(result, 0, axis))
    return out


def _splat(canvas: np.ndarray, ys: np.ndarray, xs: np.ndarray, weights: np.ndarray) -> None:
    """Add weighted points to ``canvas`` with bilinear weights (vectorised)."""
    height, width = canvas.shape
    y0 = np.floor(ys).astype(np.int64)
    x0 = np.floor(xs).astype(np.int64)
    fy, fx = ys - y0, xs - x0
    for dy, dx, w in (
        (0, 0, (1 - fy) * (1 - fx)),
        (1, 0, fy * (1 - fx)),
        (0, 1, (1 - fy) * fx),
        (1, 1, fy * fx),
    ):
        yy, xx = y0 + dy, x0 + dx
        keep = (yy >= 0) & (yy < height) & (xx >= 0) & (xx < width)
        np.add.at(canvas, (yy[keep], xx[keep]), (weights * w)[keep])


def _tree_points(rng: np.random.Generator, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Branching segments from a hilum at the origin, heading laterally (+x) and up/down.

    Returns point rows, columns and branch generation, in units of ``scale``.
    """
    ys, xs, gens = [], [], []
    stack = []
    for angle in np.deg2rad([-80, -55, -30, -5, 20, 45, 70, 95]) + rng.normal(0, 0.1, 8):
        stack.append((0.0, 0.0, angle, 0.13 + rng.uniform(-0.02, 0.05), 0))
    while stack:
        y, x, angle, length, gen = stack.pop()
        steps = max(int(length * scale * 1.5), 2)
        t = np.linspace(0, 1, steps)
        wobble = np.cumsum(rng.normal(0, 0.04, steps))
        ang = angle + wobble * 0.5
        dy = np.sin(ang) * length / steps
        dx = np.cos(ang) * length / steps
        py, px = y + np.cumsum(dy), x + np.cumsum(dx)
        ys.append(py)
        xs.append(px)
        gens.append(np.full(steps, gen, dtype=np.float64) + t * 0.9)
        if gen < 5:
            for side in (-1, 1):
                if rng.random() < 0.92:
                    stack.append(
                        (
                            py[-1],
                            px[-1],
                            ang[-1] + side * rng.uniform(0.25, 0.6),
                            length * rng.uniform(0.5, 0.72),
                            gen + 1,
                        )
                    )
    return np.concatenate(ys), np.concatenate(xs), np.concatenate(gens)


def _vessel_tree(rng: np.random.Generator, size: int) -> np.ndarray:
    """One lung's pulmonary vessels: wide bright trunks at the hilum thinning to the periphery."""
    height, width = 2 * size, size + size // 4
    ys, xs, gens = _tree_points(rng, size)
    rows = ys * size + size
    cols = xs * size + size // 4
    out = np.zeros((height, width), dtype=np.float64)
    for lo, hi, sigma, weight in ((0, 1.5, 0.016, 1.0), (1.5, 3.0, 0.009, 0.8), (3.0, 9.0, 0.005, 0.7)):
        sel = (gens >= lo) & (gens < hi)
        layer = np.zeros_like(out)
        _splat(layer, rows[sel], cols[sel], np.full(sel.sum(), 1.0))
        sig = max(sigma * size, 0.6)
        layer = gaussian_filter(layer, sig)
        peak = np.percentile(layer[layer > 0], 99.5) if np.any(layer > 0) else 1.0
        out += weight * np.clip(layer / peak, 0, 1.3)
    return out.astype(np.float32)


def _bronchi(rng: np.random.Generator, size: int) -> np.ndarray:
    height, width = size, size // 2
    out = np.zeros((height, width), dtype=np.float64)
    for _ in range(7):
        y, x = rng.uniform(0.2, 0.8) * height, rng.uniform(0.2, 0.8) * width
        angle = rng.uniform(0, 2 * np.pi)
        for _branch in range(3):
            n = int(size * 0.12)
            ang = angle + np.cumsum(rng.normal(0, 0.05, n))
            py = y + np.cumsum(np.sin(ang)) * 0.5
            px = x + np.cumsum(np.cos(ang)) * 0.5
            _splat(out, py, px, np.ones(n))
            angle += rng.uniform(-0.7, 0.7)
            y, x = py[n // 2], px[n // 2]
    out = gaussian_filter(out, max(size / 400, 0.5))
    return (out / max(out.max(), 1e-6)).astype(np.float32)


def _field(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    field = gaussian_filter(rng.standard_normal(shape), sigma, mode="wrap")
    return ((field - field.mean()) / field.std()).astype(np.float32)


_DETAIL_SIZE = 256
"""Above this size, smooth banks are drawn at this size and resized (drawing them at 1024 takes a minute)."""


def _resize(array: np.ndarray, height: int, width: int) -> np.ndarray:
    from PIL import Image

    return np.asarray(
        Image.fromarray(array, mode="F").resize((width, height), Image.BILINEAR), dtype=np.float32
    )


@functools.lru_cache(maxsize=4)
def get_banks(size: int) -> Banks:
    """The banks for one image size (cached: built once per process, about a second)."""
    coords = (np.arange(size, dtype=np.float32) + 0.5) / size
    if size > _DETAIL_SIZE:
        base = get_banks(_DETAIL_SIZE)
        rng = np.random.default_rng(_BANK_SEED + size)
        vessels = np.stack([_resize(v, 2 * size, size + size // 4) for v in base.vessels])
        bronchi = np.stack([_resize(b, size, size // 2) for b in base.bronchi])
        noise = _field(rng, (2 * size, 2 * size), 0.6 * size / 224)
        texture = _resize(base.texture, 2 * size, 2 * size)
        blobs = _resize(base.blobs, 2 * size, 2 * size)
    else:
        rng = np.random.default_rng(_BANK_SEED + size)
        vessels = np.stack([_vessel_tree(rng, size) for _ in range(N_VESSEL_TREES)])
        bronchi = np.stack([_bronchi(rng, size) for _ in range(4)])
        noise = _field(rng, (2 * size, 2 * size), 0.6 * size / 224)
        texture = _field(rng, (2 * size, 2 * size), 3.0 * size / 224)
        coarse = _field(rng, (2 * size, 2 * size), 6.0 * size / 224)
        blobs = np.clip(0.5 + 0.45 * coarse + 0.25 * texture, 0, 1).astype(np.float32)
    noise = np.ascontiguousarray(noise[:, :size])  # S wide: any S*S run of it is an image window
    mirrored = np.ascontiguousarray(vessels[:, :, ::-1])
    for array in (vessels, mirrored, bronchi, noise, texture, blobs):
        array.setflags(write=False)
    return Banks(size, coords[None, :], coords[:, None], vessels, mirrored, bronchi, noise, texture, blobs)
