"""How findings change the chest: one painter per finding (the table in ``findings.py`` names them).

Findings are drawn as changes to the normal chest, in the window of the lung
they belong to. Lung-replacing findings (fluid, consolidation, collapse) remove a
fraction of the lung's own content (``-mask * content``), so an opacified lobe
ends at soft-tissue density, hides its vessels and silhouettes the border it
touches, as on a film.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from cxralign.data.phantoms._fast import clip
from cxralign.data.phantoms.anatomy import Anatomy
from cxralign.data.phantoms.chest import Chest, LungFrame, lung_profiles
from cxralign.data.phantoms.ribs import posterior_ribs, rib_geometry
from cxralign.data.phantoms.sampling import DifficultyProfile
from cxralign.data.phantoms.spec import Finding
from cxralign.utils.registry import Registry

F32 = np.float32
CM = 0.0257  # normalised image units per centimetre (a ~30 cm wide chest spans ~0.77 of the film)


def _add(chest: Chest, frame: LungFrame, delta: np.ndarray) -> None:
    chest.image[frame.rows, frame.cols] += delta


def _frames(chest: Chest, laterality: str | None) -> list[LungFrame]:
    if laterality == "bilateral" or laterality is None:
        return [chest.lungs["right"], chest.lungs["left"]]
    return [chest.lungs[laterality]]


def _lobe_weight(frame: LungFrame, lobe: str, sharp: float = 40.0) -> np.ndarray:
    """Soft (h, w) weight of a lobe in the frontal projection.

    ``sharp`` sets how crisply the minor fissure bounds it (lobar filling is crisp, patches are not).
    """
    t = frame.t
    lat = frame.lateral
    fissure = 0.42
    if lobe.endswith("upper lobe"):
        edge = (
            clip((fissure - t) * sharp, 0, 1)
            if frame.side == "right"
            else clip((fissure + 0.05 - t) * 12, 0, 1)
        )
        return edge * np.ones_like(lat)
    if lobe in ("right middle lobe", "lingula"):
        band = clip((t - fissure) * sharp, 0, 1) * clip((0.9 - t) * 6, 0, 1)
        return band * clip((0.62 - lat) * 4, 0, 1)
    return clip((t - 0.5) * 6, 0, 1) * np.ones_like(lat)  # lower lobes


def _opacify(chest: Chest, frame: LungFrame, weight: np.ndarray, fill: float) -> None:
    """Replace ``fill`` of the lung's air with tissue where ``weight`` is 1."""
    _add(chest, frame, (F32(-fill) * weight * frame.mask) * frame.content)


def _remask(chest: Chest, frame: LungFrame, new_mask: np.ndarray) -> None:
    _add(chest, frame, (new_mask - frame.mask) * frame.content)
    frame.mask = new_mask


def change_anatomy(chest: Chest, findings: tuple[Finding, ...]) -> Anatomy:
    """Heart size, mediastinal width and lobar volume loss change the lung outlines."""
    a = chest.anatomy
    changed = a
    for finding in findings:
        if finding.name == "cardiomegaly":
            factor = finding.extra["ctr"] / a.ctr
            changed = replace(
                changed,
                heart_left=a.heart_left * factor,
                heart_right=a.heart_right * (1 + (factor - 1) * 0.8),
            )
        elif finding.name == "enlarged_cardiomediastinum":
            widen = 0.035 if finding.severity == "mild" else 0.055
            changed = replace(changed, med_up=a.med_up + widen)
    profiles = lung_profiles(changed, chest.lungs["right"].y) if changed is not a else {}
    for side, frame in chest.lungs.items():
        new_mask = None
        if changed is not a:
            inner = profiles[side][0]
            new_mask = frame.outline(inner=np.maximum(inner, frame.inner))
            frame.inner = np.maximum(inner, frame.inner)
            frame._lateral = None
        for finding in findings:
            if finding.name == "atelectasis" and finding.subtype == "lobar" and finding.laterality == side:
                frame.diaphragm = frame.diaphragm - F32(0.035)
                new_mask = frame.outline()
        if new_mask is not None:
            _remask(chest, frame, new_mask)
    return changed


def _effusion(chest: Chest, finding: Finding, profile: DifficultyProfile) -> None:
    level_t = {"small": 0.9, "moderate": 0.74, "large": 0.55}[finding.severity or "small"]
    for frame in _frames(chest, finding.laterality):
        level = frame.apex_y + level_t * (frame.cp_y - frame.apex_y)
        meniscus = level - 0.12 * frame.lateral**2
        fluid = clip((frame.y - meniscus) / 0.05, 0, 1)
        below = frame.outline(diaphragm=frame.diaphragm + F32(0.05))
        fill = min(0.95 * profile.contrast, 1.0)
        _add(chest, frame, fluid * (F32(-fill) * frame.mask * frame.content + F32(0.03 * fill) * below))


def _pneumothorax(chest: Chest, finding: Finding, profile: DifficultyProfile) -> None:
    frame = chest.lungs[finding.laterality or "right"]
    gap = {"small": 0.025, "moderate": 0.05, "large": 0.09}[finding.severity or "small"] * profile.size
    t = frame.t
    if finding.location == "apical":
        shrink = gap * clip((0.5 - t) / 0.35, 0, 1)
        apex = frame.apex_y + gap * 1.4
    else:
        shrink = gap * clip((0.92 - t) / 0.3, 0, 1)
        apex = frame.apex_y + gap * 0.6
    collapsed = frame.outline(outer=frame.outer - shrink.astype(F32), apex_y=apex)
    soft = clip((collapsed - 0.5) * 0.8 + 0.5, 0, 1)
    region = clip(frame.mask - collapsed, 0, 1)
    line = 4 * soft * (1 - soft) * frame.mask
    c = profile.contrast
    delta = -region * (frame.vessels + F32(0.05 * c)) + F32(0.14 * c) * line + collapsed * F32(0.25 * gap * c)
    _add(chest, frame, delta)


def _point_in_lobe(
    rng: np.random.Generator, frame: LungFrame, lobe: str, margin: float
) -> tuple[float, float]:
    """An image (y, x) inside a lobe, at least ``margin`` from the lung edges."""
    t_range = {"upper": (0.15, 0.38), "middle": (0.5, 0.75), "lower": (0.62, 0.8)}
    key = "upper" if "upper" in lobe else ("middle" if lobe in ("right middle lobe", "lingula") else "lower")
    t = float(rng.uniform(*t_range[key]))
    y = frame.apex_y + t * (frame.cp_y - frame.apex_y)
    row = int(clip(np.searchsorted(frame.y[:, 0], y), 0, frame.y.shape[0] - 1))
    inner, outer = float(frame.inner[row, 0]), float(frame.outer[row, 0])
    lat = (0.2, 0.5) if key == "middle" else (0.3, 0.75)
    dist = inner + float(rng.uniform(*lat)) * (outer - inner)
    dist = float(clip(dist, inner + margin, max(outer - margin, inner + margin)))
    return y, chest_cx(frame) + frame.sign * dist


def chest_cx(frame: LungFrame) -> float:
    """The midline, recovered from the frame's columns and distances."""
    return float(frame.x[0, 0] - frame.sign * frame.dist[0, 0])


def _round_density(
    chest: Chest,
    frame: LungFrame,
    centre: tuple[float, float],
    radius: float,
    fill: float,
    lobulation: float,
    rng,
) -> None:
    size = chest.size
    cy, cx = centre
    y0 = max(int((cy - radius * 1.4) * size) - frame.rows.start, 0)
    y1 = min(int((cy + radius * 1.4) * size) + 2 - frame.rows.start, frame.mask.shape[0])
    x0 = max(int((cx - radius * 1.4) * size) - frame.cols.start, 0)
    x1 = min(int((cx + radius * 1.4) * size) + 2 - frame.cols.start, frame.mask.shape[1])
    if y1 <= y0 or x1 <= x0:
        return
    yy = frame.y[y0:y1] - cy
    xx = frame.x[:, x0:x1] - cx
    r = np.sqrt(yy * yy + xx * xx)
    if lobulation:
        theta = np.arctan2(yy, xx)
        radius_map = radius * (
            1 + lobulation * np.sin(3 * theta + rng.uniform(0, 6.28)) + 0.5 * lobulation * np.sin(5 * theta)
        )
    else:
        radius_map = radius
    edge = 1.0 / size
    disc = clip((radius_map - r) / edge + 0.5, 0, 1) * np.sqrt(
        clip(1 - (r / (radius_map + edge)) ** 2, 0.15, 1)
    )
    window = (slice(y0, y1), slice(x0, x1))
    local = disc * frame.mask[window]
    chest.image[frame.rows, frame.cols][window] += (
        F32(-fill) * local * frame.content[window] + F32(0.04 * fill) * local
    )


def _airspace(chest: Chest, finding: Finding, profile: DifficultyProfile, rng: np.random.Generator) -> None:
    frame = chest.lungs[finding.laterality or "right"]
    lobar = finding.name == "consolidation" and finding.subtype == "lobar"
    weight = _lobe_weight(frame, finding.location or "", 40.0 if lobar else 7.0)
    h, w = frame.mask.shape
    oy, ox = (int(v) for v in rng.integers(0, chest.size // 2, size=2))
    blobs = chest.banks.blobs[oy : oy + h, ox : ox + w]
    c = profile.contrast
    if finding.name == "consolidation" and finding.subtype == "lobar":
        weight = weight * (0.8 + 0.2 * blobs)
        fill = min(0.9 * c, 1.0)
    elif finding.name == "consolidation":
        weight = weight * clip((blobs - 0.35) * 3.0, 0, 1)
        fill = min(0.85 * c, 1.0)
    else:  # lung opacity: hazy, ill-defined
        weight = weight * clip((blobs - 0.25) * 2.5, 0, 1)
        fill = min(0.72 * c, 1.0)
    _opacify(chest, frame, weight, fill)
    if finding.extra.get("air_bronchograms"):
        bronchi = chest.banks.bronchi[int(rng.integers(len(chest.banks.bronchi)))]
        by, bx = (int(v) for v in rng.integers(0, chest.size // 2, size=2))
        tile = np.zeros((h, w), F32)
        src = bronchi[by % max(bronchi.shape[0] - h, 1) :, :][:h, :w]
        tile[: src.shape[0], : src.shape[1]] = src
        _add(chest, frame, F32(-0.12 * c) * tile * weight * frame.mask)


def _lesion(chest: Chest, finding: Finding, profile: DifficultyProfile, rng: np.random.Generator) -> None:
    frame = chest.lungs[finding.laterality or "right"]
    radius = (finding.size_cm or 1.0) * CM / 2
    centre = _point_in_lobe(rng, frame, finding.location or "", radius * 1.2)
    fill = min((0.95 if finding.name == "nodule" else 1.0) * profile.contrast, 1.0)
    _round_density(chest, frame, centre, radius, fill, 0.1 if finding.name == "mass" else 0.0, rng)


def _atelectasis(
    chest: Chest, finding: Finding, profile: DifficultyProfile, rng: np.random.Generator
) -> None:
    c = profile.contrast
    for frame in _frames(chest, finding.laterality):
        if finding.subtype == "plate-like":
            y0 = frame.apex_y + rng.uniform(0.72, 0.82) * (frame.cp_y - frame.apex_y)
            slope = rng.uniform(-0.15, 0.15)
            thickness = rng.uniform(0.007, 0.011) * profile.size
            centre_lat = rng.uniform(0.35, 0.6)
            across = clip(1 - np.abs(frame.lateral - centre_lat) / 0.28, 0, 1)
            band = clip(1 - np.abs(frame.y - (y0 + slope * (frame.dist - 0.2))) / thickness, 0, 1)
            _opacify(chest, frame, band * np.minimum(across * 3, 1), min(0.85 * c, 1.0))
        else:  # lower lobe collapse: a dense medial wedge behind/beside the heart
            wedge = clip((0.8 * (frame.t - 0.45) - frame.lateral) * 12, 0, 1) * (frame.t > 0.45)
            _opacify(chest, frame, wedge, min(0.9 * c, 1.0))


def _edema(chest: Chest, finding: Finding, profile: DifficultyProfile, rng: np.random.Generator) -> None:
    fill = {"mild": 0.55, "moderate": 0.7, "severe": 0.85}[finding.severity or "mild"] * profile.contrast
    a = chest.anatomy
    for frame in _frames(chest, "bilateral"):
        hilum_dist = (a.heart_right if frame.side == "right" else a.heart_left) * 0.55
        h, w = frame.mask.shape
        oy, ox = (int(v) for v in rng.integers(0, chest.size // 2, size=2))
        blobs = chest.banks.blobs[oy : oy + h, ox : ox + w]
        haze = clip(
            1 - ((frame.dist - hilum_dist) / 0.24) ** 2 - ((frame.y - a.hilum_y - 0.04) / 0.28) ** 2, 0, 1
        )
        _opacify(chest, frame, haze * (0.75 + 0.25 * blobs), min(fill, 1.0))
        if finding.extra.get("kerley_lines"):
            spacing = 0.018
            lines = clip((np.cos(2 * np.pi * (frame.y / spacing)) - 0.8) * 5, 0, 1)
            zone = clip((frame.lateral - 0.82) * 8, 0, 1) * clip((frame.t - 0.6) * 6, 0, 1)
            _opacify(chest, frame, lines * zone, min(0.6 * profile.contrast, 1.0))


# devices -------------------------------------------------------------------


_PATH_SMOOTHING = 4.0
"""Std (in samples, two per pixel) of the Gaussian that rounds a device path's corners."""


@functools.lru_cache(maxsize=8)
def _gauss_kernel(sigma: float) -> np.ndarray:
    """Normalised 1-D Gaussian, truncated at 4 sigma (what ``ndimage.gaussian_filter1d`` uses)."""
    radius = int(4.0 * sigma + 0.5)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return kernel / kernel.sum()


def _smooth(values: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Gaussian smoothing with edge values held (``mode="nearest"``), without ndimage's overhead."""
    r = len(kernel) // 2
    padded = np.concatenate((np.full(r, values[0]), values, np.full(r, values[-1])))
    return np.convolve(padded, kernel, mode="valid")


def _path_points(points: list[tuple[float, float]], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel (y, x) samples every half pixel along a polyline, corners rounded by smoothing."""
    pts = np.asarray(points, dtype=np.float64) * size
    seg = np.diff(pts, axis=0)
    counts = np.maximum((np.hypot(seg[:, 0], seg[:, 1]) * 2).astype(np.intp), 2)
    owner = np.repeat(np.arange(len(counts)), counts)
    step = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    frac = step / counts[owner]
    kernel = _gauss_kernel(_PATH_SMOOTHING)
    ys = _smooth(pts[owner, 0] + seg[owner, 0] * frac, kernel)
    xs = _smooth(pts[owner, 1] + seg[owner, 1] * frac, kernel)
    return ys, xs


def _line_spread(
    shape: tuple[int, int], ys: np.ndarray, xs: np.ndarray, sigma: float, stride: int
) -> np.ndarray:
    """A line drawn as Gaussian spots (``sigma`` pixels) along the samples, weighted by arc length.

    The sum approximates the line integral of a 2-D Gaussian, so a straight stretch has the
    cross profile of a 1-D Gaussian of unit area whatever the sampling; the spots are
    gathered with one ``np.bincount`` into the (small) box around the path.
    """
    ys, xs = ys[::stride], xs[::stride]
    dy, dx = np.diff(ys), np.diff(xs)
    arc = np.hypot(dy, dx)
    weight = np.empty_like(ys)  # each sample stands for half of each neighbouring gap
    weight[0], weight[-1] = arc[0] / 2, arc[-1] / 2
    weight[1:-1] = (arc[:-1] + arc[1:]) / 2
    weight *= 1.0 / (2 * np.pi * sigma * sigma)
    height, width = shape
    radius = max(int(2.5 * sigma + 0.5), 1)
    offsets = np.arange(-radius, radius + 1)
    py = np.floor(ys + 0.5).astype(np.intp)[:, None] + offsets
    px = np.floor(xs + 0.5).astype(np.intp)[:, None] + offsets
    wy = np.exp((py - ys[:, None]) ** 2 * (-0.5 / sigma**2)) * ((py >= 0) & (py < height))
    wx = np.exp((px - xs[:, None]) ** 2 * (-0.5 / sigma**2)) * ((px >= 0) & (px < width))
    wy *= weight[:, None]
    index = clip(py, 0, height - 1)[:, :, None] * width + clip(px, 0, width - 1)[:, None, :]
    spots = (wy[:, :, None] * wx[:, None, :]).ravel()
    return np.bincount(index.ravel(), spots, minlength=height * width).reshape(shape)


def _draw_path(
    chest: Chest, points: list[tuple[float, float]], width: float, density: float, stripe: float = 0.0
) -> None:
    """Draw a smooth radiopaque tube through normalised (y, x) points."""
    size = chest.size
    ys, xs = _path_points(points, size)
    pad = int(width * size * 2) + 3
    y0, y1 = max(int(ys.min()) - pad, 0), min(int(ys.max()) + pad, size)
    x0, x1 = max(int(xs.min()) - pad, 0), min(int(xs.max()) + pad, size)
    if y1 <= y0 or x1 <= x0:
        return
    ys, xs = ys - y0, xs - x0
    shape = (y1 - y0, x1 - x0)
    added = np.zeros(shape)
    if density:  # the tube wall (thin lines are all stripe and skip this), sampled every pixel
        sigma = max(width * size / 2.5, 0.5)
        added += clip(_line_spread(shape, ys, xs, sigma, 2) * (sigma * 2.5), 0, 1) * density
    if stripe:  # the radiopaque stripe along the tube
        added += clip(_line_spread(shape, ys, xs, 0.6, 1) * 1.5, 0, 1) * stripe
    chest.image[y0:y1, x0:x1] += added.astype(F32)


DevicePainter = Callable[[Chest, Finding, int], None]
DEVICE_PAINTERS: Registry[DevicePainter] = Registry("phantom device")
"""Support-device subtype -> its painter ``(chest, finding, side sign)``."""


def _device(chest: Chest, finding: Finding) -> None:
    DEVICE_PAINTERS.get(finding.subtype)(chest, finding, -1 if finding.laterality == "right" else 1)


@DEVICE_PAINTERS.register("endotracheal_tube")
def _endotracheal_tube(chest: Chest, finding: Finding, s: int) -> None:
    a = chest.anatomy
    cx = a.cx
    tip = a.hilum_y - 0.05 - finding.extra["tip_above_carina_cm"] * CM
    _draw_path(chest, [(0.0, cx + 0.004), (0.08, cx + 0.002), (tip, cx)], 0.014, 0.05, stripe=0.35)


@DEVICE_PAINTERS.register("central_line")
def _central_line(chest: Chest, finding: Finding, s: int) -> None:
    a = chest.anatomy
    cx = a.cx
    tip_y = a.heart_top - 0.02 if finding.location == "superior vena cava" else a.heart_top + 0.04
    svc = cx - a.med_up * 0.7
    if finding.extra.get("route") == "internal jugular":
        path = [
            (0.0, cx + s * 0.09),
            (a.clav_y, cx + s * 0.07),
            (a.clav_y + 0.07, svc + 0.01),
            (tip_y, svc),
        ]
    else:
        path = [
            (a.clav_y - 0.01, cx + s * 0.3),
            (a.clav_y + 0.03, cx + s * 0.12),
            (a.clav_y + 0.07, svc + 0.005),
            (tip_y, svc),
        ]
    _draw_path(chest, path, 0.006, 0.0, stripe=0.3)


@DEVICE_PAINTERS.register("pacemaker")
def _pacemaker(chest: Chest, finding: Finding, s: int) -> None:
    a = chest.anatomy
    cx = a.cx
    gy, gx = a.clav_y + 0.08, cx + s * 0.26
    box = _device_box(chest, gy, gx, 0.045, 0.035)
    chest.image[box[0]] += box[1]
    svc = cx - a.med_up * 0.7
    ra = (a.heart_top + 0.06, svc - 0.01)
    rv = (a.dome_left - 0.04, cx + a.heart_left * 0.45)
    common = [(gy, gx), (a.clav_y + 0.04, cx + s * 0.12), (a.clav_y + 0.08, svc)]
    _draw_path(chest, [*common, (a.heart_top, svc), ra], 0.005, 0.0, stripe=0.4)
    if finding.extra.get("leads", 1) > 1:
        _draw_path(
            chest,
            [*common, (a.heart_top + 0.04, svc + 0.01), (a.dome_left - 0.09, cx), rv],
            0.005,
            0.0,
            stripe=0.4,
        )


@DEVICE_PAINTERS.register("chest_tube")
def _chest_tube(chest: Chest, finding: Finding, s: int) -> None:
    a = chest.anatomy
    cx = a.cx
    frame = chest.lungs[finding.laterality or "right"]
    hw = a.hw
    path = [
        (frame.cp_y - 0.02, cx + s * (hw + 0.09)),
        (frame.cp_y - 0.1, cx + s * (hw - 0.02)),
        (a.hilum_y, cx + s * (hw - 0.07)),
        (a.apex_y + 0.08, cx + s * (a.apex_off + 0.04)),
    ]
    _draw_path(chest, path, 0.016, 0.06, stripe=0.35)


def _device_box(chest: Chest, cy: float, cx: float, half_w: float, half_h: float):
    """A rounded-rectangle generator can: the (rows, cols) it covers and its density there."""
    size = chest.size
    rows = slice(max(int((cy - half_h) * size) - 1, 0), min(int((cy + half_h) * size) + 2, size))
    cols = slice(max(int((cx - half_w) * size) - 1, 0), min(int((cx + half_w) * size) + 2, size))
    yy = np.abs(chest.banks.grid_y[rows] - cy) / half_h
    xx = np.abs(chest.banks.grid_x[:, cols] - cx) / half_w
    shape = clip((1.0 - np.maximum(xx, yy) ** 4) * (size * half_h * 0.5), 0, 1)
    return (rows, cols), F32(0.8) * shape.astype(F32)


def _fracture(chest: Chest, finding: Finding, profile: DifficultyProfile, rng: np.random.Generator) -> None:
    a = chest.anatomy
    size = chest.size
    frame = chest.lungs[finding.laterality or "right"]
    density, offset = rib_geometry(a)
    dist = float(rng.uniform(0.2, 0.28)) + a.hw - 0.39
    x = a.cx + frame.sign * dist
    sdx = abs(x - (a.cx + a.spine_dx))
    bend = sdx * (a.rib_arch * 2.2 * sdx - 0.3)
    rib = finding.extra["rib"]
    y = (rib - 1 + 0.21 - offset) / density + a.apex_y - 0.045 + bend
    half = 0.6 / density
    rows = slice(max(int((y - half) * size), 0), min(int((y + half) * size) + 1, size))
    cols = slice(max(int((x - half) * size), 0), min(int((x + half) * size) + 1, size))
    X = chest.banks.grid_x[:, cols]
    Y = chest.banks.grid_y[rows]
    across = frame.sign * (X - x) + 0.4 * (Y - y)
    step = (0.35 / density) * (finding.subtype == "displaced") * profile.size
    before = posterior_ribs(a, X, Y)
    shifted = posterior_ribs(a, X, Y, float(step)) if step else before
    after = np.where(across > 0, shifted, before) * clip(np.abs(across) * size / 1.2, 0, 1)
    fade = clip(1 - np.maximum(np.abs(Y - y), np.abs(X - x)) / half, 0, 1) ** 0.5
    chest.image[rows, cols] += F32(a.bone * 1.3 * min(profile.contrast, 1.0)) * (after - before) * fade


Painter = Callable[[Chest, Finding, DifficultyProfile, np.random.Generator], None]

PAINTERS: Registry[Painter] = Registry(
    "phantom finding painter",
    members={
        "cardiomegaly": lambda chest, finding, profile, rng: None,  # drawn by change_anatomy
        "enlarged_cardiomediastinum": lambda chest, finding, profile, rng: None,  # drawn by change_anatomy
        "pleural_effusion": lambda chest, finding, profile, rng: _effusion(chest, finding, profile),
        "pneumothorax": lambda chest, finding, profile, rng: _pneumothorax(chest, finding, profile),
        "consolidation": _airspace,
        "lung_opacity": _airspace,
        "nodule": _lesion,
        "mass": _lesion,
        "atelectasis": _atelectasis,
        "edema": _edema,
        "support_devices": lambda chest, finding, profile, rng: _device(chest, finding),
        "fracture": _fracture,
    },
)
"""Finding name -> what it paints after ``change_anatomy`` (heart and mediastinum change the anatomy only)."""
