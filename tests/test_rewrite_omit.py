"""The omit op's own rules (``cxralign/rewrite/omit_rules.py`` and the sign rows it relies on), each on
hand-written reports (not corpus text) with the exact variant or the refusal reason, and the verifier
fed the wrong variant for each rule it checks."""

from __future__ import annotations

import pytest

from cxralign.reports import analyze
from cxralign.rewrite import RewriteContext, RewriteRejected, rewrite
from cxralign.rewrite.omit_rules import NORMAL_TAILS, READINGS, SUBJECTLESS_OPENINGS
from cxralign.rewrite.records import Change
from cxralign.rewrite.spans import apply_changes
from cxralign.rewrite.verify import variant_failure

CTX = RewriteContext.from_engine(seed=0)

# (rule, op, target, report, expected variant or None, refusal reason or None)
CASES = [
    # ATTACHED_ATTRIBUTES: an attribute inside the target's noun phrase goes with it
    ("attached", "omit", "Lung Lesion",
     "FINDINGS: Heart size is normal. Stable 6 mm calcified right upper lobe nodule. No effusion.",
     "FINDINGS: Heart size is normal. No effusion.", None),
    ("attached", "omit", "Lung Lesion",
     "FINDINGS: There is a 9 mm calcified nodule in the left midlung. The lungs are otherwise clear.\nIMPRESSION: No acute disease.",
     "FINDINGS: The lungs are clear.\nIMPRESSION: No acute disease.", None),
    ("attached", "omit", "Lung Opacity",
     "FINDINGS: Mild prominence of the interstitial markings and a small left effusion. Heart normal.",
     "FINDINGS: A small left effusion. Heart normal.", None),
    ("attached", "omit", "Lung Opacity",
     "FINDINGS: Prominent interstitial markings in both bases. No pneumothorax.",
     "FINDINGS: No pneumothorax.", None),
    ("attached", "omit", "Lung Lesion",  # after the target and past "that is not": another statement
     "FINDINGS: Heart normal. In the right base there is a 1 cm nodule that is not calcified.",
     None, "target entangled with another finding in one clause"),
    ("attached", "omit", "Lung Lesion",  # "Calcified" of the lymph nodes, past "and": it stays
     "FINDINGS: Calcified hilar lymph nodes and a right lower lobe nodule. No effusion.",
     "FINDINGS: Calcified hilar lymph nodes. No effusion.", None),
    ("attached", "omit", "Lung Opacity",  # the corpus's lone " ." after the removed impression goes with it
     "FINDINGS: Heart size normal. No pneumothorax. Streaky airspace disease on the lateral view.\nIMPRESSION: Streaky air "
     "space disease may represent infiltrate. .",
     "FINDINGS: Heart size normal. No pneumothorax.", None),
    ("attached", "omit", "Atelectasis",  # the edited last sentence keeps its stop
     "FINDINGS: Heart normal. Low lung volumes and bibasilar atelectasis.",
     "FINDINGS: Heart normal. Low lung volumes.", None),
    # READINGS: a granuloma named as what the nodule is, in the nodule's own sentence
    ("reading", "omit", "Lung Lesion",
     "FINDINGS: Scattered calcified nodules compatible with old granulomatous disease. Heart normal.",
     "FINDINGS: Heart normal.", None),
    ("reading", "omit", "Lung Lesion",
     "FINDINGS: There is a 7 mm nodule in the right lower lobe, likely a granuloma. No effusion.\nIMPRESSION: No acute process.",
     "FINDINGS: No effusion.\nIMPRESSION: No acute process.", None),
    ("reading", "omit", "Lung Lesion",
     "FINDINGS: Dense left apical nodule suggests a previous granulomatous process. Lungs otherwise clear.",
     "FINDINGS: Lungs clear.", None),
    ("reading", "omit", "Lung Lesion",
     "FINDINGS: Right lower lobe nodule, possibly a granuloma. Small left effusion.",
     "FINDINGS: Small left effusion.", None),
    ("reading", "omit", "Lung Lesion",  # a granuloma of its own, before the nodule: not its reading
     "FINDINGS: Calcified granuloma in the left apex. Separate 2 cm right lower lobe nodule. Heart normal.",
     None, "words outside the target's statement removed (separate)"),
    ("reading", "omit", "Lung Lesion",  # the reading is said of the calcifications too: it stays, so refused
     "FINDINGS: Heart normal. Mediastinal calcifications and dense nodule in the lingula suggest a previous granulomatous process.",
     None, "target entangled with another finding in one clause"),
    # NORMAL_TAILS: the qualifier after the target stays as a sentence of its own
    ("tail", "omit", "Cardiomegaly",
     "FINDINGS: The heart is mildly enlarged. No effusion.\nIMPRESSION: Cardiomegaly, no acute pulmonary findings.",
     "FINDINGS: No effusion.\nIMPRESSION: No acute pulmonary findings.", None),
    ("tail", "omit", "Cardiomegaly",
     "FINDINGS: The heart is moderately enlarged. No pneumothorax.\nIMPRESSION: Cardiomegaly without superimposed acute disease.",
     "FINDINGS: No pneumothorax.\nIMPRESSION: No acute disease.", None),
    ("tail", "omit", "Cardiomegaly",
     "FINDINGS: Mild cardiomegaly. Lungs are clear.\nIMPRESSION: Postoperative changes of the left chest and mild "
     "cardiomegaly without acute cardiopulmonary abnormality.",
     "FINDINGS: Lungs are clear.\nIMPRESSION: Postoperative changes of the left chest. No acute cardiopulmonary abnormality.",
     None),
    ("tail", "omit", "Pleural Other",  # "Without evidence ..." never opens the impression
     "FINDINGS: Apical pleural thickening is unchanged. No effusion.\nIMPRESSION: Stable apical pleural thickening "
     "without evidence of acute infiltrate.",
     "FINDINGS: No effusion.\nIMPRESSION: No evidence of acute infiltrate.", None),
    ("tail", "omit", "Lung Opacity",  # the qualifier denies the target itself: it cannot stay
     "FINDINGS: Mild right basilar scarring. No effusion.\nIMPRESSION: Right basilar scarring without acute airspace opacity.",
     "FINDINGS: No effusion.", None),
    ("tail", "omit", "Cardiomegaly",
     "FINDINGS: Mild cardiomegaly. Small right effusion.\nIMPRESSION: Cardiomegaly, no acute change in the small right effusion.",
     "FINDINGS: Small right effusion.\nIMPRESSION: No acute change in the small right effusion.", None),
    ("tail", "omit", "Support Devices",  # a complication of the placement is the device's own: it goes with it
     "FINDINGS: Right internal jugular catheter tip in the superior vena cava. No pneumothorax.\nIMPRESSION: Right "
     "internal jugular catheter without evidence of acute complication.",
     "FINDINGS: No pneumothorax.", None),
    ("tail", "omit", "Support Devices",  # a sign sentence keeps its qualifier too
     "FINDINGS: Postsurgical changes of median sternotomy with screw fixation of anterior plates. Heart size is normal.\n"
     "IMPRESSION: Interval postsurgical changes of median sternotomy without acute cardiopulmonary abnormality.",
     "FINDINGS: Heart size is normal.\nIMPRESSION: No acute cardiopulmonary abnormality.", None),
    ("tail", "omit", "Support Devices",
     "FINDINGS: Sternotomy wires. Right IJ catheter tip in the SVC.\nIMPRESSION: Sternotomy, no acute findings.",
     "IMPRESSION: No acute findings.", None),
    # SUBJECTLESS_OPENINGS: a sentence with no subject of its own goes with the removed one
    ("subjectless", "omit", "Lung Lesion",
     "FINDINGS: Heart normal. There is a 1.5 cm nodule in the left midlung. May contain calcium.\nIMPRESSION: Left midlung nodule.",
     "FINDINGS: Heart normal.", None),
    ("subjectless", "omit", "Lung Lesion",
     "FINDINGS: Heart normal. Right upper lobe nodule. Measures 12 mm. No effusion.",
     "FINDINGS: Heart normal. No effusion.", None),
    ("subjectless", "omit", "Lung Opacity",
     "FINDINGS: Patchy left basilar opacity. Could reflect scarring. No pneumothorax.",
     "FINDINGS: No pneumothorax.", None),
    ("subjectless", "omit", "Pleural Effusion",
     "FINDINGS: Small left pleural effusion. Likely unchanged from the prior study. Heart normal.",
     "FINDINGS: Heart normal.", None),
    ("subjectless", "omit", "Lung Lesion",
     "FINDINGS: Right upper lobe nodule. Not clearly seen on the lateral view. Mild cardiomegaly.",
     "FINDINGS: Mild cardiomegaly.", None),
    ("subjectless", "omit", "Support Devices",  # DEFINITE_PART: "The tip" of the removed line
     "FINDINGS: Lungs are clear. PICC line is in place. The tip is in the upper right atrium. No effusion.",
     "FINDINGS: Lungs are clear. No effusion.", None),
    ("subjectless", "omit", "Support Devices",
     "FINDINGS: Heart normal. Left chest pacemaker. The leads terminate in the right atrium and ventricle.",
     "FINDINGS: Heart normal.", None),
    ("subjectless", "omit", "Lung Lesion",  # FOLLOWER_STATEMENTS: what to compare the removed nodule with
     "FINDINGS: Heart normal. Lungs clear.\nIMPRESSION: 1.5 cm nodule in the left midlung. May contain calcium. "
     "Comparison to old films, if available would be useful. If old films are not available, CT could be obtained.",
     "FINDINGS: Heart normal. Lungs clear.", None),
    ("subjectless", "omit", "Support Devices",  # a bare "Tip ..." of the removed line
     "FINDINGS: Left PICC line remains in place. The tip projects over the upper SVC. Heart normal.\nIMPRESSION: 1. Small "
     "right effusion. 2. Outward retraction of PICC line. Tip now projects over upper SVC.",
     "FINDINGS: Heart normal.\nIMPRESSION: 1. Small right effusion.", None),
    ("subjectless", "omit", "Support Devices",  # "Now located ..." said of the removed tip
     "FINDINGS: Right PICC line in place. Heart normal.\nIMPRESSION: 1. Malpositioned right PICC line tip. Now located in "
     "the left innominate vein. 2. Patchy opacities.",
     "FINDINGS: Heart normal.\nIMPRESSION: 1. Patchy opacities.", None),
    ("subjectless", "omit", "Consolidation",  # "Most consistent with ..." left opening the impression
     "FINDINGS: Complete opacification of the right middle lobe. No effusion.\nIMPRESSION: 1. Stable right middle lobe "
     "consolidation, most consistent with pneumonia.",
     None, "a fragment is left (most ...)"),
    ("subjectless", "omit", "Lung Opacity",  # the follower names a finding of its own: refused, not removed
     "FINDINGS: Patchy right basilar opacity. Most likely atelectasis. Heart normal.",
     None, "a sentence left pointing at the removed finding (no subject of its own)"),
    ("subjectless", "omit", "Lung Opacity",  # an edit that leaves "May represent ..." opening the impression
     "FINDINGS: Subtle prominence of interstitial markings in the bases.\nIMPRESSION: Subtle interstitial markings "
     "bilateral, may represent mild edema or chronic changes.",
     None, "a fragment is left (may ...)"),
    # OTHERWISE: nothing left for "otherwise" to contrast with
    ("otherwise", "omit", "Lung Opacity",
     "FINDINGS: Mild scarring in the lingula. Lungs are otherwise clear. No effusion.",
     "FINDINGS: Lungs are clear. No effusion.", None),
    ("otherwise", "omit", "Pneumothorax",
     "FINDINGS: Tiny right apical pneumothorax. The lungs are otherwise clear. Heart normal.",
     "FINDINGS: The lungs are clear. Heart normal.", None),
    ("otherwise", "omit", "Atelectasis",  # the cardiomegaly before it stays for "otherwise" to contrast with
     "FINDINGS: Mild cardiomegaly. Left basilar atelectasis. Lungs otherwise clear.",
     "FINDINGS: Mild cardiomegaly. Lungs otherwise clear.", None),
    ("otherwise", "omit", "Lung Opacity",  # emphysema stays for "otherwise" to contrast with
     "FINDINGS: Emphysema. Mild right apical scarring. The lungs are otherwise clear.",
     "FINDINGS: Emphysema. The lungs are otherwise clear.", None),
    ("otherwise", "omit", "Lung Lesion",
     "FINDINGS: Left upper lobe nodule. The chest is otherwise normal.",
     "FINDINGS: The chest is normal.", None),
    ("otherwise", "omit", "Atelectasis",  # an opening "Otherwise, ..." is the shared anaphor rule's
     "FINDINGS: Left basilar atelectasis. Otherwise, the lungs are clear.",
     None, "a sentence left pointing at the removed finding"),
    ("otherwise", "omit", "Atelectasis",  # the opacity stays in the findings: "Lungs clear" would contradict it
     "FINDINGS: There is minimal patchy opacity in the left lung base, likely representing atelectasis. The lungs are "
     "otherwise clear.\nIMPRESSION: Left base atelectasis. Lungs otherwise clear.",
     None, "a sentence left saying 'otherwise' after the removed finding"),
    ("otherwise", "omit", "Lung Lesion",  # not right after the removed sentence, still about it
     "FINDINGS: Heart normal. There is a right upper lobe nodule. Trachea is midline. The lungs otherwise clear.",
     "FINDINGS: Heart normal. Trachea is midline. The lungs clear.", None),
    # DEVICE_FRACTURE: a device's fracture is not a bone's
    ("device", "omit", "Fracture",
     "FINDINGS: Heart normal. There is a fracture of the superior sternotomy wire, unchanged. No effusion.",
     None, "the fracture is a device's, not a bone's"),
    ("device", "omit", "Fracture",
     "FINDINGS: Heart normal. The third sternal wire is fractured. No effusion.",
     None, "the fracture is a device's, not a bone's"),
    ("device", "omit", "Fracture",
     "FINDINGS: Lungs are clear. Fractured lead of the left chest pacemaker.",
     None, "the fracture is a device's, not a bone's"),
    ("device", "omit", "Fracture",  # a rib beside a device: the bone's fracture goes
     "FINDINGS: Pacemaker leads intact. Healing fracture of the right 5th rib.",
     "FINDINGS: Pacemaker leads intact.", None),
    ("device", "omit", "Fracture",
     "FINDINGS: Heart normal. There is a fracture of the left 6th rib. No effusion.",
     "FINDINGS: Heart normal. No effusion.", None),
    # LIMITED_EVALUATION: the finding named only as what the exam evaluates
    ("limited", "omit", "Fracture",
     "FINDINGS: Heart normal. Limited exam, for evaluation of fractures. However, no evidence for displaced rib fracture.",
     None, "target named only as what the exam evaluates"),
    ("limited", "omit", "Lung Lesion",
     "FINDINGS: Heart normal. CT is recommended for evaluation of a possible nodule.",
     None, "target named only as what the exam evaluates"),
    ("limited", "omit", "Pneumothorax",
     "FINDINGS: Portable film, limited for evaluation of a small pneumothorax. Lungs clear.",
     None, "target named only as what the exam evaluates"),
    ("limited", "omit", "Fracture",  # a fracture stated: the limitation of the others stays
     "FINDINGS: Left 6th rib fracture. Limited evaluation of the other ribs. Lungs clear.",
     "FINDINGS: Limited evaluation of the other ribs. Lungs clear.", None),
    ("limited", "omit", "Lung Lesion",  # stated, then a follow-up of it: refused, not half removed
     "FINDINGS: Right upper lobe nodule. Heart normal. Follow-up CT for evaluation of the nodule.",
     None, "words outside the target's statement removed (follow-up)"),
    # DEVICE_ASIDES: a device named only in an aside of a sentence about something else
    ("aside", "omit", "Support Devices",
     "FINDINGS: Frontal and lateral views of the chest with overlying external cardiac monitor leads show an unchanged "
     "cardiomediastinal silhouette. Tortuous aorta. No focal consolidation.",
     "FINDINGS: Frontal and lateral views of the chest show an unchanged cardiomediastinal silhouette. Tortuous aorta. "
     "No focal consolidation.", None),
    ("aside", "omit", "Support Devices",
     "FINDINGS: Frontal and lateral views of the chest with overlying external cardiac monitor leads show reduced lung "
     "volumes. No effusion.",
     "FINDINGS: Frontal and lateral views of the chest show reduced lung volumes. No effusion.", None),
    ("aside", "omit", "Support Devices",  # "ECG" is the device's own word the lexicon does not read: refused
     "FINDINGS: AP view of the chest, with overlying ECG leads, shows clear lungs. Heart size is normal.",
     None, "words outside the target's statement removed (ecg)"),
    ("aside", "omit", "Support Devices",  # a device of its own besides the aside: both go
     "FINDINGS: Frontal and lateral views of the chest with overlying external cardiac monitor leads show reduced lung "
     "volumes. Right IJ catheter tip in the SVC. No effusion.",
     "FINDINGS: Frontal and lateral views of the chest show reduced lung volumes. No effusion.", None),
    ("aside", "omit", "Support Devices",  # a sentence about the device itself is no aside: it goes whole
     "FINDINGS: External cardiac monitor leads overlie the chest. Lungs are clear.",
     "FINDINGS: Lungs are clear.", None),
    # SIGNS rows: accentuated vascularity (edema), enlargement in the cardiac silhouette, interstitial disease
    ("sign", "omit", "Edema",
     "FINDINGS: Mild cardiomegaly. Pulmonary vascularity is mildly accentuated. No effusion.\nIMPRESSION: Mild cardiomegaly "
     "and vascular congestion.",
     "FINDINGS: Mild cardiomegaly. No effusion.\nIMPRESSION: Mild cardiomegaly.", None),
    ("sign", "omit", "Edema",
     "FINDINGS: Accentuation of the pulmonary vasculature with small effusions.\nIMPRESSION: Mild vascular congestion.",
     None, "a sign of the finding stays (accentuated vessels)"),
    ("sign", "negate", "Edema",
     "FINDINGS: Accentuation of the pulmonary vasculature with small effusions.\nIMPRESSION: Mild vascular congestion.",
     None, "a sign of the finding stays (accentuated vessels)"),
    ("sign", "omit", "Cardiomegaly",
     "FINDINGS: There has been interval enlargement in the cardiac silhouette. Lungs are clear.\nIMPRESSION: Cardiomegaly.",
     "FINDINGS: Lungs are clear.", None),
    ("sign", "omit", "Lung Opacity",  # "interstitial and bullous disease": the opacity in other words, beside emphysema
     "FINDINGS: Prominent interstitial markings are unchanged. Heart normal.\nIMPRESSION: Chronic interstitial and "
     "bullous disease. No acute findings.",
     None, "a sign of the finding stays (interstitial disease)"),
    ("sign", "omit", "Lung Opacity",
     "FINDINGS: Prominent interstitial markings are unchanged. Heart normal.\nIMPRESSION: Chronic interstitial lung "
     "disease. No acute findings.",
     "FINDINGS: Heart normal.\nIMPRESSION: No acute findings.", None),
    ("sign", "omit", "Fracture",  # a vertebral body deformity is the fracture in other words: it goes with it
     "FINDINGS: Healing fracture of the left 7th rib. There is compression deformity of the 8th vertebral body. Lungs clear.",
     "FINDINGS: Lungs clear.", None),
    ("sign", "omit", "Fracture",
     "FINDINGS: Lungs clear. Nondisplaced right 6th rib fracture. Deformity of the eighth vertebral body.",
     "FINDINGS: Lungs clear.", None),
    ("sign", "omit", "Support Devices",  # the impression names the device in other words
     "FINDINGS: Right humeral prosthesis. Lungs clear.\nIMPRESSION: Interval placement of right humeral orthopedic XXXX.",
     None, "a sign of the finding stays (orthopedic device)"),
    ("sign", "omit", "Support Devices",  # "cardiac XXXX": the corpus's redaction of a cardiac device
     "FINDINGS: Status post median sternotomy. Stable position of the cardiac XXXX and leads. The lungs are clear.\n"
     "IMPRESSION: 1. Stable position of the cardiac XXXX and leads. 2. Normal cardiac size with clear lungs.",
     "FINDINGS: The lungs are clear.\nIMPRESSION: 1. Normal cardiac size with clear lungs.", None),
    ("sign", "omit", "Support Devices",
     "FINDINGS: Lungs are clear. Left chest wall cardiac XXXX generator. Right IJ catheter tip in the SVC.",
     "FINDINGS: Lungs are clear.", None),
    ("sign", "omit", "Enlarged Cardiomediastinum",  # "Prominent mediastinum" and what follows it go too
     "FINDINGS: Heart normal. The mediastinum appears somewhat prominent.\nIMPRESSION: 1. Prominent mediastinum. May be "
     "due to mediastinal fat. Comparison films, if available, would be useful. 2. Clear lungs.",
     "FINDINGS: Heart normal.\nIMPRESSION: 1. Clear lungs.", None),
    ("sign", "omit", "Enlarged Cardiomediastinum",
     "FINDINGS: The mediastinum appears prominent. Lungs clear.\nIMPRESSION: Mediastinal prominence, likely vascular.",
     "FINDINGS: Lungs clear.", None),
    ("sign", "omit", "Cardiomegaly",
     "FINDINGS: Enlargement of the cardiac silhouette with small effusions.\nIMPRESSION: Cardiomegaly.",
     "FINDINGS: Small effusions.", None),
]  # fmt: skip


def test_every_omit_rule_has_at_least_five_hand_written_reports():
    counts: dict[str, int] = {}
    for rule, *_ in CASES:
        counts[rule] = counts.get(rule, 0) + 1
    assert set(counts) == {"attached", "reading", "tail", "subjectless", "otherwise", "device", "limited", "aside", "sign"}
    assert min(counts.values()) >= 5
    assert NORMAL_TAILS and READINGS["Lung Lesion"] and "may" in SUBJECTLESS_OPENINGS


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_omit_rule_gives_the_exact_variant_or_refusal(case):
    _rule, op, target, text, expected, refused = case
    analysis = analyze(text, report_id="t")
    if refused is not None:
        with pytest.raises(RewriteRejected) as refusal:
            rewrite(op, analysis, target, CTX)
        assert refusal.value.reason.startswith(refused)
        return
    variant = rewrite(op, analysis, target, CTX)
    assert variant.text == expected
    assert apply_changes(variant.original, variant.changes) == variant.text
    assert variant.text == variant.text.rstrip()  # no space left where a deletion ended the report


def _failure(target: str, text: str, remove: list[str]) -> str | None:
    """The verifier's verdict on a hand-made omit variant that deletes the given spans."""
    changes = []
    for before in remove:
        start = text.index(before)
        changes.append(Change(start, start + len(before), before, "", 0))
    variant = apply_changes(text, changes)
    before_analysis = analyze(text, report_id="t")
    after = CTX.reanalyze(variant, "t")
    return variant_failure("omit", before_analysis, after, changes, target, CTX)


MUTANTS = [
    ("Lung Lesion", "FINDINGS: Heart normal. Right upper lobe nodule. May contain calcium.",
     [" Right upper lobe nodule."], "a sentence left pointing at the removed finding (no subject"),
    ("Lung Opacity", "FINDINGS: Mild scarring in the lingula. Lungs are otherwise clear. No effusion.",
     ["Mild scarring in the lingula. "], "a sentence left saying 'otherwise'"),
    ("Cardiomegaly", "FINDINGS: The heart is mildly enlarged. No effusion.\nIMPRESSION: Cardiomegaly, no acute pulmonary findings.",
     ["The heart is mildly enlarged. ", "\nIMPRESSION: Cardiomegaly, no acute pulmonary findings."],
     "a normal qualifier went with the removed finding"),
    ("Lung Lesion", "FINDINGS: Calcified hilar lymph nodes. Right lower lobe nodule. No effusion.",
     ["Calcified hilar lymph nodes. Right lower lobe nodule. "], "other mentions changed"),
    ("Support Devices", "FINDINGS: Lungs are clear. PICC line is in place. The tip is in the upper right atrium.",
     [" PICC line is in place."], "a sentence left pointing at the removed finding (no subject"),
    ("Atelectasis", "FINDINGS: Patchy opacity at the left base, likely atelectasis. Lungs otherwise clear.",
     [", likely atelectasis", " otherwise"], "'otherwise' dropped while another finding stays stated"),
    ("Edema", "FINDINGS: Mild cardiomegaly. Pulmonary vascularity is mildly accentuated. No effusion.\nIMPRESSION: Mild "
     "cardiomegaly and vascular congestion.", [" and vascular congestion"], "a sign of the finding stays (accentuated"),
]  # fmt: skip


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m[3][:30] for m in MUTANTS])
def test_verifier_rejects_the_omit_mistake_it_is_fed(mutant):
    target, text, remove, reason = mutant
    failure = _failure(target, text, remove)
    assert failure is not None and failure.startswith(reason), failure


def test_verifier_keeps_the_planned_variant_of_each_mutant_report():
    """The same reports, planned by omit itself, pass: the mutants fail for the mistake alone."""
    for target, text, _remove, _reason in MUTANTS[:3]:
        rewrite("omit", analyze(text, report_id="t"), target, CTX)
