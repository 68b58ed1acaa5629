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

from cxralign.data.phantoms._fast import clip
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
        noise_sign=float(rng.choice((-1.0, 1.0))),
    )


def _quantise(image: np.ndarray) -> np.ndarray:
    q = (image - F32(_LOW)) * F32(_SCALE)
    clip(q, 0, _LEVELS - 1, out=q)
    return q.astype(np.int32)


def reference_counts(image: np.ndarray) -> np.ndarray:
    """Histogram of the finding-free map: the tones every version of this study must have.

    Estimated from every other row and column (a quarter of the pixels), scaled back up.
    """
    return np.bincount(_quantise(image[::2, ::2]).ravel(), minlength=_LEVELS) * (
        image.size / image[::2, ::2].size
    )


def _blur(image: np.ndarray, weight: float) -> np.ndarray:
    """Detector blur: each pixel shares ``weight`` with each of its 4 neighbours (edges clamp)."""
    b = F32(weight)
    out = image * (1 - 4 * b)
    out[1:] += b * image[:-1]
    out[:-1] += b * image[1:]
    out[0] += b * image[0]
    out[-1] += b * image[-1]
    out[:, 1:] += b * image[:, :-1]
    out[:, :-1] += b * image[:, 1:]
    out[:, 0] += b * image[:, 0]
    out[:, -1] += b * image[:, -1]
    return out


def develop(image: np.ndarray, reference: np.ndarray, exposure: Exposure, banks: Banks) -> np.ndarray:
    """Blur, match tones to ``reference`` counts, window and add noise: the uint8 film.

    Tone matching and windowing are one lookup table over the quantised map, so the
    whole step costs a few passes over the image.
    """
    size = image.shape[0]
    q_img = _quantise(_blur(image, exposure.blur))
    n = q_img.size
    img_counts = np.bincount(q_img.ravel(), minlength=_LEVELS)
    present = reference > 0
    ref_mid = (np.cumsum(reference) - reference / 2.0)[present] / n
    img_mid = (np.cumsum(img_counts) - img_counts / 2.0) / n
    tones = np.interp(img_mid, ref_mid, _LEVEL_VALUES[present])
    tones = clip(tones * exposure.gain + exposure.offset, 0.0, 1.0)
    tones += exposure.gamma_mix * (tones * tones * (3 - 2 * tones) - tones)  # processing S-curve
    lut = (tones * 255.0 + 0.5).astype(F32)
    film = lut[q_img]
    noise = banks.noise[
        exposure.noise_y : exposure.noise_y + size, exposure.noise_x : exposure.noise_x + size
    ]
    film += noise * F32(exposure.noise * exposure.noise_sign)
    clip(film, 0, 255, out=film)
    return film.astype(np.uint8)
