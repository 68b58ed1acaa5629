"""The label vocabularies every stage shares: CheXpert-14 and ChestX-ray14.

Report labels, phantom ground truth, benchmark targets and zero-shot classes all
use these exact strings, so they are defined once here.
"""

from __future__ import annotations

from typing import Literal

CHEXPERT_14: tuple[str, ...] = (
    "No Finding",
    "Enlarged Cardiomediastinum",
    "Cardiomegaly",
    "Lung Opacity",
    "Lung Lesion",
    "Edema",
    "Consolidation",
    "Pneumonia",
    "Atelectasis",
    "Pneumothorax",
    "Pleural Effusion",
    "Pleural Other",
    "Fracture",
    "Support Devices",
)
"""CheXpert observations in the column order of the CheXpert labeler's output."""

CXR14: tuple[str, ...] = (
    "Atelectasis",
    "Cardiomegaly",
    "Effusion",
    "Infiltration",
    "Mass",
    "Nodule",
    "Pneumonia",
    "Pneumothorax",
    "Consolidation",
    "Edema",
    "Emphysema",
    "Fibrosis",
    "Pleural_Thickening",
    "Hernia",
)
"""ChestX-ray14 labels, spelled as in the NIH release."""

VocabName = Literal["chexpert", "cxr14"]

VOCABULARIES: dict[str, tuple[str, ...]] = {"chexpert": CHEXPERT_14, "cxr14": CXR14}

POSITIVE, NEGATIVE, UNCERTAIN = 1.0, 0.0, -1.0
"""CheXpert labeler values; a finding never mentioned is ``None`` (blank)."""


def vocabulary(name: str) -> tuple[str, ...]:
    """Return the observation names of a vocabulary, with a clear error for an unknown one."""
    try:
        return VOCABULARIES[name]
    except KeyError:
        from cxralign.errors import ConfigError  # here, not above: the engine asks on every report

        raise ConfigError(f"unknown vocabulary {name!r}; choose one of {', '.join(VOCABULARIES)}") from None
