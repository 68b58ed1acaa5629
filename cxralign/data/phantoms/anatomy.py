"""The normal chest: patient geometry and its rendering as an attenuation map.

Everything is drawn in normalised coordinates (0..1 across the image, x to the
image right = patient left, as on a PA film) with row/column profiles broadcast
against each other, so a shape costs a handful of whole-array operations and no
per-pixel Python. Each lung is drawn inside its own window and keeps its
*content* (darkness, vessels, texture) separately from its *mask*: a finding
that changes the lung outline (a large heart, fluid, a collapsed lung) only has
to recompute the mask and add ``(new_mask - old_mask) * content``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from cxralign.data.phantoms._fast import clip, lookup
from cxralign.data.phantoms.banks import N_VESSEL_TREES, Banks

F32 = np.float32


@dataclass(frozen=True)
class Anatomy:
    """One patient's body; a later study of the same patient jitters pose and inspiration."""

    cx: float  # thorax midline
    spine_dx: float  # rotation: spine offset from the thorax midline
    hw: float  # half-width of the rib cage
    wall: float  # chest wall soft-tissue thickness
    apex_y: float
    dome_right: float  # hemidiaphragm dome heights (the right one usually sits higher)
    dome_left: float
    cp_drop: float  # costophrenic angle below the dome
    apex_off: float  # distance of each lung apex from the midline
    med_up: float  # half-width of the upper mediastinum
    heart_right: float  # right heart border distance from the midline
    heart_left: float  # left heart border distance from the midline
    heart_top: float
    hilum_y: float
    clav_y: float
    rib_count: float
    rib_phase: float
    rib_arch: float
    lung_dark: float
    tissue: float
    bone: float
    vessel_gain: float
    breast: float
    bubble: float  # gastric air bubble size (0 = none)
    vessel_trees: tuple[int, int] = (0, 1)

    @property
    def thoracic_width(self) -> float:
        return 2 * self.hw

    @property
    def ctr(self) -> float:
        """Cardiothoracic ratio of this anatomy."""
        return (self.heart_left + self.heart_right) / self.thoracic_width


def sample_anatomy(
    rng: np.random.Generator, jitter: float = 1.0, ctr_range: tuple[float, float] = (0.38, 0.47)
) -> Anatomy:
    """A plausible adult patient: habitus, inspiration, heart size, bone density."""
    u = rng.uniform
    hw = u(0.355, 0.415)
    apex_y = u(0.12, 0.17)
    dome_right = u(0.66, 0.74)
    heart_total = hw * 2 * u(*ctr_range)
    heart_left = heart_total * u(0.63, 0.70)
    return Anatomy(
        cx=0.5 + u(-0.02, 0.02) * jitter,
        spine_dx=u(-0.015, 0.015) * jitter,
        hw=hw,
        wall=u(0.035, 0.07),
        apex_y=apex_y,
        dome_right=dome_right,
        dome_left=dome_right + u(0.01, 0.035),
        cp_drop=u(0.06, 0.09),
        apex_off=u(0.11, 0.135),
        med_up=u(0.045, 0.06),
        heart_right=heart_total - heart_left,
        heart_left=heart_left,
        heart_top=u(0.40, 0.45),
        hilum_y=u(0.38, 0.43),
        clav_y=apex_y + u(0.02, 0.06),
        rib_count=u(9.0, 10.5),
        rib_phase=u(0.0, 1.0),
        rib_arch=u(0.85, 1.25),
        lung_dark=u(0.33, 0.42),
        tissue=u(0.55, 0.65),
        bone=u(0.10, 0.16),
        vessel_gain=u(0.15, 0.21),
        breast=u(0.0, 0.08) if rng.random() < 0.5 else 0.0,
        bubble=u(0.03, 0.06) if rng.random() < 0.6 else 0.0,
        vessel_trees=(int(rng.integers(N_VESSEL_TREES)), int(rng.integers(N_VESSEL_TREES))),
    )


def restudy(anatomy: Anatomy, rng: np.random.Generator, jitter: float = 1.0) -> Anatomy:
    """The same patient on another day: different inspiration and positioning."""
    shift = rng.uniform(-0.02, 0.02) * jitter
    return replace(
        anatomy,
        cx=anatomy.cx + rng.uniform(-0.01, 0.01) * jitter,
        spine_dx=float(clip(anatomy.spine_dx + rng.uniform(-0.01, 0.01) * jitter, -0.025, 0.025)),
        dome_right=anatomy.dome_right + shift,
        dome_left=anatomy.dome_left + shift,
        rib_phase=(anatomy.rib_phase + rng.uniform(-0.1, 0.1)) % 1.0,
    )


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
    vessels: np.ndarray  # (h, w) this lung's vessel layer (already scaled)
    sharp: float  # edge sharpness: 1 / (pixel size in normalised units)
    _lateral: np.ndarray | None = field(default=None, repr=False)

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
        s = F32(self.sharp)
        half = F32(0.5)
        dist, y = self.dist * s, self.y * s
        mask = _ramp(dist, inner * s - half)
        mask *= _ramp(outer * s + half, dist)
        mask *= _ramp(diaphragm * s + half, y)
        if apex_y is not None:
            mask *= _ramp(y, F32(apex_y * self.sharp) - half)
        return mask


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


def lung_width_profiles(
    anatomy: Anatomy, side: str, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Medial and lateral boundary (distance from the midline) per row, and the row's t."""
    a = anatomy
    dome = a.dome_right if side == "right" else a.dome_left
    cp_y = dome + a.cp_drop
    t = (y - a.apex_y) / (cp_y - a.apex_y)
    tc = clip(t, 0.0, 1.0)
    rise = tc**0.42
    outer = a.apex_off + (a.hw - a.apex_off) * rise
    heart = a.heart_left if side == "left" else a.heart_right
    mediastinum = mediastinal_profile(a, heart, y, dome, knob=side == "left")
    settle = clip(tc / 0.35, 0.0, 1.0) ** 0.5
    inner = np.maximum(mediastinum, a.apex_off - (a.apex_off - mediastinum) * settle)
    return inner.astype(F32, copy=False), outer.astype(F32, copy=False), t.astype(F32, copy=False)


def mediastinal_profile(
    a: Anatomy, heart: float, y: np.ndarray, dome: float, knob: bool, upper: float | None = None
) -> np.ndarray:
    """Half-width of the mediastinum and heart on one side, per row."""
    centre = dome - 0.06
    radius = max(centre - a.heart_top, 0.05)
    z = clip((y - centre) / radius, -1.0, 0.0)
    heart_border = heart * np.sqrt(clip(1.0 - z * z, 0.0, 1.0))
    width = np.maximum(a.med_up if upper is None else upper, heart_border)
    if knob:  # aortic knob above the left heart border
        knob_y = a.heart_top - 0.06
        width = np.maximum(width, (a.med_up + 0.028) * clip(1 - ((y - knob_y) / 0.035) ** 2, 0, 1))
    return width


def _window(banks: Banks, anatomy: Anatomy, side: str) -> tuple[slice, slice]:
    size = banks.size
    mid = int(round((anatomy.cx) * size))
    cp = max(anatomy.dome_right, anatomy.dome_left) + anatomy.cp_drop
    rows = slice(max(int(anatomy.apex_y * size) - 2, 0), min(int(cp * size) + 3, size))
    cols = slice(0, mid) if side == "right" else slice(mid, size)
    return rows, cols


def _lung_frame(
    banks: Banks, a: Anatomy, side: str, rng_offsets: tuple[int, int], texture_gain: float
) -> LungFrame:
    size = banks.size
    rows, cols = _window(banks, a, side)
    sign = -1 if side == "right" else 1
    x = banks.grid_x[:, cols]
    y = banks.grid_y[rows]
    dist = (sign * (x - a.cx)).astype(F32)
    inner, outer, t = lung_width_profiles(a, side, y)
    dome = a.dome_right if side == "right" else a.dome_left
    dome_x = a.apex_off + 0.06
    curve = a.cp_drop / max(a.hw - dome_x, 0.05) ** 2
    diaphragm = (dome + curve * (dist - dome_x) ** 2).astype(F32)
    diaphragm = np.where(dist < dome_x, dome + 0.6 * curve * (dist - dome_x) ** 2, diaphragm).astype(F32)
    frame = LungFrame(
        side=side,
        sign=sign,
        rows=rows,
        cols=cols,
        x=x,
        y=y,
        dist=dist,
        t=t,
        inner=inner,
        outer=outer,
        apex_y=a.apex_y,
        cp_y=dome + a.cp_drop,
        dome_y=dome,
        dome_x=dome_x,
        diaphragm=diaphragm,
        mask=np.empty(0, F32),
        content=np.empty(0, F32),
        vessels=np.empty(0, F32),
        sharp=float(size),
    )
    frame.mask = frame.outline()
    # darkness: lungs are a little less dark at the apex (muscle, clavicles) and bases (soft tissue)
    tc = clip(t, 0, 1)
    darkness = a.lung_dark * (0.78 + 0.22 * np.sin(np.pi * clip(tc * 1.15, 0, 1)))
    darkness = darkness - a.breast * clip((tc - 0.6) / 0.4, 0, 1) * 2.0
    darkness = darkness.astype(F32)
    # content = vessels + texture * gain - darkness * (1 - 0.45 lateral^3), in place
    lat = frame.lateral
    content = lat * lat
    content *= lat
    content *= F32(0.45) * darkness
    content -= darkness
    vessels = _vessel_window(banks, a, frame)
    oy, ox = rng_offsets
    h, w = frame.mask.shape
    texture = banks.texture[oy : oy + h, ox : ox + w]
    content += vessels
    content += texture * F32(texture_gain)
    frame.vessels = vessels
    frame.content = content
    return frame


def _vessel_window(banks: Banks, a: Anatomy, frame: LungFrame) -> np.ndarray:
    """The patient's vessel tree placed so its trunk sits at this lung's hilum."""
    size = banks.size
    tree = banks.vessels[a.vessel_trees[0 if frame.side == "right" else 1]]
    hilum_row = int(round(a.hilum_y * size)) - frame.rows.start
    hilum_dist = (a.heart_right if frame.side == "right" else a.heart_left) * 0.55 + 0.01
    hilum_col_abs = int(round((a.cx + frame.sign * hilum_dist) * size))
    h = frame.rows.stop - frame.rows.start
    w = frame.cols.stop - frame.cols.start
    top = size - hilum_row
    if frame.side == "left":
        start = size // 4 - (hilum_col_abs - frame.cols.start)
        window = tree[top : top + h, start : start + w]
    else:
        flipped = tree[:, ::-1]
        anchor = tree.shape[1] - 1 - size // 4
        start = anchor - hilum_col_abs
        window = flipped[top : top + h, start : start + w]
    if window.shape != (h, w):  # extreme geometry: pad with no vessels rather than fail
        padded = np.zeros((h, w), F32)
        padded[: window.shape[0], : window.shape[1]] = window
        window = padded
    return window * F32(a.vessel_gain)


def _rib_lut(width: float) -> np.ndarray:
    phase = np.linspace(0, 1, 64, endpoint=False)
    body = clip(1 - np.abs(phase - width / 2) / (width / 2), 0, 1)
    cortex = np.exp(-(((phase - width) / 0.04) ** 2)) + 0.6 * np.exp(-((phase / 0.04) ** 2))
    return (0.55 * np.sqrt(body) + 0.6 * cortex).astype(F32)


_POSTERIOR_LUT = _rib_lut(0.42)
_ANTERIOR_LUT = _rib_lut(0.34)


def rib_geometry(a: Anatomy) -> tuple[float, float]:
    """(ribs per unit height, phase offset) of the posterior rib field."""
    span = 0.62 + (a.dome_right - 0.7)
    return a.rib_count / span, a.rib_phase * 0.15


_LUT_CYCLES = 64.0
"""Whole periods added to a rib phase so it is positive and truncation is a floor."""


def _periodic_field(row_phase: np.ndarray, col_phase: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """``lut`` at the fractional part of ``row_phase + col_phase`` (phases in LUT steps, > -64 periods).

    The phase is separable, so the field is a gather of whole rows from a (len(lut), w)
    table instead of a per-pixel lookup (5-10x faster); rows are rounded to the nearest
    LUT step, which moves a rib edge by at most 1/8 pixel.
    """
    n = len(lut)
    steps = np.arange(n, dtype=F32)[:, None] + (col_phase + F32(_LUT_CYCLES * n))
    index = steps.astype(np.int32)
    index &= n - 1
    table = lookup(lut, index.astype(np.intp))
    rows = (row_phase.ravel() + F32(_LUT_CYCLES * n + 0.5)).astype(np.int32)
    rows &= n - 1
    return np.take(table, rows.astype(np.intp), axis=0, mode="clip")


def posterior_ribs(
    a: Anatomy, X: np.ndarray, Y: np.ndarray, shift: float = 0.0, lut: np.ndarray = _POSTERIOR_LUT
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
    return _periodic_field(row, bend * -steps, lut)


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
    # thickness = sqrt(1 - (adx / torso)^2), then 0.62 + 0.38 * thickness, in place
    thickness = adx * (F32(1.0) / torso)
    thickness *= thickness
    np.subtract(F32(1.0), thickness, out=thickness)
    clip(thickness, 0.0, 1.0, out=thickness)
    np.sqrt(thickness, out=thickness)
    thickness *= F32(0.38)
    thickness += F32(0.62)
    sharp = F32(size * 0.5)
    image = _ramp(torso * sharp + F32(0.5), adx * sharp)  # the body outline
    # abdomen below the diaphragm is denser than the chest wall
    level = (a.tissue + 0.08 * clip((yy - a.dome_right) / 0.1, 0, 1)).astype(F32)[:, None]
    image *= thickness
    image *= level

    # spine, trachea and main bronchi (drawn only in the columns they occupy)
    spine_x = a.cx + a.spine_dx
    cols = _span(size, spine_x - 0.04, spine_x + 0.04)
    sdx = (banks.grid_x[:, cols] - spine_x) * F32(1 / 0.034)
    vertebrae = (1.0 + 0.35 * np.cos(2 * np.pi * (yy / 0.052 + a.rib_phase))).astype(F32)[:, None]
    image[:, cols] += clip(F32(1) - sdx * sdx, 0, 1) * (vertebrae * F32(a.bone * 0.9))
    carina = a.hilum_y - 0.05
    trachea_x = a.cx + 0.3 * a.spine_dx
    rows, cols = slice(0, int(carina * size)), _span(size, trachea_x - 0.02, trachea_x + 0.02)
    tx = (banks.grid_x[:, cols] - trachea_x) * F32(1 / 0.016)
    image[rows, cols] -= F32(0.12) * clip(F32(1) - tx * tx, 0, 1)
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
    window = posterior_ribs(a, Xw, Yw, lut=_POSTERIOR_LUT * F32(a.bone))
    steps = F32(rib_geometry(a)[0] * 0.8 * len(_ANTERIOR_LUT))
    anterior = _periodic_field(
        (Yw - F32(a.apex_y + 0.02)) * steps,
        (adxw - F32(a.hw)) * (F32(0.45) * steps),
        _ANTERIOR_LUT * F32(a.bone * 0.5),
    )
    anterior *= clip((adxw - 0.1) * F32(1 / 0.12), 0, 1)
    window += anterior
    window *= clip((a.hw + 0.025 - adxw) * F32(1 / 0.035), 0, 1)  # ribs fade into the chest wall
    window *= clip((Yw - a.apex_y + 0.05) * F32(1 / 0.03), 0, 1) * clip(
        (cp + 0.08 - Yw) * F32(1 / 0.06), 0, 1
    )
    lung_ribs = np.zeros((size, size), F32)  # the share of rib contrast that lung content carries
    np.multiply(window, F32(0.7), out=lung_ribs[rows, cols])
    window *= F32(0.3)
    image[rows, cols] += window

    # lungs
    h2 = size
    offsets = rng.integers(0, h2 // 2, size=4)
    lungs = {
        side: _lung_frame(banks, a, side, (int(offsets[2 * k]), int(offsets[2 * k + 1])), texture_gain)
        for k, side in enumerate(("right", "left"))
    }
    for frame in lungs.values():
        frame.content += lung_ribs[frame.rows, frame.cols]
        image[frame.rows, frame.cols] += frame.mask * frame.content

    # gastric bubble under the left hemidiaphragm
    if a.bubble > 0:
        by0 = a.dome_left + 0.035
        rows = slice(int((by0 - a.bubble) * size), min(int((by0 + a.bubble) * size) + 1, size))
        bdx = (X - (a.cx + a.apex_off + 0.08)) / (a.bubble * 1.3)
        bdy = (Y[rows] - by0) / (a.bubble * 0.8)
        image[rows] -= F32(0.16) * clip(1 - bdx**2 - bdy**2, 0, 1) ** 0.5 * (bdy > -0.6)

    # clavicles
    rows = slice(max(int((a.clav_y - 0.12) * size), 0), int((a.clav_y + 0.08) * size))
    u = clip((adx - 0.03) / 0.27, 0, 1)
    centre = a.clav_y + 0.03 - 0.1 * u + 0.012 * np.sin(2 * np.pi * u)
    band = clip(1 - np.abs(Y[rows] - centre) / 0.022, 0, 1) * ((adx > 0.025) & (adx < 0.33))
    image[rows] += F32(a.bone * 1.6) * np.sqrt(band)

    return Chest(anatomy=a, image=image, lungs=lungs, banks=banks)
