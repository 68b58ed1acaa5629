"""The rib cage as periodic fields: rib profiles as lookup tables, the posterior arches, their geometry.

A rib field is a lookup table read at a separable phase (row phase + column phase), so a
whole cage is a gather of table rows (``periodic_field``); ``chest.py`` draws the normal
ribs with it and ``painting.py`` the displaced fragment of a fracture.
"""

from __future__ import annotations

import numpy as np

from cxralign.data.phantoms._fast import clip, lookup
from cxralign.data.phantoms.anatomy import Anatomy

F32 = np.float32


def _rib_lut(width: float) -> np.ndarray:
    phase = np.linspace(0, 1, 64, endpoint=False)
    body = clip(1 - np.abs(phase - width / 2) / (width / 2), 0, 1)
    cortex = np.exp(-(((phase - width) / 0.04) ** 2)) + 0.6 * np.exp(-((phase / 0.04) ** 2))
    return (0.55 * np.sqrt(body) + 0.6 * cortex).astype(F32)


POSTERIOR_LUT = _rib_lut(0.42)
ANTERIOR_LUT = _rib_lut(0.34)


def rib_geometry(a: Anatomy) -> tuple[float, float]:
    """(ribs per unit height, phase offset) of the posterior rib field."""
    span = 0.62 + (a.dome_right - 0.7)
    return a.rib_count / span, a.rib_phase * 0.15


_LUT_CYCLES = 64.0
"""Whole periods added to a rib phase so it is positive and truncation is a floor."""
_STEPS = {n: np.arange(n, dtype=np.intp)[:, None] for n in (len(POSTERIOR_LUT), len(ANTERIOR_LUT))}


def periodic_field(
    row_phase: np.ndarray, col_phase: np.ndarray, lut: np.ndarray, col_weight: np.ndarray | None = None
) -> np.ndarray:
    """``lut`` at the fractional part of ``row_phase + col_phase`` (phases in LUT steps, > -64 periods).

    The phase is separable, so the field is a gather of whole rows from a (len(lut), w)
    table instead of a per-pixel lookup (5-10x faster); rows are rounded to the nearest
    LUT step, which moves a rib edge by at most 1/8 pixel. ``col_weight`` (1, w) scales
    the columns for free: it is applied to the table, not to the field.
    """
    n = len(lut)
    shift = (col_phase.ravel() + F32(_LUT_CYCLES * n)).astype(np.int32)  # floor: the phase is > 0
    shift &= n - 1
    table = lookup(np.concatenate((lut, lut)), _STEPS[n] + shift.astype(np.intp))
    if col_weight is not None:
        table *= col_weight
    rows = (row_phase.ravel() + F32(_LUT_CYCLES * n + 0.5)).astype(np.int32)
    rows &= n - 1
    return np.take(table, rows.astype(np.intp), axis=0, mode="clip")


def posterior_ribs(
    a: Anatomy,
    X: np.ndarray,
    Y: np.ndarray,
    shift: float = 0.0,
    lut: np.ndarray = POSTERIOR_LUT,
    col_weight: np.ndarray | None = None,
) -> np.ndarray:
    """Posterior rib arches, (h, w) from X (1, w) and Y (h, 1): rib k has its body centre at phase k + 0.21.

    ``shift`` moves the field down (a displaced fracture fragment); ``lut`` is the rib
    profile (pass a pre-scaled copy to get scaled ribs for free).
    """
    sdx = np.abs(X - F32(a.cx + a.spine_dx))
    bend = sdx * (F32(a.rib_arch * 2.2) * sdx - F32(0.3))
    density, offset = rib_geometry(a)
    steps = F32(density * len(lut))
    row = (Y - F32(shift + a.apex_y - 0.045)) * steps + F32(offset * len(lut))
    return periodic_field(row, bend * -steps, lut, col_weight)
