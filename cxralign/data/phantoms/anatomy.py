"""The patient's geometry: sampled per patient, jittered per study (``chest.py`` renders it).

Everything is in normalised coordinates (0..1 across the image, x to the image right =
patient left, as on a PA film).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from cxralign.data.phantoms._fast import clip
from cxralign.data.phantoms.banks import N_VESSEL_TREES


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
