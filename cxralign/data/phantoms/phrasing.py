"""How a present finding is written: one phrase writer per finding, and the table naming them.

A writer turns (the report's RNG, the finding, in the impression?) into one sentence in plain
radiology English; ``reports.py`` assembles the sentences, negations and labels into a report.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cxralign.data.phantoms.spec import Finding

_ORDINAL = {2: "2nd", 3: "3rd", 4: "4th", 5: "5th", 6: "6th", 7: "7th", 8: "8th", 9: "9th", 10: "10th"}
_ADVERB = {"mild": "mildly", "moderate": "moderately", "severe": "severely"}


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
