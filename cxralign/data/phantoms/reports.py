"""Radiology reports written from a study's findings, and the labels they imply.

Every sentence carries the CheXpert labels it asserts, so a report's labels are
exactly what its text says: a finding in the pixels that the report hedges is -1,
an absent finding the report negates is 0, and one it never mentions is blank.
Phrasing is deliberately plain radiology English that a CheXpert-style labeler
reads one way only (no "lines" outside devices, no "opacity" in a nodule sentence).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from cxralign.data.phantoms.spec import CHEXPERT_OF, Finding
from cxralign.vocab import CHEXPERT_14

Labels = dict[str, float | None]

_PATHOLOGIES = tuple(name for name in CHEXPERT_14 if name not in ("No Finding", "Support Devices"))
_ORDINAL = {2: "2nd", 3: "3rd", 4: "4th", 5: "5th", 6: "6th", 7: "7th", 8: "8th", 9: "9th", 10: "10th"}
_ADVERB = {"mild": "mildly", "moderate": "moderately", "severe": "severely"}


@dataclass
class Statement:
    text: str
    labels: dict[str, float] = field(default_factory=dict)
    group: str = "lungs"  # devices | lungs | pleura | heart | bones | other


class _Writer:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def pick(self, options: list[str] | tuple[str, ...]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)


PhraseWriter = Callable[["_Writer", Finding, bool], str]
"""(writer state, finding, in the impression?) -> the finding's sentence."""


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return _cap(text.rstrip(".")) + "."


def _side_word(finding: Finding) -> str:
    return finding.laterality or ""


def _lobe(finding: Finding) -> str:
    return finding.location or ""


def _lobe_adjective(finding: Finding) -> str:
    """The lobe as a modifier: "right lower lobe consolidation", but "lingular consolidation"."""
    return "lingular" if finding.location == "lingula" else _lobe(finding)


# ------------------------------------------------------------- positive phrasing


def _cardiomegaly(w: _Writer, f: Finding, impression: bool) -> str:
    sev = f.severity or "mild"
    if f.uncertain:
        return w.pick(
            [
                "possible mild cardiomegaly",
                "the heart may be mildly enlarged",
                "the heart is possibly mildly enlarged",
                "mild cardiomegaly cannot be excluded",
            ]
        )
    if impression:
        return w.pick([f"{sev} cardiomegaly", "cardiomegaly", f"{sev} enlargement of the heart"])
    return w.pick(
        [
            f"{sev} cardiomegaly",
            f"the heart is {_ADVERB[sev]} enlarged",
            f"heart size is {_ADVERB[sev]} enlarged",
            f"there is {sev} cardiomegaly",
            f"{sev} enlargement of the cardiac silhouette",
        ]
    )


def _mediastinum(w: _Writer, f: Finding, impression: bool) -> str:
    sev = f.severity or "mild"
    if f.uncertain:
        return w.pick(
            [
                "possible mild widening of the mediastinum",
                "possible mild mediastinal widening",
                "the mediastinum may be mildly widened",
            ]
        )
    if impression:
        return w.pick(["widened mediastinum", "mediastinal widening"])
    return w.pick(
        [
            "the mediastinum is widened",
            f"the superior mediastinum is {_ADVERB[sev]} widened",
            f"{sev} widening of the superior mediastinum",
            "mediastinal widening",
        ]
    )


def _effusion(w: _Writer, f: Finding, impression: bool) -> str:
    sev, side = f.severity or "small", _side_word(f)
    if f.uncertain:
        return w.pick(
            [
                f"possible small {side} pleural effusion",
                f"a small {side} pleural effusion cannot be excluded",
                f"there may be a small {side} pleural effusion",
            ]
        )
    if side == "bilateral":
        if impression:
            return w.pick([f"{sev} bilateral pleural effusions", "bilateral pleural effusions"])
        return w.pick(
            [
                f"{sev} bilateral pleural effusions",
                f"there are {sev} bilateral pleural effusions",
                f"{sev} bilateral pleural effusions with blunting of the costophrenic angles",
            ]
        )
    if impression:
        return w.pick([f"{sev} {side} pleural effusion", f"{side} pleural effusion"])
    return w.pick(
        [
            f"{sev} {side} pleural effusion",
            f"there is a {sev} {side} pleural effusion",
            f"a {sev} {side} pleural effusion is present",
            f"{sev} {side}-sided pleural effusion",
            f"{sev} {side} pleural effusion with blunting of the costophrenic angle",
            f"there is a {sev} {side} effusion",
        ]
    )


def _pneumothorax(w: _Writer, f: Finding, impression: bool) -> str:
    sev, side = f.severity or "small", _side_word(f)
    where = "apical " if f.location == "apical" else ""
    if f.uncertain:
        return w.pick(
            [
                f"possible small {side} {where}pneumothorax",
                f"a small {side} {where}pneumothorax cannot be excluded",
            ]
        )
    if impression:
        return w.pick([f"{sev} {side} pneumothorax", f"{sev} {side} {where}pneumothorax"])
    return w.pick(
        [
            f"{sev} {side} {where}pneumothorax",
            f"there is a {sev} {side} {where}pneumothorax",
            f"a {sev} {side} {where}pneumothorax is present",
            f"{sev} {side}-sided {where}pneumothorax",
        ]
    )


def _consolidation(w: _Writer, f: Finding, impression: bool) -> str:
    lobe, adj = _lobe(f), _lobe_adjective(f)
    bronchograms = " with air bronchograms" if f.extra.get("air_bronchograms") and not impression else ""
    if f.uncertain:
        return w.pick(
            [
                f"possible early consolidation in the {lobe}",
                f"patchy consolidation in the {lobe} cannot be excluded",
            ]
        )
    if impression:
        return w.pick([f"{adj} consolidation", f"consolidation in the {lobe}"])
    if f.subtype == "patchy":
        return w.pick([f"patchy consolidation in the {lobe}", f"patchy {adj} consolidation"])
    return w.pick(
        [
            f"{adj} consolidation{bronchograms}",
            f"dense consolidation in the {lobe}{bronchograms}",
            f"there is consolidation of the {lobe}{bronchograms}",
            f"focal consolidation in the {lobe}{bronchograms}",
        ]
    )


def _opacity(w: _Writer, f: Finding, impression: bool) -> str:
    lobe, adj = _lobe(f), _lobe_adjective(f)
    if f.uncertain:
        return w.pick(
            [f"possible subtle opacity in the {lobe}", f"there may be a subtle patchy opacity in the {lobe}"]
        )
    if impression:
        return w.pick([f"patchy {adj} opacity", f"{adj} airspace opacity"])
    return w.pick(
        [
            f"patchy opacity in the {lobe}",
            f"hazy opacity in the {lobe}",
            f"ill-defined airspace opacity in the {lobe}",
            f"patchy airspace opacities in the {lobe}",
        ]
    )


def _nodule(w: _Writer, f: Finding, impression: bool) -> str:
    lobe, size = _lobe(f), f.size_cm or 1.0
    adj = _lobe_adjective(f)
    if f.uncertain:
        mm = int(round(size * 10))
        return w.pick(
            [f"possible {mm} mm nodule in the {lobe}", f"questionable {mm} mm nodule in the {lobe}"]
        )
    if impression:
        return w.pick([f"{adj} pulmonary nodule", f"{size:g} cm {adj} nodule"])
    return w.pick(
        [
            f"{size:g} cm nodule in the {lobe}",
            f"a {size:g} cm pulmonary nodule is seen in the {lobe}",
            f"there is a {size:g} cm rounded nodule in the {lobe}",
            f"well-circumscribed {size:g} cm nodule in the {lobe}",
        ]
    )


def _mass(w: _Writer, f: Finding, impression: bool) -> str:
    lobe, size = _lobe(f), f.size_cm or 4.0
    adj = _lobe_adjective(f)
    if impression:
        return w.pick([f"{adj} mass", f"{size:g} cm {adj} mass"])
    return w.pick(
        [
            f"{size:g} cm mass in the {lobe}",
            f"there is a lobulated {size:g} cm mass in the {lobe}",
            f"a {size:g} cm mass is present in the {lobe}",
        ]
    )


def _atelectasis(w: _Writer, f: Finding, impression: bool) -> str:
    side = _side_word(f)
    if f.subtype == "plate-like":
        if side == "bilateral":
            if f.uncertain:
                return "probable bibasilar atelectasis"
            return w.pick(
                [
                    "bibasilar linear atelectasis",
                    "bibasilar plate-like atelectasis",
                    "linear atelectasis at both lung bases",
                    "bibasilar atelectasis",
                ]
            )
        if f.uncertain:
            return w.pick(
                [
                    f"probable linear atelectasis at the {side} lung base",
                    f"probable plate-like atelectasis at the {side} lung base",
                    f"possible {side} basilar atelectasis",
                ]
            )
        if impression:
            return w.pick([f"{side} basilar atelectasis", f"linear atelectasis at the {side} base"])
        return w.pick(
            [
                f"discoid atelectasis at the {side} lung base",
                f"plate-like atelectasis at the {side} lung base",
                f"linear atelectasis at the {side} base",
                f"{side} basilar subsegmental atelectasis",
            ]
        )
    lobe = _lobe(f)
    if impression:
        return w.pick([f"{lobe} atelectasis", f"{lobe} collapse"])
    return w.pick(
        [
            f"{lobe} collapse with volume loss",
            f"atelectasis of the {lobe} with elevation of the {side} hemidiaphragm",
            f"{lobe} atelectasis with volume loss",
        ]
    )


def _edema(w: _Writer, f: Finding, impression: bool) -> str:
    sev = f.severity or "mild"
    if f.uncertain:
        return w.pick(["possible mild pulmonary edema", "mild pulmonary edema cannot be excluded"])
    if impression:
        return w.pick([f"{sev} pulmonary edema", "pulmonary edema"])
    return w.pick(
        [
            f"{sev} pulmonary edema",
            f"there is {sev} pulmonary edema",
            f"{sev} bilateral perihilar pulmonary edema",
            f"findings consistent with {sev} pulmonary edema",
        ]
    )


def _device(w: _Writer, f: Finding, impression: bool) -> str:
    side = _side_word(f)
    kind = f.subtype
    if kind == "endotracheal_tube":
        tip = f.extra.get("tip_above_carina_cm", 4.0)
        if impression:
            return "endotracheal tube in appropriate position"
        return w.pick(
            [
                f"endotracheal tube terminates {tip:g} cm above the carina",
                f"the endotracheal tube tip is {tip:g} cm above the carina",
                f"an endotracheal tube is in place with its tip {tip:g} cm above the carina",
            ]
        )
    if kind == "central_line":
        route, tip = f.extra.get("route", "internal jugular"), f.location
        if impression:
            return f"{side} {route} central venous catheter in the {tip}"
        return w.pick(
            [
                f"{side} {route} central venous catheter terminates in the {tip}",
                f"{side} {route} central line with tip in the {tip}",
                f"a {side}-sided {route} catheter tip projects over the {tip}",
            ]
        )
    if kind == "pacemaker":
        leads = f.extra.get("leads", 2)
        where = (
            "leads in the right atrium and right ventricle"
            if leads > 1
            else "a single lead in the right atrium"
        )
        if impression:
            return f"{side}-sided pacemaker"
        return w.pick(
            [
                f"{side}-sided pacemaker with {where}",
                f"a {side} chest wall pacemaker is present with {where}",
                f"{side} chest wall pacer device with {where}",
            ]
        )
    if impression:
        return f"{side} chest tube in place"
    return w.pick(
        [
            f"{side} chest tube in place",
            f"a {side}-sided chest tube is present with its tip at the apex",
            f"{side} chest tube terminates at the apex",
        ]
    )


def _fracture(w: _Writer, f: Finding, impression: bool) -> str:
    side, rib = _side_word(f), _ORDINAL.get(int(f.extra.get("rib", 6)), "6th")
    kind = f.subtype or "nondisplaced"
    if f.uncertain:
        return w.pick(
            [
                f"possible nondisplaced fracture of the {side} {rib} rib",
                f"a nondisplaced {side} {rib} rib fracture cannot be excluded",
            ]
        )
    if impression:
        return w.pick([f"{side} {rib} rib fracture", f"{kind} {side} {rib} rib fracture"])
    return w.pick(
        [
            f"acute {kind} fracture of the {side} {rib} rib",
            f"there is a {kind} fracture of the lateral {side} {rib} rib",
            f"{kind} fracture of the {side} {rib} rib",
        ]
    )


POSITIVE_PHRASES: dict[str, tuple[PhraseWriter, str]] = {
    "cardiomegaly": (_cardiomegaly, "heart"),
    "enlarged_cardiomediastinum": (_mediastinum, "heart"),
    "pleural_effusion": (_effusion, "pleura"),
    "pneumothorax": (_pneumothorax, "pleura"),
    "consolidation": (_consolidation, "lungs"),
    "lung_opacity": (_opacity, "lungs"),
    "nodule": (_nodule, "lungs"),
    "mass": (_mass, "lungs"),
    "atelectasis": (_atelectasis, "lungs"),
    "edema": (_edema, "lungs"),
    "support_devices": (_device, "devices"),
    "fracture": (_fracture, "bones"),
}

# ------------------------------------------------------------- negation and normality

_NEGATIONS: list[tuple[tuple[str, ...], str, list[str]]] = [
    (
        ("Pleural Effusion", "Pneumothorax"),
        "pleura",
        [
            "no pleural effusion or pneumothorax",
            "no pneumothorax or pleural effusion",
            "there is no pleural effusion or pneumothorax",
        ],
    ),
    (
        ("Consolidation", "Pleural Effusion", "Pneumothorax"),
        "lungs",
        ["no focal consolidation, pleural effusion, or pneumothorax"],
    ),
    (
        ("Pleural Effusion",),
        "pleura",
        [
            "no pleural effusion",
            "no pleural effusions",
            "there is no pleural effusion",
            "no evidence of pleural effusion",
        ],
    ),
    (
        ("Pneumothorax",),
        "pleura",
        ["no pneumothorax", "there is no pneumothorax", "no evidence of pneumothorax"],
    ),
    (
        ("Consolidation",),
        "lungs",
        ["no focal consolidation", "there is no focal consolidation", "no consolidation"],
    ),
    (("Lung Opacity",), "lungs", ["no focal airspace opacity", "no focal airspace disease"]),
    (
        ("Edema",),
        "lungs",
        ["no pulmonary edema", "there is no pulmonary edema", "no evidence of pulmonary edema"],
    ),
    (
        ("Lung Lesion",),
        "lungs",
        ["no suspicious pulmonary nodules or masses", "no pulmonary nodule or mass is identified"],
    ),
    (("Pneumonia",), "lungs", ["no evidence of pneumonia"]),
    (("Atelectasis",), "lungs", ["no atelectasis"]),
    (
        ("Cardiomegaly", "Enlarged Cardiomediastinum"),
        "heart",
        [
            "heart size and mediastinal contours are normal",
            "normal heart size and mediastinal contours",
            "the heart and mediastinum are within normal limits",
        ],
    ),
    (
        ("Cardiomegaly",),
        "heart",
        [
            "heart size is normal",
            "the heart is normal in size",
            "normal heart size",
            "the cardiac silhouette is normal in size",
        ],
    ),
    (
        ("Enlarged Cardiomediastinum",),
        "heart",
        [
            "the mediastinal contours are normal",
            "normal mediastinal contours",
            "the mediastinum is not widened",
        ],
    ),
    (("Fracture",), "bones", ["no displaced rib fracture", "no acute rib fracture", "no acute fracture"]),
]
_NEGATION_RATE = {
    "Pneumonia": 0.15,
    "Atelectasis": 0.08,
    "Fracture": 0.35,
    "Lung Opacity": 0.3,
    "Lung Lesion": 0.3,
}

_INDICATIONS = [
    "Cough.",
    "Shortness of breath.",
    "Chest pain.",
    "Preoperative evaluation.",
    "Follow-up.",
    "Dyspnea.",
    "Fever and cough.",
    "Hypoxia.",
]
_EXAMS = [
    "CHEST (PA AND LAT)",
    "CHEST (PORTABLE AP)",
    "Chest radiograph, frontal view",
    "CHEST, 2 VIEWS",
    "Frontal chest radiograph",
]
_NEUTRAL = ["The visualized upper abdomen is unremarkable.", "No free air is seen below the diaphragm."]


def _positive_statements(
    w: _Writer, findings: tuple[Finding, ...], prior: set[str] | None
) -> list[Statement]:
    out = []
    for f in findings:
        writer, group = POSITIVE_PHRASES[f.name]
        text = writer(w, f, impression=False)
        value = -1.0 if f.uncertain else 1.0
        if prior is not None and not f.uncertain and f.name != "support_devices" and w.chance(0.35):
            text = (
                ("new " if f.name not in prior else w.pick(["unchanged ", "persistent "])) + text
                if _prefixable(text)
                else text
            )
        out.append(Statement(_sentence(text), {CHEXPERT_OF[f.name]: value}, group))
        if f.name == "consolidation" and not f.uncertain and w.chance(0.3):
            out.append(
                Statement(
                    _sentence(
                        w.pick(["this may represent pneumonia", "findings are concerning for pneumonia"])
                    ),
                    {"Pneumonia": -1.0},
                    "lungs",
                )
            )
    return out


def _prefixable(text: str) -> bool:
    first = text.split(" ", 1)[0]
    return first in {
        "small",
        "moderate",
        "large",
        "mild",
        "severe",
        "patchy",
        "discoid",
        "plate-like",
        "linear",
    } or first.endswith("lobe")


def _negation_statements(w: _Writer, mentioned: set[str], at_least_one: bool) -> list[Statement]:
    """Negate a random subset of the observations the report does not otherwise mention."""
    free = set(_PATHOLOGIES) - mentioned
    order = list(range(len(_NEGATIONS)))
    w.rng.shuffle(order)
    out = []
    for k in order:
        labels, group, phrases = _NEGATIONS[k]
        if not set(labels) <= free:
            continue
        rate = min(_NEGATION_RATE.get(label, 0.65) for label in labels)
        if len(labels) > 1:
            rate = 0.45
        if not w.chance(rate) and not (at_least_one and not out):
            continue
        free -= set(labels)
        out.append(Statement(_sentence(w.pick(phrases)), {label: 0.0 for label in labels}, group))
    return out


def aggregate_labels(statements: list[Statement]) -> Labels:
    """CheXpert aggregation: positive beats uncertain beats negative; unmentioned is blank."""
    labels: Labels = {name: None for name in CHEXPERT_14}
    rank = {1.0: 3, -1.0: 2, 0.0: 1}
    for statement in statements:
        for name, value in statement.labels.items():
            current = labels[name]
            if current is None or rank[value] > rank[current]:
                labels[name] = value
    if not any(labels[name] in (1.0, -1.0) for name in _PATHOLOGIES):
        labels["No Finding"] = 1.0
    return labels


def write_report(
    findings: tuple[Finding, ...], rng: np.random.Generator, *, prior: set[str] | None = None
) -> tuple[str, Labels]:
    """A report (FINDINGS and IMPRESSION) for ``findings`` and the labels its text gives.

    ``prior`` holds the finding names of the patient's previous study, if there is one.
    """
    w = _Writer(rng)
    positives = _positive_statements(w, findings, prior)
    mentioned = {label for s in positives for label in s.labels}
    negatives = _negation_statements(w, mentioned, at_least_one=len(positives) < 2)
    body = positives + negatives
    groups = ["devices", "lungs", "pleura", "heart", "bones"]
    if w.chance(0.35):
        w.rng.shuffle(groups)
    ordered = [s for g in groups for s in body if s.group == g]
    if w.chance(0.2):
        ordered.append(Statement(w.pick(_NEUTRAL), {}, "other"))

    pathologic = [f for f in findings if f.name != "support_devices"]
    impression: list[Statement] = []
    if pathologic:
        for f in pathologic:
            if len(impression) < 3 or w.chance(0.3):
                text = POSITIVE_PHRASES[f.name][0](w, f, impression=True)
                impression.append(
                    Statement(_sentence(text), {CHEXPERT_OF[f.name]: -1.0 if f.uncertain else 1.0})
                )
        if w.chance(0.3):
            impression.reverse()
    else:
        if findings and w.chance(0.5):
            f = findings[0]
            impression.append(
                Statement(
                    _sentence(POSITIVE_PHRASES[f.name][0](w, f, impression=True)), {"Support Devices": 1.0}
                )
            )
        impression.append(
            Statement(
                w.pick(
                    [
                        "No acute cardiopulmonary process.",
                        "No acute cardiopulmonary abnormality.",
                        "No acute intrathoracic process.",
                    ]
                ),
                {},
            )
        )

    header = "IMPRESSION:" if w.chance(0.7) else "Impression:"
    fheader = "FINDINGS:" if header.isupper() else "Findings:"
    parts = []
    if w.chance(0.4):
        parts.append(
            f"EXAMINATION: {w.pick(_EXAMS)}" if header.isupper() else f"Examination: {w.pick(_EXAMS)}"
        )
    if w.chance(0.4):
        parts.append(("INDICATION: " if header.isupper() else "Indication: ") + w.pick(_INDICATIONS))
    if prior is not None or w.chance(0.3):
        comparison = (
            w.pick(["Chest radiograph from {n} days earlier.", "Prior study from {n} days ago."]).format(
                n=int(rng.integers(1, 30))
            )
            if prior is not None
            else "None."
        )
        parts.append(("COMPARISON: " if header.isupper() else "Comparison: ") + comparison)
    parts.append(f"{fheader} " + " ".join(s.text for s in ordered))
    parts.append(f"{header} " + " ".join(s.text for s in impression))
    labels = aggregate_labels(body + impression)
    return "\n".join(parts), labels
