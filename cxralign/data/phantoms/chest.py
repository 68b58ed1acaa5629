"""The normal chest rendered as an attenuation map from a patient's :class:`Anatomy`.

Everything is drawn in normalised coordinates (0..1 across the image, x to the
image right = patient left, as on a PA film) with row/column profiles broadcast
against each other, so a shape costs a handful of whole-array operations and no
per-pixel Python. Each lung is drawn inside its own window and keeps its
*content* (darkness, vessels, texture) separately from its *mask*: a finding
that changes the lung outline (a large heart, fluid, a collapsed lung) only has
to recompute the mask and add ``(new_mask - old_mask) * content``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from cxralign.data.phantoms._fast import clip
from cxralign.data.phantoms.anatomy import Anatomy
from cxralign.data.phantoms.banks import Banks, get_banks
from cxralign.data.phantoms.ribs import (
    ANTERIOR_LUT,
    POSTERIOR_LUT,
    periodic_field,
    posterior_ribs,
    rib_geometry,
)

F32 = np.float32


def _span(size: int, lo: float, hi: float) -> slice:
    """Pixel columns (or rows) covering normalised [lo, hi], clipped to the image."""
    return slice(max(int(lo * size), 0), min(int(hi * size) + 1, size))


def _soft_step(values: np.ndarray, sharpness: float) -> np.ndarray:
    """0 below zero, 1 above, a linear ramp about one pixel wide (cheaper than a sigmoid)."""
    return clip(values * sharpness + 0.5, 0.0, 1.0)


def _ramp(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """``clip(high - low, 0, 1)`` in two passes: a soft step of operands already scaled by the sharpness.

    Scaling the (h, 1) and (1, w) profiles before they broadcast keeps the (h, w) work to
    one subtraction and one in-place clip.
    """
    out = np.subtract(high, low)
    return clip(out, 0.0, 1.0, out=out)


@dataclass
class LungFrame:
    """One lung's window of the image and the profiles that shape it."""

    side: str  # patient side: "right" (image left) or "left"
    sign: int  # -1 for the image-left lung, +1 for the image-right lung
    rows: slice
    cols: slice
    x: np.ndarray  # (1, w) image x of the window's columns
    y: np.ndarray  # (h, 1)
    dist: np.ndarray  # (1, w) distance from the midline into this lung
    t: np.ndarray  # (h, 1) 0 at the apex, 1 at the costophrenic angle
    inner: np.ndarray  # (h, 1) medial boundary, distance from the midline
    outer: np.ndarray  # (h, 1) lateral boundary
    apex_y: float
    cp_y: float
    dome_y: float
    dome_x: float  # distance of the dome's summit from the midline
    diaphragm: np.ndarray  # (1, w) diaphragm height per column
    mask: np.ndarray  # (h, w) lung in [0, 1]
    content: np.ndarray  # (h, w) what the lung adds to the image where the mask is 1
    vessel_window: np.ndarray  # (h, w) view of this lung's vessel tree in the bank (unscaled)
    vessel_gain: float
    sharp: float  # edge sharpness: 1 / (pixel size in normalised units)
    _lateral: np.ndarray | None = field(default=None, repr=False)

    @property
    def vessels(self) -> np.ndarray:
        """(h, w) this lung's vessel layer as drawn (scaled on demand: only a pneumothorax needs it)."""
        return self.vessel_window * F32(self.vessel_gain)

    @property
    def lateral(self) -> np.ndarray:
        """(h, w) 0 at the medial boundary, 1 at the lateral chest wall."""
        if self._lateral is None:
            inv_span = F32(1.0) / np.maximum(self.outer - self.inner, F32(1e-3))
            lateral = np.subtract(self.dist, self.inner)
            lateral *= inv_span
            self._lateral = clip(lateral, 0.0, 1.0, out=lateral)
        return self._lateral

    def outline(
        self,
        *,
        inner: np.ndarray | None = None,
        outer: np.ndarray | None = None,
        diaphragm: np.ndarray | None = None,
        apex_y: float | None = None,
    ) -> np.ndarray:
        """The lung mask with some boundaries moved (for heart size, collapse, fluid)."""
        inner = self.inner if inner is None else inner
        outer = self.outer if outer is None else outer
        diaphragm = self.diaphragm if diaphragm is None else diaphragm
        # the nearest boundary decides: min(dist - inner, outer - dist, diaphragm - y) as a
        # one-pixel ramp; the +0.5 is folded into the (h, 1) and (1, w) profiles
        s = F32(self.sharp)
        half = F32(0.5)
        dist = self.dist * s
        mask = np.subtract(dist, inner * s - half)
        np.minimum(mask, np.subtract(outer * s + half, dist), out=mask)
        np.minimum(mask, np.subtract(diaphragm * s + half, self.y * s), out=mask)
        if apex_y is not None:
            np.minimum(mask, self.y * s - F32(apex_y * self.sharp - 0.5), out=mask)
        return clip(mask, 0.0, 1.0, out=mask)


@dataclass
class Chest:
    """A rendered normal chest: the attenuation map and the frames findings draw into."""

    anatomy: Anatomy
    image: np.ndarray  # (S, S) attenuation, larger = whiter
    lungs: dict[str, LungFrame]
    banks: Banks

    @property
    def size(self) -> int:
        return self.image.shape[0]


_SIDES = ("right", "left")


def lung_profiles(anatomy: Anatomy, y: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per lung: medial and lateral boundary (distance from the midline) per row, and the row's t."""
    inner, outer, t = _stacked_profiles(anatomy, y)
    return {side: (inner[k], outer[k], t[k]) for k, side in enumerate(_SIDES)}


def _stacked_profiles(a: Anatomy, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(inner, outer, t) of both lungs as (2, h, 1) float32 arrays (right, left).

    Both lungs are computed in one go with per-side parameters: these are a few hundred
    values, where numpy's per-call overhead is the whole cost.
    """
    dome = np.array([[[a.dome_right]], [[a.dome_left]]])
    heart = np.array([[[a.heart_right]], [[a.heart_left]]])
    t = (y - a.apex_y) / (dome + (a.cp_drop - a.apex_y))
    tc = clip(t, 0.0, 1.0)
    outer = tc**0.42
    outer *= a.hw - a.apex_off
    outer += a.apex_off
    mediastinum = mediastinal_profile(a, heart, y, dome, knob=np.array([[[0.0]], [[1.0]]]))
    settle = clip(tc * (1 / 0.35), 0.0, 1.0)
    np.sqrt(settle, out=settle)
    inner = (mediastinum - a.apex_off) * settle
    inner += a.apex_off
    np.maximum(inner, mediastinum, out=inner)
    return inner.astype(F32), outer.astype(F32), t.astype(F32)


def _lung_darkness(a: Anatomy, t: np.ndarray) -> np.ndarray:
    """Air darkness per row: a little less dark at the apex (muscle, clavicles) and bases (soft tissue)."""
    tc = clip(t, 0.0, 1.0)
    darkness = np.sin(clip(tc * (np.pi * 1.15), 0.0, np.pi))
    darkness *= 0.22 * a.lung_dark
    darkness += 0.78 * a.lung_dark
    if a.breast:
        darkness -= clip((tc - 0.6) * (1 / 0.4), 0.0, 1.0) * (2.0 * a.breast)
    return darkness.astype(F32)


def mediastinal_profile(
    a: Anatomy,
    heart: float | np.ndarray,
    y: np.ndarray,
    dome: float | np.ndarray,
    knob: bool | np.ndarray,
    upper: float | None = None,
) -> np.ndarray:
    """Half-width of the mediastinum and heart on one side, per row (arrays: one side per entry).

    ``knob`` (or its weight, per side) adds the aortic knob above the left heart border.
    """
    centre = dome - 0.06
    inv_radius = 1.0 / np.maximum(centre - a.heart_top, 0.05)
    z = (y - centre) * inv_radius
    clip(z, -1.0, 0.0, out=z)
    z *= z
    np.subtract(1.0, z, out=z)
    np.sqrt(clip(z, 0.0, 1.0, out=z), out=z)
    width = np.maximum(a.med_up if upper is None else upper, z * heart)
    if np.any(knob):
        bump = (y - (a.heart_top - 0.06)) * (1 / 0.035)
        bump *= bump
        np.subtract(1.0, bump, out=bump)
        clip(bump, 0.0, 1.0, out=bump)
        np.maximum(width, bump * ((a.med_up + 0.028) * knob), out=width)
    return width


def _window(banks: Banks, anatomy: Anatomy, side: str) -> tuple[slice, slice]:
    """Rows and columns a lung can occupy: apex to the lower costophrenic angle, and from the
    mediastinum (never narrower than ``med_up``, findings only widen it) to the rib cage."""
    a, size = anatomy, banks.size
    mid = int(round(a.cx * size))
    cp = max(a.dome_right, a.dome_left) + a.cp_drop
    rows = slice(max(int(a.apex_y * size) - 2, 0), min(int(cp * size) + 3, size))
    if side == "right":
        cols = slice(max(int((a.cx - a.hw) * size) - 2, 0), min(int((a.cx - a.med_up) * size) + 2, mid))
    else:
        cols = slice(max(int((a.cx + a.med_up) * size) - 1, mid), min(int((a.cx + a.hw) * size) + 3, size))
    return rows, cols


def _lung_frame(
    banks: Banks,
    a: Anatomy,
    side: str,
    profiles: tuple[np.ndarray, np.ndarray, np.ndarray],
    darkness: np.ndarray,
    texture: np.ndarray,
) -> LungFrame:
    """One lung's frame; ``texture`` is its window of the (scaled) parenchymal texture bank."""
    size = banks.size
    rows, cols = _window(banks, a, side)
    sign = -1 if side == "right" else 1
    x = banks.grid_x[:, cols]
    dist = (x - a.cx) * F32(sign)
    inner, outer, t = profiles
    dome = a.dome_right if side == "right" else a.dome_left
    dome_x = a.apex_off + 0.06
    curve = a.cp_drop / max(a.hw - dome_x, 0.05) ** 2
    bend = (dist - dome_x) ** 2  # the dome is flatter medially than laterally
    bend *= np.where(dist < dome_x, F32(0.6 * curve), F32(curve))
    bend += dome
    frame = LungFrame(
        side=side,
        sign=sign,
        rows=rows,
        cols=cols,
        x=x,
        y=banks.grid_y[rows],
        dist=dist,
        t=t,
        inner=inner,
        outer=outer,
        apex_y=a.apex_y,
        cp_y=dome + a.cp_drop,
        dome_y=dome,
        dome_x=dome_x,
        diaphragm=bend.astype(F32),
        mask=np.empty(0, F32),
        content=np.empty(0, F32),
        vessel_window=_vessel_window(banks, a, side, rows, cols),
        vessel_gain=a.vessel_gain,
        sharp=float(size),
    )
    frame.mask = frame.outline()
    # content = vessels + texture - darkness * (1 - 0.45 lateral^3), in place
    lat = frame.lateral
    content = lat * lat
    content *= lat
    content -= F32(1 / 0.45)
    content *= F32(0.45) * darkness
    content += frame.vessel_window * F32(a.vessel_gain)
    content += texture
    frame.content = content
    return frame


@functools.lru_cache(maxsize=8)
def scaled_texture(size: int, gain: float) -> np.ndarray:
    """The parenchymal texture bank pre-multiplied by its gain (saves a pass per lung)."""
    texture = get_banks(size).texture * F32(gain)
    texture.setflags(write=False)
    return texture


def _vessel_window(banks: Banks, a: Anatomy, side: str, rows: slice, cols: slice) -> np.ndarray:
    """The patient's vessel tree placed so its trunk sits at this lung's hilum (a view, not a copy)."""
    size = banks.size
    hilum_row = int(round(a.hilum_y * size)) - rows.start
    sign = -1 if side == "right" else 1
    hilum_dist = (a.heart_right if side == "right" else a.heart_left) * 0.55 + 0.01
    hilum_col_abs = int(round((a.cx + sign * hilum_dist) * size))
    h = rows.stop - rows.start
    w = cols.stop - cols.start
    top = size - hilum_row
    if side == "left":
        tree = banks.vessels[a.vessel_trees[1]]
        start = size // 4 - (hilum_col_abs - cols.start)
    else:  # mirrored copies in the bank keep the window's rows contiguous
        tree = banks.vessels_mirrored[a.vessel_trees[0]]
        start = tree.shape[1] - 1 - size // 4 - hilum_col_abs
    window = tree[top : top + h, max(start, 0) : start + w]
    if window.shape != (h, w):  # extreme geometry: pad with no vessels rather than fail
        padded = np.zeros((h, w), F32)
        padded[: window.shape[0], : window.shape[1]] = window
        window = padded
    return window


def _body_section(adx: np.ndarray, torso: np.ndarray, size: int) -> np.ndarray:
    """Body outline times soft-tissue thickness, (h, w) for torso half-widths (h, 1).

    thickness = 0.62 + 0.38 * sqrt(1 - (adx / torso)^2), computed in place.
    """
    thickness = adx * (F32(1.0) / torso)
    thickness *= thickness
    np.subtract(F32(1.0), thickness, out=thickness)
    clip(thickness, 0.0, 1.0, out=thickness)
    np.sqrt(thickness, out=thickness)
    thickness *= F32(0.38)
    thickness += F32(0.62)
    sharp = F32(size * 0.5)
    thickness *= _ramp(torso * sharp + F32(0.5), adx * sharp)  # the body outline
    return thickness


@functools.lru_cache(maxsize=8)
def _clavicles(size: int) -> np.ndarray:
    """Both clavicles (unit density) for a patient with clavicle height 0.12 and midline 0.5.

    Rows span [clav_y - 0.12, clav_y + 0.08) and columns the midline +- 0.34: the shape
    only moves with the patient, so it is drawn once per image size and placed.
    """
    y = (np.arange(int(0.2 * size) + 1, dtype=np.float64)[:, None] + 0.5) / size - 0.12
    dx = (np.arange(int(0.68 * size) + 1, dtype=np.float64)[None, :] + 0.5) / size - 0.34
    adx = np.abs(dx)
    u = np.clip((adx - 0.03) / 0.27, 0, 1)
    centre = 0.03 - 0.1 * u + 0.012 * np.sin(2 * np.pi * u)
    band = np.clip(1 - np.abs(y - centre) / 0.022, 0, 1) * ((adx > 0.025) & (adx < 0.33))
    template = np.sqrt(band).astype(F32)
    template.setflags(write=False)
    return template


def render_chest(
    anatomy: Anatomy, banks: Banks, rng: np.random.Generator, *, texture_gain: float = 0.012
) -> Chest:
    """Draw the normal chest (no findings) as an attenuation map."""
    a = anatomy
    size = banks.size
    X, Y = banks.grid_x, banks.grid_y
    dx = X - a.cx
    adx = np.abs(dx)

    # body: neck widening into the shoulders, which narrow again to the torso at the armpits
    yy = Y[:, 0]
    torso_w = a.hw + a.wall
    rise = clip((yy - 0.005) / 0.17, 0, 1)
    fall = clip((yy - 0.22) / 0.2, 0, 1)
    shoulder = (
        0.085
        + (0.62 - 0.085) * rise * rise * (3 - 2 * rise)
        - (0.62 - torso_w) * fall * fall * (3 - 2 * fall)
    )
    torso = np.where(yy < 0.2, shoulder, np.maximum(shoulder, torso_w)).astype(F32)[:, None]
    # abdomen below the diaphragm is denser than the chest wall
    level = (a.tissue + 0.08 * clip((yy - a.dome_right) / 0.1, 0, 1)).astype(F32)[:, None]
    # below the armpits every row has the torso's width: one profile row serves them all
    armpit = int(np.argmax(fall >= 1)) if fall[-1] >= 1 else size
    image = np.empty((size, size), F32)
    upper = _body_section(adx, torso[:armpit], size)
    np.multiply(upper, level[:armpit], out=image[:armpit])
    np.multiply(_body_section(adx, torso[armpit : armpit + 1], size), level[armpit:], out=image[armpit:])

    # spine, trachea and main bronchi (drawn only in the columns they occupy)
    spine_x = a.cx + a.spine_dx
    cols = _span(size, spine_x - 0.04, spine_x + 0.04)
    sdx = (banks.grid_x[:, cols] - spine_x) * F32(1 / 0.034)
    vertebrae = (1.0 + 0.35 * np.cos(2 * np.pi * (yy / 0.052 + a.rib_phase))).astype(F32)
    # a tall, narrow strip: drawn transposed, one loop per column instead of one per row
    image.T[cols] += clip(F32(1) - sdx * sdx, 0, 1).T * (vertebrae * F32(a.bone * 0.9))
    carina = a.hilum_y - 0.05
    trachea_x = a.cx + 0.3 * a.spine_dx
    rows, cols = slice(0, int(carina * size)), _span(size, trachea_x - 0.02, trachea_x + 0.02)
    tx = (banks.grid_x[:, cols] - trachea_x) * F32(1 / 0.016)
    image.T[cols, rows] -= F32(0.12) * clip(F32(1) - tx * tx, 0, 1).T  # (broadcast along rows)
    rows, cols = slice(int(carina * size), int((carina + 0.06) * size)), _span(size, a.cx - 0.07, a.cx + 0.07)
    by = Y[rows] - carina
    for sign in (-1, 1):
        bx = (banks.grid_x[:, cols] - (a.cx + sign * by * 0.9)) * F32(1 / 0.011)
        image[rows, cols] -= F32(0.08) * clip(F32(1) - bx * bx, 0, 1)

    # ribs: posterior arches from the spine, fainter anterior ribs descending medially;
    # most of their contrast is part of the lung content, so fluid or consolidation dims them
    cp = max(a.dome_right, a.dome_left) + a.cp_drop
    rows = slice(max(int((a.apex_y - 0.05) * size), 0), min(int((cp + 0.08) * size), size))
    cols = _span(size, a.cx - a.hw - 0.03, a.cx + a.hw + 0.03)
    Xw, Yw = banks.grid_x[:, cols], Y[rows]
    adxw = adx[:, cols]
    wall_fade = clip((a.hw + 0.025 - adxw) * F32(1 / 0.035), 0, 1)  # ribs fade into the chest wall
    window = posterior_ribs(a, Xw, Yw, lut=POSTERIOR_LUT * F32(a.bone), col_weight=wall_fade)
    steps = F32(rib_geometry(a)[0] * 0.8 * len(ANTERIOR_LUT))
    window += periodic_field(
        (Yw - F32(a.apex_y + 0.02)) * steps,
        (adxw - F32(a.hw)) * (F32(0.45) * steps),
        ANTERIOR_LUT * F32(a.bone * 0.5),
        clip((adxw - 0.1) * F32(1 / 0.12), 0, 1) * wall_fade,
    )
    # fade in at the top and out at the bottom: only the first and last rows need it
    row_fade = clip((Yw - a.apex_y + 0.05) * F32(1 / 0.03), 0, 1) * clip(
        (cp + 0.08 - Yw) * F32(1 / 0.06), 0, 1
    )
    faded = np.flatnonzero(row_fade[:, 0] < 1)
    top = faded[faded < len(row_fade) // 2]
    bottom = faded[faded >= len(row_fade) // 2]
    for part in (top, bottom):
        if len(part):
            edge = slice(int(part[0]), int(part[-1]) + 1)
            window[edge] *= row_fade[edge]
    lung_ribs = window * F32(0.7)  # the share of rib contrast that lung content carries
    window *= F32(0.3)
    image[rows, cols] += window
    rib_rows, rib_cols = rows, cols

    # lungs
    offsets = rng.integers(0, size // 2, size=4)
    lung_rows = _window(banks, a, "right")[0]
    inner, outer, t = _stacked_profiles(a, Y[lung_rows])
    darkness = _lung_darkness(a, t)
    texture = scaled_texture(size, texture_gain)
    lungs = {}
    for k, side in enumerate(_SIDES):
        oy, ox = int(offsets[2 * k]), int(offsets[2 * k + 1])
        h, w = lung_rows.stop - lung_rows.start, _window(banks, a, side)[1]
        w = w.stop - w.start
        lungs[side] = _lung_frame(
            banks, a, side, (inner[k], outer[k], t[k]), darkness[k], texture[oy : oy + h, ox : ox + w]
        )
    for frame in lungs.values():
        r0, r1 = max(frame.rows.start, rib_rows.start), min(frame.rows.stop, rib_rows.stop)
        c0, c1 = max(frame.cols.start, rib_cols.start), min(frame.cols.stop, rib_cols.stop)
        if r1 > r0 and c1 > c0:
            fr, fc = frame.rows.start, frame.cols.start
            frame.content[r0 - fr : r1 - fr, c0 - fc : c1 - fc] += lung_ribs[
                r0 - rib_rows.start : r1 - rib_rows.start, c0 - rib_cols.start : c1 - rib_cols.start
            ]
        image[frame.rows, frame.cols] += frame.mask * frame.content

    # gastric bubble under the left hemidiaphragm
    if a.bubble > 0:
        by0 = a.dome_left + 0.035
        rows = slice(int((by0 - a.bubble) * size), min(int((by0 + a.bubble) * size) + 1, size))
        bx0 = a.cx + a.apex_off + 0.08
        cols = _span(size, bx0 - a.bubble * 1.3, bx0 + a.bubble * 1.3)
        bdx = (X[:, cols] - bx0) / (a.bubble * 1.3)
        bdy = (Y[rows] - by0) / (a.bubble * 0.8)
        image[rows, cols] -= F32(0.16) * clip(1 - bdx**2 - bdy**2, 0, 1) ** 0.5 * (bdy > -0.6)

    # clavicles: one drawing per image size, placed at this patient's clavicle height and midline
    template = _clavicles(size)
    top, left = int(round((a.clav_y - 0.12) * size)), int(round((a.cx - 0.34) * size))
    rows = slice(max(top, 0), min(top + template.shape[0], size))
    cols = slice(max(left, 0), min(left + template.shape[1], size))
    part = template[rows.start - top : rows.stop - top, cols.start - left : cols.stop - left]
    image[rows, cols] += part * F32(a.bone * 1.6)

    return Chest(anatomy=a, image=image, lungs=lungs, banks=banks)
