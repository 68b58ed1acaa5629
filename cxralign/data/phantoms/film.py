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
_LEVELS = 1024
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


def _subsample(image: np.ndarray) -> np.ndarray:
    """Every fourth row: a quarter of the pixels is plenty for a tone histogram, and whole
    rows keep each numpy loop contiguous (a [::2, ::2] view is twice as slow to read)."""
    return image[::4]


def reference_counts(image: np.ndarray) -> np.ndarray:
    """Histogram of the finding-free map: the tones every version of this study must have.

    Estimated from a quarter of the rows (:func:`_subsample`), scaled back up.
    """
    sub = _subsample(image)
    return np.bincount(_quantise(sub).ravel(), minlength=_LEVELS) * (image.size / sub.size)


def _blurred_levels(image: np.ndarray, weight: float) -> np.ndarray:
    """Detector blur then quantisation, fused: tone levels (intp) of the blurred map.

    Each pixel shares ``weight`` with each of its 4 neighbours; levels are not clamped here
    (whoever uses them as indices clamps them). The maths runs on the
    flattened image, where the four neighbours are the same buffer shifted by one
    pixel or one row, so every pass is one contiguous loop (2-D shifted views cost a
    loop per row). Edge rows are clamped; the pixel left of a row's first pixel is the
    previous row's last, which is background on both sides of a film. The quantisation
    scale is folded into the weights.
    """
    height, width = image.shape
    n = height * width
    low = F32(_LOW)  # the weights sum to 1, so the level offset can come off before the blur
    padded = np.empty(n + 2 * width + 2, F32)  # [x, row 0, image, row -1, x]
    np.subtract(image[0], low, out=padded[1 : width + 1])
    np.subtract(image.ravel(), low, out=padded[width + 1 : width + 1 + n])
    np.subtract(image[-1], low, out=padded[width + 1 + n : -1])
    padded[0] = padded[1]
    padded[-1] = padded[-2]
    out = np.add(padded[1 : n + 1], padded[2 * width + 1 : 2 * width + 1 + n])  # up + down
    out += padded[width : width + n]  # left
    out += padded[width + 2 : width + 2 + n]  # right
    out *= F32(weight / (1 - 4 * weight))
    out += padded[width + 1 : width + 1 + n]
    out *= F32((1 - 4 * weight) * _SCALE)  # out-of-range levels are clamped by the look-ups
    return to_index(out).reshape(height, width)


def _tone_curve(levels: np.ndarray, reference: np.ndarray, exposure: Exposure) -> np.ndarray:
    """Film grey value (float32, 0.5 added for rounding) of every tone level: match, window, S-curve.

    The image's histogram is taken over the same quarter of the pixels as the reference,
    and both are normalised to cumulative shares, so they are on one scale.
    """
    sub = clip(_subsample(levels), 0, _LEVELS - 1)
    img_counts = np.bincount(sub.ravel(), minlength=_LEVELS)
    present = reference > 0
    ref_mid = (np.cumsum(reference) - reference * 0.5)[present]
    ref_mid *= 1.0 / (reference.sum())
    img_mid = np.cumsum(img_counts) - img_counts * 0.5
    img_mid *= 1.0 / sub.size
    tones = np.interp(img_mid, ref_mid, _LEVEL_VALUES[present])
    tones *= exposure.gain
    tones += exposure.offset
    clip(tones, 0.0, 1.0, out=tones)
    tones += exposure.gamma_mix * (tones * tones * (3 - 2 * tones) - tones)  # processing S-curve
    tones *= 255.0
    tones += 0.5
    return tones.astype(F32)


def develop(image: np.ndarray, reference: np.ndarray, exposure: Exposure, banks: Banks) -> np.ndarray:
    """Blur, match tones to ``reference`` counts, window and add noise: the uint8 film.

    Tone matching and windowing are one lookup table over the quantised map, so the
    whole step costs a few passes over the image.
    """
    size = image.shape[0]
    levels = _blurred_levels(image, exposure.blur)
    film = lookup(_tone_curve(levels, reference, exposure), levels)
    # a contiguous run of the (2S, S) noise bank, read as S rows: no strided window to walk
    # (where a run wraps from one bank row to the next the noise is merely uncorrelated)
    start = exposure.noise_y * size + exposure.noise_x
    noise = banks.noise.ravel()[start : start + size * size].reshape(size, size)
    film += noise * F32(exposure.noise * exposure.noise_sign)
    clip(film, 0, 255, out=film)
    return film.astype(np.uint8)
