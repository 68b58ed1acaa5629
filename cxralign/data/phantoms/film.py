"""From attenuation map to an 8-bit film: tone matching, detector blur, noise, exposure.

Tone matching is what keeps labels out of global statistics. A large effusion or
heart makes the raw map whiter; real images go through automatic windowing that
hides most of that. Here the map *with* findings is remapped, monotonically, so
that its histogram equals that of the same patient's map *without* findings.
Local contrast (fluid whiter than lung) survives; the mean, spread and histogram
of the film depend only on the patient's anatomy and exposure, never on findings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxralign.data.phantoms._fast import clip, lookup, to_index, uniform_index
from cxralign.data.phantoms.banks import Banks

F32 = np.float32
_LEVELS = 2048
_LOW, _HIGH = -0.4, 1.8
_SCALE = (_LEVELS - 1) / (_HIGH - _LOW)
_LEVEL_VALUES = (np.arange(_LEVELS, dtype=np.float64) / _SCALE + _LOW).astype(np.float64)


@dataclass(frozen=True)
class Exposure:
    """Acquisition of one study: windowing, detector blur and quantum noise."""

    gain: float
    offset: float
    gamma_mix: float
    blur: float  # 0..0.2: weight of each 4-neighbour
    noise: float  # noise std in 8-bit grey levels
    noise_y: int
    noise_x: int
    noise_sign: float


def sample_exposure(rng: np.random.Generator, size: int, noise_scale: float) -> Exposure:
    return Exposure(
        gain=float(rng.uniform(0.85, 1.1)),
        offset=float(rng.uniform(-0.06, 0.05)),
        gamma_mix=float(rng.uniform(0.0, 0.35)),
        blur=float(rng.uniform(0.02, 0.16)),
        noise=float(rng.uniform(2.0, 4.5) * noise_scale),
        noise_y=int(rng.integers(0, size)),
        noise_x=int(rng.integers(0, size)),
        noise_sign=(-1.0, 1.0)[uniform_index(rng, 2)],
    )


def _quantise(image: np.ndarray) -> np.ndarray:
    q = image * F32(_SCALE)
    q -= F32(_LOW * _SCALE)
    clip(q, 0, _LEVELS - 1, out=q)
    return to_index(q)


def reference_counts(image: np.ndarray) -> np.ndarray:
    """Histogram of the finding-free map: the tones every version of this study must have.

    Estimated from every other row and column (a quarter of the pixels), scaled back up.
    """
    return np.bincount(_quantise(image[::2, ::2]).ravel(), minlength=_LEVELS) * (
        image.size / image[::2, ::2].size
    )


def _blurred_levels(image: np.ndarray, weight: float) -> np.ndarray:
    """Detector blur then quantisation, fused: tone levels (intp) of the blurred map.

    Each pixel shares ``weight`` with each of its 4 neighbours (edges clamp); the
    quantisation scale is folded into the blur weights so the whole step is a few
    passes over one edge-padded copy.
    """
    b = F32(weight * _SCALE)
    height, width = image.shape
    padded = np.empty((height + 2, width + 2), F32)  # edge-clamped copy (np.pad costs 3x more)
    padded[1:-1, 1:-1] = image
    padded[0, 1:-1] = image[0]
    padded[-1, 1:-1] = image[-1]
    padded[:, 0] = padded[:, 1]
    padded[:, -1] = padded[:, -2]
    out = padded[:-2, 1:-1] + padded[2:, 1:-1]
    out += padded[1:-1, :-2]
    out += padded[1:-1, 2:]
    out *= b
    out += image * F32((1 - 4 * weight) * _SCALE)
    out -= F32(_LOW * _SCALE)
    clip(out, 0, _LEVELS - 1, out=out)
    return to_index(out)


def develop(image: np.ndarray, reference: np.ndarray, exposure: Exposure, banks: Banks) -> np.ndarray:
    """Blur, match tones to ``reference`` counts, window and add noise: the uint8 film.

    Tone matching and windowing are one lookup table over the quantised map, so the
    whole step costs a few passes over the image.
    """
    size = image.shape[0]
    q_img = _blurred_levels(image, exposure.blur)
    n = q_img.size
    img_counts = np.bincount(q_img.ravel(), minlength=_LEVELS)
    present = reference > 0
    ref_mid = (np.cumsum(reference) - reference / 2.0)[present] / n
    img_mid = (np.cumsum(img_counts) - img_counts / 2.0) / n
    tones = np.interp(img_mid, ref_mid, _LEVEL_VALUES[present])
    tones = clip(tones * exposure.gain + exposure.offset, 0.0, 1.0)
    tones += exposure.gamma_mix * (tones * tones * (3 - 2 * tones) - tones)  # processing S-curve
    lut = (tones * 255.0 + 0.5).astype(F32)
    film = lookup(lut, q_img)
    noise = banks.noise[
        exposure.noise_y : exposure.noise_y + size, exposure.noise_x : exposure.noise_x + size
    ]
    film += noise * F32(exposure.noise * exposure.noise_sign)
    clip(film, 0, 255, out=film)
    return film.astype(np.uint8)
