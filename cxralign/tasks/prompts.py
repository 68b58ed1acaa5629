"""Zero-shot prompts: which text stands for each class, under the model card's policy.

Policies (``ModelCard.prompts.style``; the default is ``pair``):

- ``single``: the first positive template; score = cosine(image, prompt).
- ``ensemble``: the mean of the normalised embeddings of every positive template.
- ``pair``: positive and negative prompt ensembles; score = softmax over
  (positive, negative) of ``logit_scale * cosine``, i.e. P(positive).

Templates contain ``{}`` (or ``{finding}``), filled with the class's phrase from
:data:`CLASS_PHRASES`; a few classes that are statements rather than findings
(``No Finding``) have whole prompts instead. A class with neither, and no
user-supplied prompt, is an error naming it: guessing a phrase would silently
change what is measured.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxralign.errors import ConfigError, InputError

DEFAULT_POSITIVE = ("{}.", "There is {}.", "Findings consistent with {}.", "Chest radiograph showing {}.")
DEFAULT_NEGATIVE = ("No {}.", "There is no {}.", "No evidence of {}.", "Chest radiograph without {}.")

CLASS_PHRASES: dict[str, str] = {
    # CheXpert-14
    "Enlarged Cardiomediastinum": "enlarged cardiomediastinum",
    "Cardiomegaly": "cardiomegaly",
    "Lung Opacity": "lung opacity",
    "Lung Lesion": "lung lesion",
    "Edema": "pulmonary edema",
    "Consolidation": "consolidation",
    "Pneumonia": "pneumonia",
    "Atelectasis": "atelectasis",
    "Pneumothorax": "pneumothorax",
    "Pleural Effusion": "pleural effusion",
    "Pleural Other": "pleural abnormality",
    "Fracture": "fracture",
    "Support Devices": "support devices",
    # ChestX-ray14 spellings
    "Effusion": "pleural effusion",
    "Infiltration": "infiltration",
    "Mass": "mass",
    "Nodule": "nodule",
    "Emphysema": "emphysema",
    "Fibrosis": "fibrosis",
    "Pleural_Thickening": "pleural thickening",
    "Hernia": "hiatal hernia",
    # VinDr-CXR
    "Aortic enlargement": "aortic enlargement",
    "Calcification": "calcification",
    "Clavicle fracture": "clavicle fracture",
    "Enlarged PA": "enlarged pulmonary artery",
    "ILD": "interstitial lung disease",
    "Lung cavity": "lung cavity",
    "Lung cyst": "lung cyst",
    "Mediastinal shift": "mediastinal shift",
    "Nodule/Mass": "nodule or mass",
    "Pleural effusion": "pleural effusion",
    "Pleural thickening": "pleural thickening",
    "Pulmonary fibrosis": "pulmonary fibrosis",
    "Rib fracture": "rib fracture",
    "Other lesion": "a lesion",
    "COPD": "chronic obstructive pulmonary disease",
    "Lung tumor": "lung tumor",
    "Tuberculosis": "tuberculosis",
    "Other disease": "disease",
}

WHOLE_PROMPTS: dict[str, dict[str, tuple[str, ...]]] = {
    "No Finding": {
        "positive": (
            "No acute cardiopulmonary abnormality.",
            "The lungs are clear.",
            "Normal chest radiograph.",
        ),
        "negative": (
            "Acute cardiopulmonary abnormality.",
            "There is an abnormality.",
            "Abnormal chest radiograph.",
        ),
    },
}
WHOLE_PROMPTS["No finding"] = WHOLE_PROMPTS["No Finding"]


@dataclass(frozen=True)
class ClassPrompts:
    positive: tuple[str, ...]
    negative: tuple[str, ...]


def _fill(template: str, phrase: str) -> str:
    text = (
        template.replace("{finding}", "{}").replace("{label}", "{}").replace("{class}", "{}").format(phrase)
    )
    return text[:1].upper() + text[1:]


def policy_from_card(card: Any) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(style, positive templates, negative templates) from a model card, or the default pair policy."""
    style = getattr(card, "prompts", None) if card is not None else None
    if style is None and isinstance(card, dict):
        style = card.get("prompts")
    if style is None:
        return "pair", DEFAULT_POSITIVE, DEFAULT_NEGATIVE
    get = style.get if isinstance(style, dict) else lambda k, d=None: getattr(style, k, d)
    negatives = tuple(get("negative_templates", ()) or ()) or DEFAULT_NEGATIVE
    return str(get("style")), tuple(get("templates")), negatives


def load_prompt_file(path: str | Path) -> dict[str, dict[str, list[str]] | str]:
    """User prompts (JSON or YAML): ``{class: phrase}`` or ``{class: {positive: [...], negative: [...]}}``."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise InputError(f"cannot read prompt file {path}: {error.strerror}") from None
    if path.suffix in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if not isinstance(data, dict):
        raise InputError(f"prompt file {path} must map class names to a phrase or to positive/negative lists")
    return data


def build_prompts(
    classes: tuple[str, ...] | list[str],
    positive_templates: tuple[str, ...],
    negative_templates: tuple[str, ...],
    user: dict[str, Any] | None = None,
) -> dict[str, ClassPrompts]:
    """Prompts for every class, or an error naming the classes nothing covers."""
    user = user or {}
    out: dict[str, ClassPrompts] = {}
    uncovered = []
    for cls in classes:
        given = user.get(cls)
        if isinstance(given, dict):
            out[cls] = ClassPrompts(tuple(given.get("positive", ())), tuple(given.get("negative", ())))
        elif isinstance(given, str) or cls in CLASS_PHRASES:
            phrase = given if isinstance(given, str) else CLASS_PHRASES[cls]
            out[cls] = ClassPrompts(
                tuple(_fill(t, phrase) for t in positive_templates),
                tuple(_fill(t, phrase) for t in negative_templates),
            )
        elif cls in WHOLE_PROMPTS:
            out[cls] = ClassPrompts(WHOLE_PROMPTS[cls]["positive"], WHOLE_PROMPTS[cls]["negative"])
        else:
            uncovered.append(cls)
            continue
        if not out[cls].positive:
            uncovered.append(cls)
    if uncovered:
        raise ConfigError(
            f"no zero-shot prompt covers class(es) {', '.join(map(repr, uncovered))}; "
            "pass --prompts FILE mapping each to a phrase"
        )
    return out
