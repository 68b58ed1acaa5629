"""Hand-written radiology sentences: every cue type, lists, laterality, severity, every finding.

Each case is (sentence, concept, expected assertion); the engine must find a mention of the concept
in the sentence with that assertion (for "absent": no mention of the concept at all).
"""

from __future__ import annotations

import pytest

from cxralign.reports import Assertion, analyze

P, N, U, ABSENT = Assertion.POSITIVE, Assertion.NEGATED, Assertion.UNCERTAIN, None

# Every ChestX-ray14 and CheXpert finding, positive / negated / uncertain.
FINDINGS: list[tuple[str, str, Assertion | None]] = [
    ("Bibasilar atelectasis.", "atelectasis", P),
    ("No atelectasis.", "atelectasis", N),
    ("Possible left lower lobe atelectasis.", "atelectasis", U),
    ("The heart is enlarged.", "cardiomegaly", P),
    ("Moderate cardiomegaly.", "cardiomegaly", P),
    ("No cardiomegaly.", "cardiomegaly", N),
    ("Borderline cardiomegaly.", "cardiomegaly", P),  # a grade, as for the CheXpert labeler and MeSH indexers
    ("Small left pleural effusion.", "pleural_effusion", P),
    ("No pleural effusion.", "pleural_effusion", N),
    ("A small effusion cannot be excluded.", "pleural_effusion", U),
    ("Patchy infiltrate in the right upper lobe.", "infiltration", P),
    ("No infiltrate.", "infiltration", N),
    ("Questionable infiltrate at the left base.", "infiltration", U),
    ("A 3 cm mass in the right upper lobe.", "mass", P),
    ("No mass is seen.", "mass", N),
    ("Findings may represent a mass.", "mass", U),
    ("There is a 1 cm nodule in the left mid lung.", "nodule", P),
    ("No suspicious pulmonary nodules.", "nodule", N),
    ("Possible nodule projecting over the right lung base.", "nodule", U),
    ("Right lower lobe pneumonia.", "pneumonia", P),
    ("No evidence of pneumonia.", "pneumonia", N),
    ("Findings are suspicious for pneumonia.", "pneumonia", U),
    ("Small right apical pneumothorax.", "pneumothorax", P),
    ("No pneumothorax.", "pneumothorax", N),
    ("Tiny pneumothorax is questioned.", "pneumothorax", U),
    ("Dense consolidation in the left lower lobe.", "consolidation", P),
    ("No focal consolidation.", "consolidation", N),
    ("Consolidation is not excluded.", "consolidation", U),
    ("Mild interstitial pulmonary edema.", "edema", P),
    ("No pulmonary edema.", "edema", N),
    ("Findings could represent mild edema.", "edema", U),
    ("Hyperinflated lungs with emphysema.", "emphysema", P),
    ("No emphysema.", "emphysema", N),
    ("Possible emphysema.", "emphysema", U),
    ("Interstitial fibrosis at the lung bases.", "fibrosis", P),
    ("No pulmonary fibrosis.", "fibrosis", N),
    ("Possible early fibrosis.", "fibrosis", U),
    ("Right apical pleural thickening.", "pleural_thickening", P),
    ("No pleural thickening.", "pleural_thickening", N),
    ("Possible pleural thickening at the left apex.", "pleural_thickening", U),
    ("Large hiatal hernia.", "hernia", P),
    ("No hiatal hernia.", "hernia", N),
    ("Retrocardiac density may represent a hiatal hernia.", "hernia", U),
    ("The mediastinum is widened.", "enlarged_cardiomediastinum", P),
    ("No mediastinal widening.", "enlarged_cardiomediastinum", N),
    ("Possible mediastinal widening.", "enlarged_cardiomediastinum", U),
    ("Patchy opacity in the right lower lobe.", "lung_opacity", P),
    ("No focal airspace opacity.", "lung_opacity", N),
    ("Questionable opacity at the right base.", "lung_opacity", U),
    ("Spiculated lesion in the left upper lobe.", "lung_lesion", P),
    ("No lung lesion.", "lung_lesion", N),
    ("Possible neoplasm.", "lung_lesion", U),
    ("Healed left rib fractures.", "fracture", P),
    ("No acute fracture.", "fracture", N),
    ("Possible nondisplaced fracture of the right seventh rib.", "fracture", U),
    ("Small left apical pleural scar.", "pleural_other", P),
    ("Right internal jugular central venous catheter ends in the SVC.", "support_devices", P),
    ("Endotracheal tube has been removed.", "support_devices", N),
    ("Left chest tube in place.", "support_devices", P),
    ("Left basilar blunting.", "costophrenic_blunting", P),
    ("Mild loss of volume in the left lower lobe.", "volume_loss", P),
]

NEGATION_CUES = [
    ("No pleural effusion.", "pleural_effusion", N),
    ("The lungs are without consolidation.", "consolidation", N),
    ("Lungs are free of consolidation.", "consolidation", N),
    ("Lungs are clear of consolidation.", "consolidation", N),
    ("The previously seen pneumothorax has resolved.", "pneumothorax", N),
    ("Resolved left lower lobe pneumonia.", "pneumonia", N),
    ("Interval resolution of the right pleural effusion.", "pleural_effusion", N),
    ("No evidence of pneumothorax.", "pneumothorax", N),
    ("Negative for pneumothorax.", "pneumothorax", N),
    ("Pneumothorax is absent.", "pneumothorax", N),
    ("Absent pneumothorax.", "pneumothorax", N),
    ("Pneumothorax is not seen.", "pneumothorax", N),
    ("Pleural effusion is not identified.", "pleural_effusion", N),
    ("Previously seen nodule is no longer visualized.", "nodule", N),
    ("There is no radiographic evidence of pneumonia.", "pneumonia", N),
    ("No definite consolidation.", "consolidation", N),
    ("Without signs of edema.", "edema", N),
    ("There are no findings to suggest pneumonia.", "pneumonia", N),
    ("Findings are not consistent with pneumonia.", "pneumonia", N),
    ("No new consolidation.", "consolidation", N),
    ("No longer any evidence of pneumothorax.", "pneumothorax", N),
    ("Pneumonia is ruled out.", "pneumonia", N),
    ("Pneumothorax unlikely.", "pneumothorax", N),
    ("Edema has cleared.", "edema", N),
]

NORMALITY = [
    ("Heart size is normal.", "cardiomegaly", N),
    ("Heart size normal.", "cardiomegaly", N),
    ("The heart is normal in size.", "cardiomegaly", N),
    ("The heart is not enlarged.", "cardiomegaly", N),
    ("Normal heart size.", "cardiomegaly", N),
    ("Heart size is at the upper limits of normal.", "cardiomegaly", N),
    ("The cardiac silhouette is within normal limits.", "cardiomegaly", N),
    ("Cardiomediastinal silhouette within normal limits.", "cardiomegaly", N),
    ("The cardiomediastinal silhouette is normal.", "cardiomegaly", N),
    ("Normal cardiomediastinal silhouette.", "cardiomegaly", N),
    ("Heart size, mediastinal contours, and hila are normal.", "cardiomegaly", N),
    ("Heart size, mediastinal contours, and hila are normal.", "enlarged_cardiomediastinum", N),
    ("The heart and mediastinum are unremarkable.", "cardiomegaly", N),
    ("Mediastinal contours are normal.", "enlarged_cardiomediastinum", N),
    ("The lungs are clear.", "consolidation", N),
    ("Lungs are clear.", "lung_opacity", N),
    ("The lungs are clear bilaterally.", "pneumonia", N),
    ("Clear lungs.", "consolidation", N),
    ("The lungs are well expanded and clear.", "lung_opacity", N),
    ("Costophrenic angles are sharp.", "pleural_effusion", N),
    ("The costophrenic angles are sharp.", "pleural_effusion", N),
    ("Sharp costophrenic angles.", "pleural_effusion", N),
    ("Pleural spaces are clear.", "pneumothorax", N),
    ("Pulmonary vasculature is normal.", "edema", N),
    ("Heart size is normal.", "lung_opacity", ABSENT),
    ("Heart size is enlarged.", "cardiomegaly", P),
    ("The cardiac silhouette is mildly enlarged.", "cardiomegaly", P),
    ("Enlarged cardiac silhouette.", "cardiomegaly", P),
    ("Heart size is stable.", "cardiomegaly", ABSENT),
    ("The heart is midline.", "cardiomegaly", ABSENT),
]

PSEUDO = [
    ("No change in the left pleural effusion.", "pleural_effusion", P),
    ("No significant change in the moderate right effusion.", "pleural_effusion", P),
    ("No interval change in bibasilar atelectasis.", "atelectasis", P),
    ("Not only is there an effusion but also atelectasis.", "pleural_effusion", P),
    ("Unchanged cardiomegaly, not significantly changed from prior.", "cardiomegaly", P),
    ("No increase in the size of the pneumothorax.", "pneumothorax", P),
    ("Pneumonia, not resolved.", "pneumonia", P),
    ("Partially resolved right lower lobe consolidation.", "consolidation", P),
    ("Resolving left lower lobe pneumonia.", "pneumonia", P),
    ("Gram negative pneumonia.", "pneumonia", P),
]

UNCERTAINTY = [
    ("Left basilar opacity may represent atelectasis.", "atelectasis", U),
    ("Left basilar opacity may represent atelectasis.", "lung_opacity", P),
    ("Possible small left pleural effusion.", "pleural_effusion", U),
    ("Likely atelectasis.", "atelectasis", U),
    ("Probable right lower lobe pneumonia.", "pneumonia", U),
    ("Findings are suggestive of pneumonia.", "pneumonia", U),
    ("Pneumonia cannot be excluded.", "pneumonia", U),
    ("Cannot exclude pneumonia.", "pneumonia", U),
    ("Early pneumonia cannot be ruled out.", "pneumonia", U),
    ("Atelectasis versus pneumonia.", "atelectasis", U),
    ("Atelectasis versus pneumonia.", "pneumonia", U),
    ("Atelectasis vs. consolidation at the left base.", "consolidation", U),
    ("Questionable small pneumothorax.", "pneumothorax", U),
    ("Concerning for pneumonia.", "pneumonia", U),
    ("Opacity might reflect aspiration or pneumonia.", "pneumonia", U),
    ("Could be a small effusion.", "pleural_effusion", U),
    ("Suspected right middle lobe pneumonia.", "pneumonia", U),
    ("Differential diagnosis includes pneumonia.", "pneumonia", U),
    ("? pneumonia.", "pneumonia", U),
    ("Small effusions are possible.", "pleural_effusion", U),
    ("Equivocal opacity at the left base.", "lung_opacity", U),
    ("Findings worrisome for a mass.", "mass", U),
]

SCOPE_AND_LISTS = [
    ("No effusion, pneumothorax, or consolidation.", "pleural_effusion", N),
    ("No effusion, pneumothorax, or consolidation.", "pneumothorax", N),
    ("No effusion, pneumothorax, or consolidation.", "consolidation", N),
    ("No focal consolidation, pleural effusion or pneumothorax is identified.", "pneumothorax", N),
    ("No edema or pneumonia.", "pneumonia", N),
    ("There is no pleural effusion or pneumothorax.", "pneumothorax", N),
    ("The lungs are clear without focal consolidation, effusion, or pneumothorax.", "pneumothorax", N),
    ("Without evidence of pneumothorax, effusion, or edema.", "edema", N),
    ("No pneumothorax, but there is a small right effusion.", "pleural_effusion", P),
    ("No pneumothorax, but there is a small right effusion.", "pneumothorax", N),
    ("No pneumothorax; however, a large left effusion is present.", "pleural_effusion", P),
    ("No consolidation although mild atelectasis persists.", "atelectasis", P),
    ("No pneumothorax. Moderate right effusion.", "pleural_effusion", P),
    ("Cardiomegaly without overt edema.", "cardiomegaly", P),
    ("Cardiomegaly without overt edema.", "edema", N),
    ("Left pleural effusion with adjacent atelectasis.", "atelectasis", P),
    ("No pneumothorax, possible small effusion.", "pleural_effusion", U),
    ("No pneumothorax, possible small effusion.", "pneumothorax", N),
    ("Possible small effusion; no pneumothorax.", "pneumothorax", N),
    ("There is no effusion, there is a right lower lobe consolidation.", "consolidation", P),
    ("Lines and tubes are unchanged, with no pneumothorax.", "pneumothorax", N),
    ("Heart size is normal and there is a small left effusion.", "pleural_effusion", P),
    ("Mild cardiomegaly, no edema.", "cardiomegaly", P),
    ("Mild cardiomegaly, no edema.", "edema", N),
    ("No acute cardiopulmonary process; stable nodule in the right upper lobe.", "nodule", P),
]

EXCLUSIONS = [
    ("Small pericardial effusion.", "pleural_effusion", ABSENT),
    ("Small pericardial effusion.", "pericardial_effusion", P),
    ("Extensive subcutaneous emphysema in the left chest wall.", "emphysema", ABSENT),
    ("Extensive subcutaneous emphysema in the left chest wall.", "subcutaneous_emphysema", P),
    ("Calcified granuloma in the right upper lobe.", "nodule", ABSENT),
    ("Calcified granuloma in the right upper lobe.", "granuloma", P),
    ("Massive right pleural effusion.", "mass", ABSENT),
    ("Pleural scarring at the left apex.", "lung_opacity", ABSENT),
    ("No pneumomediastinum.", "pneumomediastinum", N),
    ("Free air under the right hemidiaphragm.", "pneumoperitoneum", P),
    ("Kerley B lines are present.", "support_devices", ABSENT),
    ("Kerley B lines are present.", "edema", P),
]

HISTORICAL_CASES = [
    ("History of pneumonia.", "pneumonia", P),
    ("Status post left upper lobectomy with chest tube in place.", "support_devices", P),
    ("Compared to the prior study the effusion has resolved.", "pleural_effusion", N),
]

SECTIONS_AND_SENTENCES = [
    (
        "FINDINGS: Heart size normal.\nIMPRESSION: 1. Small left effusion. 2. No pneumothorax.",
        "pneumothorax",
        N,
    ),
    (
        "FINDINGS: Heart size normal.\nIMPRESSION: 1. Small left effusion. 2. No pneumothorax.",
        "pleural_effusion",
        P,
    ),
    ("IMPRESSION:\n1. No pneumothorax\n2. Small left effusion", "pleural_effusion", P),
    ("IMPRESSION: 1. No pneumothorax 2. Small left effusion", "pleural_effusion", P),
    ("FINDINGS: There is no focal consolidation,\npleural effusion, or pneumothorax.", "pneumothorax", N),
    ("FINDINGS: No pneumothorax. Dr. ___ was notified. Large right effusion.", "pleural_effusion", P),
    ("FINDINGS: No effusion. XXXX opacity in the right lower lobe.", "lung_opacity", P),
    ("INDICATION: ? pneumonia.\nFINDINGS: The lungs are clear.", "pneumonia", N),
    ("INDICATION: Pneumonia.\nFINDINGS: No acute process.", "pneumonia", ABSENT),
    ("Findings: Left effusion; no pneumothorax.", "pleural_effusion", P),
]

ALL_CASES = (
    FINDINGS + NEGATION_CUES + NORMALITY + PSEUDO + UNCERTAINTY + SCOPE_AND_LISTS + EXCLUSIONS
    + HISTORICAL_CASES + SECTIONS_AND_SENTENCES
)  # fmt: skip


def test_at_least_150_cases() -> None:
    assert len(ALL_CASES) >= 150


@pytest.mark.parametrize(("sentence", "concept", "expected"), ALL_CASES)
def test_sentence_assertion(sentence: str, concept: str, expected: Assertion | None) -> None:
    mentions = [m for m in analyze(sentence).mentions if m.concept == concept]
    if expected is None:
        assert not mentions, mentions
    else:
        assert mentions, f"no {concept} mention in {sentence!r}: {analyze(sentence).mentions}"
        assert expected in {m.assertion for m in mentions}, mentions


ATTRIBUTES = [
    ("Small left pleural effusion.", "pleural_effusion", "left", "small", ()),
    ("Large right pneumothorax.", "pneumothorax", "right", "large", ()),
    ("Bilateral pleural effusions.", "pleural_effusion", "bilateral", None, ()),
    ("Trace bilateral effusions.", "pleural_effusion", "bilateral", "trace", ()),
    ("Moderate effusion on the right.", "pleural_effusion", "right", "moderate", ()),
    ("Mild right lower lobe atelectasis.", "atelectasis", "right", "mild", ("lower lobe",)),
    ("Bibasilar atelectasis.", "atelectasis", "bilateral", None, ("base",)),
    ("The heart is mildly enlarged.", "cardiomegaly", None, "mild", ()),
    ("Severe cardiomegaly.", "cardiomegaly", None, "severe", ()),
    ("Small to moderate left effusion.", "pleural_effusion", "left", "small to moderate", ()),
    ("Retrocardiac opacity.", "lung_opacity", None, None, ("retrocardiac",)),
    ("Left perihilar opacity.", "lung_opacity", "left", None, ("perihilar",)),
    ("Right and left pleural effusions.", "pleural_effusion", "bilateral", None, ()),
    ("Small pneumothorax at the left apex.", "pneumothorax", "left", "small", ("apex",)),
    ("Opacity in the lingula.", "lung_opacity", None, None, ("lingula",)),
]


@pytest.mark.parametrize(("sentence", "concept", "laterality", "severity", "locations"), ATTRIBUTES)
def test_sentence_attributes(sentence, concept, laterality, severity, locations) -> None:
    analysis = analyze(sentence)
    mention = next(m for m in analysis.mentions if m.concept == concept)
    attrs = mention.attributes
    assert attrs.laterality == laterality
    assert attrs.severity == severity
    assert set(locations) <= set(attrs.location)
    if laterality is not None and attrs.laterality_span:
        a, b = attrs.laterality_span
        assert analysis.text[a:b].lower() in {"left", "right", "bilateral", "bibasilar", "right and left"}
    if severity is not None:
        a, b = attrs.severity_span
        assert " ".join(analysis.text[a:b].lower().split()).replace("mildly", "mild") == severity
